package data

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Array is an n-dimensional NumPy array converted to float64.
type Array struct {
	Shape []int     // dimensions; empty for a 0-d (scalar) array
	Data  []float64 // product(Shape) values in C (row-major) order
	Dtype string    // the file's dtype, e.g. "<i2"
}

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// npyDtypes are the supported dtypes with their sizes in bytes.
var npyDtypes = map[string]int{
	"<f8": 8, "<f4": 4, "<i2": 2, "<i4": 4, "<u2": 2, "|u1": 1, "|i1": 1,
}

const npyDtypeList = "<f8, <f4, <i2, <i4, <u2, |u1, |i1"

// ReadNPY parses a NumPy .npy file, format version 1.0, 2.0 or 3.0.
//
// The header dict must hold exactly the keys 'descr', 'fortran_order' and
// 'shape'. Supported dtypes are little-endian float64, float32, int16,
// int32, uint16 and the one-byte uint8 and int8; the array must be in C
// order. The data after the header must be exactly product(shape) values:
// a header that promises more or fewer is an error. NaN and infinite values
// are errors too (naming how many and the index of the first), so a nil
// error means every value is finite.
func ReadNPY(name string, b []byte) (Array, error) {
	a, err := readNPY(name, b)
	if err != nil {
		return Array{}, err
	}
	return a, nil
}

func readNPY(name string, b []byte) (Array, *Error) {
	h, size, n, hdrEnd, err := npyHead(name, b, len(b))
	if err != nil {
		return Array{}, err
	}
	body := b[hdrEnd:]
	if n*size != len(body) {
		return Array{}, &Error{File: name, Msg: fmt.Sprintf("header says shape %s = %d values of %d bytes but the file holds %d bytes after the header",
			shapeString(h.shape), n, size, len(body))}
	}
	return decodeNPY(name, h, n, body)
}

// maxArrayValues bounds the values of one array (2^25, 256 MiB as float64;
// an SRTM tile of 1 arc-second has 3601 x 3601 = 13 million).
const maxArrayValues = 1 << 25

// maxNPYHead bounds the preamble and header dict of an .npy member of an
// .npz, read before its data (NumPy itself writes at most a few hundred
// bytes and reads at most 10,000).
const maxNPYHead = 1 << 16

// npyHead parses the preamble and header dict of an .npy file of fileLen
// bytes whose first bytes are b (at least the header, or the whole file when
// it is shorter). It returns the header, the dtype's size, the number of
// values and where the data start; the data must then be n*size bytes.
func npyHead(name string, b []byte, fileLen int) (h npyHeader, size, n, hdrEnd int, e *Error) {
	bad := func(where, format string, args ...any) *Error {
		return &Error{File: name, Where: where, Msg: fmt.Sprintf(format, args...)}
	}
	if len(b) < len(npyMagic) || string(b[:len(npyMagic)]) != npyMagic {
		return h, 0, 0, 0, bad("", "not a NumPy .npy file (no \\x93NUMPY magic at the start; it starts with %s)", quoteField(b[:min(len(b), 8)]))
	}
	if len(b) < 10 {
		return h, 0, 0, 0, bad("header", "truncated (%d bytes)", fileLen)
	}
	major, minor := b[6], b[7]
	var hlen, start int
	switch {
	case major == 1 && minor == 0:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case (major == 2 || major == 3) && minor == 0:
		if len(b) < 12 {
			return h, 0, 0, 0, bad("header", "truncated (%d bytes)", fileLen)
		}
		n := binary.LittleEndian.Uint32(b[8:12])
		if uint64(n) > uint64(fileLen) {
			return h, 0, 0, 0, bad("header", "header length %d exceeds the file's %d bytes", n, fileLen)
		}
		hlen, start = int(n), 12
	default:
		return h, 0, 0, 0, bad("header", "format version %d.%d not supported (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if start+hlen > fileLen {
		return h, 0, 0, 0, bad("header", "header length %d exceeds the file's %d bytes", hlen, fileLen)
	}
	if start+hlen > len(b) {
		return h, 0, 0, 0, bad("header", "header length %d is more than the %d bytes this reader accepts", hlen, maxNPYHead-start)
	}
	h, err := parseNPYHeader(string(b[start : start+hlen]))
	if err != "" {
		return h, 0, 0, 0, bad("header", "%s", err)
	}
	size, ok := npyDtypes[h.descr]
	if !ok {
		return h, 0, 0, 0, bad("header", "dtype '%s' not supported (want %s)", h.descr, npyDtypeList)
	}
	if h.fortran {
		return h, 0, 0, 0, bad("header", "fortran_order True not supported (C order only; save np.ascontiguousarray(a))")
	}
	n = 1
	for _, d := range h.shape {
		if d != 0 && n > maxArrayValues/d && !slices.Contains(h.shape, 0) {
			return h, 0, 0, 0, bad("", "header says shape %s, more than the %d values an array may hold (the file holds %d bytes after the header)",
				shapeString(h.shape), maxArrayValues, fileLen-start-hlen)
		}
		n *= d
	}
	return h, size, n, start + hlen, nil
}

// decodeNPY converts the n values of body (exactly n values of h's dtype)
// to float64 and checks that they are finite.
func decodeNPY(name string, h npyHeader, n int, body []byte) (Array, *Error) {
	data := make([]float64, n)
	le := binary.LittleEndian
	switch h.descr {
	case "<f8":
		for i := range data {
			data[i] = math.Float64frombits(le.Uint64(body[8*i:]))
		}
	case "<f4":
		for i := range data {
			data[i] = float64(math.Float32frombits(le.Uint32(body[4*i:])))
		}
	case "<i2":
		for i := range data {
			data[i] = float64(int16(le.Uint16(body[2*i:])))
		}
	case "<i4":
		for i := range data {
			data[i] = float64(int32(le.Uint32(body[4*i:])))
		}
	case "<u2":
		for i := range data {
			data[i] = float64(le.Uint16(body[2*i:]))
		}
	case "|u1":
		for i := range data {
			data[i] = float64(body[i])
		}
	case "|i1":
		for i := range data {
			data[i] = float64(int8(body[i]))
		}
	}
	if bad, first := countNonFinite(data); bad > 0 {
		return Array{}, &Error{File: name, Msg: fmt.Sprintf("%d of %d values are NaN or infinite, the first at index %s",
			bad, n, shapeString(unravel(first, h.shape)))}
	}
	return Array{Shape: h.shape, Data: data, Dtype: h.descr}, nil
}

// countNonFinite returns how many values are NaN or ±Inf and the index of the first.
func countNonFinite(z []float64) (count, first int) {
	first = -1
	for i, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if count == 0 {
				first = i
			}
			count++
		}
	}
	return count, first
}

// unravel turns a flat C-order index into a multi-index.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = i % shape[k]
		i /= shape[k]
	}
	return idx
}

// shapeString formats a shape the way Python prints a tuple: (), (5,), (344, 403).
func shapeString(shape []int) string {
	if len(shape) == 1 {
		return "(" + strconv.Itoa(shape[0]) + ",)"
	}
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// npyHeader is the parsed header dict of an .npy file.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPYHeader parses the header, a Python dict literal such as
// {'descr': '<i2', 'fortran_order': False, 'shape': (344, 403), }
// padded with spaces and a newline. It returns an error message, or "".
func parseNPYHeader(s string) (npyHeader, string) {
	p := &pyParser{s: s}
	v, err := p.value(0)
	if err == "" {
		p.space()
		if p.i < len(p.s) {
			err = fmt.Sprintf("unexpected %s after the dict at byte %d", quoteField([]byte(p.s[p.i:])), p.i)
		}
	}
	if err != "" {
		return npyHeader{}, err
	}
	if v.kind != pyDict {
		return npyHeader{}, "not a dict"
	}
	var h npyHeader
	seen := map[string]bool{}
	for i, key := range v.keys {
		val := v.items[i]
		if seen[key] {
			return npyHeader{}, fmt.Sprintf("key '%s' appears twice", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if val.kind != pyStr {
				return npyHeader{}, "'descr' is not a simple dtype string (structured dtypes are not supported)"
			}
			h.descr = val.s
		case "fortran_order":
			if val.kind != pyBool {
				return npyHeader{}, "'fortran_order' is not True or False"
			}
			h.fortran = val.b
		case "shape":
			if val.kind != pyTuple {
				return npyHeader{}, "'shape' is not a tuple"
			}
			h.shape = make([]int, len(val.items))
			for k, d := range val.items {
				if d.kind != pyInt || d.i < 0 {
					return npyHeader{}, fmt.Sprintf("'shape' dimension %d is not a non-negative integer", k)
				}
				h.shape[k] = d.i
			}
		default:
			return npyHeader{}, fmt.Sprintf("unexpected key '%s' (want 'descr', 'fortran_order', 'shape')", key)
		}
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if !seen[key] {
			return npyHeader{}, fmt.Sprintf("key '%s' missing", key)
		}
	}
	return h, ""
}
