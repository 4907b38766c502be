package data

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
)

// readFile reads one of the committed data files.
func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantErr checks that err is an *Error whose text contains every part.
func wantErr(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("got error of type %T, want *data.Error: %v", err, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("got error %q, want it to contain %q", err, p)
		}
	}
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// npyRaw builds an .npy file of format version major.0 with the given
// header dict text (padded as NumPy pads it) and body.
func npyRaw(major byte, dict string, body []byte) []byte {
	pre := 10
	if major > 1 {
		pre = 12
	}
	h := dict
	for (pre+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte(npyMagic), major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	b = append(b, h...)
	return append(b, body...)
}

// npyBytes builds a version 1.0 .npy file holding vals as dtype descr.
func npyBytes(descr string, shape []int, vals []float64) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shapeString(shape))
	return npyRaw(1, dict, npyBody(descr, vals))
}

// npyBody encodes vals as little-endian samples of dtype descr.
func npyBody(descr string, vals []float64) []byte {
	var b []byte
	le := binary.LittleEndian
	for _, v := range vals {
		switch descr {
		case "<f8":
			b = le.AppendUint64(b, math.Float64bits(v))
		case "<f4":
			b = le.AppendUint32(b, math.Float32bits(float32(v)))
		case "<i2":
			b = le.AppendUint16(b, uint16(int16(v)))
		case "<u2":
			b = le.AppendUint16(b, uint16(v))
		case "<i4":
			b = le.AppendUint32(b, uint32(int32(v)))
		case "|u1":
			b = append(b, uint8(v))
		case "|i1":
			b = append(b, uint8(int8(v)))
		default:
			panic("npyBody: dtype " + descr)
		}
	}
	return b
}

// npzBytes builds an .npz archive of the given members (name -> bytes),
// deflated, in name order.
func npzBytes(members map[string][]byte) []byte {
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate})
		if err != nil {
			panic(err)
		}
		w.Write(members[n])
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// ramp returns n values a, a+step, ...
func ramp(n int, a, step float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = a + float64(i)*step
	}
	return v
}
