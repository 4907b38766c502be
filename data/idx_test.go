package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"strings"
	"testing"
)

func idx(kind byte, dims []int, body []byte) []byte {
	b := []byte{0, 0, 0x08, kind}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, body...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestReadMNIST(t *testing.T) {
	imgs := idx(3, []int{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255})
	labs := idx(1, []int{2}, []byte{7, 0})
	m, err := ReadMNIST("i.gz", gz(imgs), "l", labs)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 2 || m.Cols != 3 || len(m.Pixels) != 12 || m.Labels[0] != 7 || m.Labels[1] != 0 {
		t.Errorf("got %+v", m)
	}
	for _, tc := range []struct {
		name         string
		images, labs []byte
		want         string
	}{
		{"label 10", imgs, idx(1, []int{2}, []byte{7, 10}), "l: label 1: 10 out of range 0..9"},
		{"count mismatch", imgs, idx(1, []int{3}, []byte{1, 2, 3}), "3 labels for the 2 images"},
		{"lying header", idx(3, []int{3, 2, 3}, make([]byte, 12)), labs, "i: header says [3 2 3] = 18 bytes but the file holds 12"},
		{"bad magic", []byte{1, 2, 3, 4}, labs, "i: header: not an IDX file"},
		{"float type", []byte{0, 0, 0x0d, 3}, labs, "element type 0x0d not supported"},
		{"dims", idx(1, []int{2}, []byte{1, 2}), labs, "i: header: 1 dimensions, want 3"},
		{"truncated gzip", gz(imgs)[:20], labs, "i"},
	} {
		_, err := ReadMNIST("i", tc.images, "l", tc.labs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func FuzzReadMNIST(f *testing.F) {
	f.Add(idx(3, []int{1, 2, 2}, []byte{1, 2, 3, 4}), idx(1, []int{1}, []byte{3}))
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 1}, []byte{0, 0, 8, 1})
	f.Fuzz(func(t *testing.T, images, labels []byte) {
		m, err := ReadMNIST("i", images, "l", labels)
		if err != nil {
			return
		}
		if len(m.Pixels) != len(m.Labels)*m.Rows*m.Cols {
			t.Fatalf("%d pixels for %d images of %dx%d", len(m.Pixels), len(m.Labels), m.Rows, m.Cols)
		}
		for _, l := range m.Labels {
			if l < 0 || l > 9 {
				t.Fatalf("label %d", l)
			}
		}
	})
}
