package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// MNIST is a set of 28x28 greyscale images (0..255) with their labels.
type MNIST struct {
	Rows, Cols int
	Pixels     []byte // n*Rows*Cols, image after image, row-major
	Labels     []int  // n labels, 0..9
}

// readIDX parses an IDX file of unsigned bytes (optionally gzip-compressed):
// the format of the MNIST distribution (magic 0x0000 08 D, then D big-endian
// uint32 dimensions, then the bytes).
func readIDX(name string, b []byte, wantDims int) (dims []int, body []byte, err error) {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, nil, &Error{File: name, Msg: "not a gzip stream", Err: err}
		}
		if b, err = io.ReadAll(io.LimitReader(zr, 1<<30)); err != nil {
			return nil, nil, &Error{File: name, Msg: "truncated gzip stream", Err: err}
		}
	}
	if len(b) < 4 || b[0] != 0 || b[1] != 0 {
		return nil, nil, &Error{File: name, Where: "header", Msg: "not an IDX file (bad magic)"}
	}
	if b[2] != 0x08 {
		return nil, nil, &Error{File: name, Where: "header", Msg: fmt.Sprintf("element type 0x%02x not supported (want 0x08, unsigned bytes)", b[2])}
	}
	if int(b[3]) != wantDims {
		return nil, nil, &Error{File: name, Where: "header", Msg: fmt.Sprintf("%d dimensions, want %d", b[3], wantDims)}
	}
	if len(b) < 4+4*wantDims {
		return nil, nil, &Error{File: name, Where: "header", Msg: "truncated dimensions"}
	}
	n := 1
	for i := 0; i < wantDims; i++ {
		d := int(binary.BigEndian.Uint32(b[4+4*i:]))
		if d <= 0 || d > 1<<24 || n > (1<<31)/d {
			return nil, nil, &Error{File: name, Where: fmt.Sprintf("dimension %d", i), Msg: fmt.Sprintf("size %d out of range", d)}
		}
		dims = append(dims, d)
		n *= d
	}
	body = b[4+4*wantDims:]
	if len(body) != n {
		return nil, nil, &Error{File: name, Msg: fmt.Sprintf("header says %v = %d bytes but the file holds %d", dims, n, len(body))}
	}
	return dims, body, nil
}

// ReadMNIST parses an MNIST images file and its labels file (IDX, optionally
// gzip-compressed): the counts must agree and every label must be 0..9.
func ReadMNIST(imagesName string, images []byte, labelsName string, labels []byte) (MNIST, error) {
	dims, pix, err := readIDX(imagesName, images, 3)
	if err != nil {
		return MNIST{}, err
	}
	ldims, lab, err := readIDX(labelsName, labels, 1)
	if err != nil {
		return MNIST{}, err
	}
	if ldims[0] != dims[0] {
		return MNIST{}, &Error{File: labelsName, Msg: fmt.Sprintf("%d labels for the %d images of %s", ldims[0], dims[0], imagesName)}
	}
	m := MNIST{Rows: dims[1], Cols: dims[2], Pixels: pix, Labels: make([]int, len(lab))}
	for i, l := range lab {
		if l > 9 {
			return MNIST{}, &Error{File: labelsName, Where: fmt.Sprintf("label %d", i), Msg: fmt.Sprintf("%d out of range 0..9", l)}
		}
		m.Labels[i] = int(l)
	}
	return m, nil
}
