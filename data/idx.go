package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MNIST is a set of 28x28 greyscale images (0..255) with their labels.
type MNIST struct {
	Rows, Cols int
	Pixels     []byte // n*Rows*Cols, image after image, row-major
	Labels     []int  // n labels, 0..9
}

// maxIDXBytes bounds the data of one IDX file (256 MiB; MNIST's training
// images are 47 MB).
const maxIDXBytes = 1 << 28

// maxDeflateRatio is the most Deflate (gzip, zlib, zip) can inflate: 1032:1.
const maxDeflateRatio = 1032

// readIDX parses an IDX file of unsigned bytes (optionally gzip-compressed):
// the format of the MNIST distribution (magic 0x0000 08 D, then D big-endian
// uint32 dimensions, then the bytes). A gzip stream is inflated only as far
// as the header declares, and only if it can hold that much.
func readIDX(name string, b []byte, wantDims int) (dims []int, body []byte, err error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		hdr := b[:min(len(b), 4+4*wantDims)]
		dims, n, err := idxHeader(name, hdr, wantDims)
		if err != nil {
			return nil, nil, err
		}
		body = b[len(hdr):]
		if len(body) != n {
			return nil, nil, &Error{File: name, Msg: fmt.Sprintf("header says %v = %d bytes but the file holds %d", dims, n, len(body))}
		}
		return dims, body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil, &Error{File: name, Msg: "not a gzip stream", Err: err}
	}
	hdr := make([]byte, 4+4*wantDims)
	k, rerr := io.ReadFull(zr, hdr)
	if rerr != nil && rerr != io.ErrUnexpectedEOF && rerr != io.EOF {
		return nil, nil, &Error{File: name, Msg: "corrupt gzip stream", Err: rerr}
	}
	dims, n, err := idxHeader(name, hdr[:k], wantDims)
	if err != nil {
		return nil, nil, err
	}
	if n > maxDeflateRatio*len(b) {
		return nil, nil, &Error{File: name, Msg: fmt.Sprintf("header says %v = %d bytes, more than a %d-byte gzip stream can hold", dims, n, len(b))}
	}
	body = make([]byte, n)
	got := 0
	for got < n && rerr == nil {
		var m int
		m, rerr = zr.Read(body[got:])
		got += m
	}
	switch {
	case got == n:
		var one [1]byte
		if m, err := io.ReadFull(zr, one[:]); m > 0 {
			return nil, nil, &Error{File: name, Msg: fmt.Sprintf("header says %v = %d bytes but the file holds more", dims, n)}
		} else if err != io.EOF {
			return nil, nil, &Error{File: name, Msg: "corrupt gzip stream", Err: err}
		}
	case rerr == io.EOF:
		return nil, nil, &Error{File: name, Msg: fmt.Sprintf("header says %v = %d bytes but the file holds %d", dims, n, got)}
	case errors.Is(rerr, io.ErrUnexpectedEOF):
		return nil, nil, &Error{File: name, Msg: "truncated gzip stream", Err: rerr}
	default:
		return nil, nil, &Error{File: name, Msg: "corrupt gzip stream", Err: rerr}
	}
	return dims, body, nil
}

// idxHeader checks the header bytes of an IDX file (fewer than a whole
// header when the file is shorter) and returns the dimensions and the number
// of data bytes they declare.
func idxHeader(name string, b []byte, wantDims int) (dims []int, n int, err error) {
	if len(b) < 4 || b[0] != 0 || b[1] != 0 {
		return nil, 0, &Error{File: name, Where: "header", Msg: "not an IDX file (bad magic)"}
	}
	if b[2] != 0x08 {
		return nil, 0, &Error{File: name, Where: "header", Msg: fmt.Sprintf("element type 0x%02x not supported (want 0x08, unsigned bytes)", b[2])}
	}
	if int(b[3]) != wantDims {
		return nil, 0, &Error{File: name, Where: "header", Msg: fmt.Sprintf("%d dimensions, want %d", b[3], wantDims)}
	}
	if len(b) < 4+4*wantDims {
		return nil, 0, &Error{File: name, Where: "header", Msg: "truncated dimensions"}
	}
	n = 1
	for i := 0; i < wantDims; i++ {
		d := int(binary.BigEndian.Uint32(b[4+4*i:]))
		if d <= 0 || d > 1<<24 || n > maxIDXBytes/d {
			return nil, 0, &Error{File: name, Where: fmt.Sprintf("dimension %d", i), Msg: fmt.Sprintf("size %d out of range (at most %d bytes in all)", d, maxIDXBytes)}
		}
		dims = append(dims, d)
		n *= d
	}
	return dims, n, nil
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
