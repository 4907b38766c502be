package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// DigitsPixels is the number of pixels of one digit image (8 x 8).
const DigitsPixels = 64

// maxInflated bounds the decompressed size of a gzip stream or an .npz
// member (1 GiB), so a hostile file cannot exhaust memory.
const maxInflated = 1 << 30

// Digits is the 8x8 digits data set.
type Digits struct {
	Images [][]float64 // n x 64, row-major 8x8 pixels, values 0..16
	Labels []int       // n labels, 0..9
}

// ReadDigitsCSV parses the digits data set: a CSV file without header, one
// image a row, 64 pixel columns (numbers 0..16) then the label (an integer
// 0..9). The file may be gzip-compressed (recognised by its magic bytes) or
// plain. Blank lines at the end are ignored; anywhere else they are errors.
// Rows and columns in errors count from 1.
func ReadDigitsCSV(name string, b []byte) (Digits, error) {
	text := b
	what := "empty file"
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		var err error
		if text, err = gunzip(name, b); err != nil {
			return Digits{}, err
		}
		what = "empty after decompression"
	}
	text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	if len(bytes.TrimSpace(text)) == 0 {
		return Digits{}, &Error{File: name, Msg: "no rows (" + what + ")"}
	}

	var (
		pix    []float64
		labels []int
	)
	for row := 1; len(text) > 0; row++ {
		line, rest, _ := bytes.Cut(text, []byte{'\n'})
		text = rest
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			if len(bytes.TrimSpace(rest)) == 0 {
				break
			}
			return Digits{}, &Error{File: name, Where: rowAt(row), Msg: "empty line"}
		}
		if n := bytes.Count(line, []byte{','}) + 1; n != DigitsPixels+1 {
			return Digits{}, &Error{File: name, Where: rowAt(row),
				Msg: fmt.Sprintf("%d columns, want %d (%d pixels and a label)", n, DigitsPixels+1, DigitsPixels)}
		}
		for col := 1; col <= DigitsPixels+1; col++ {
			field, after, _ := bytes.Cut(line, []byte{','})
			line = after
			field = bytes.TrimSpace(field)
			where := fmt.Sprintf("row %d, column %d", row, col)
			v, err := strconv.ParseFloat(string(field), 64)
			if err != nil || len(field) == 0 {
				return Digits{}, &Error{File: name, Where: where, Msg: fmt.Sprintf("%s is not a number", quoteField(field))}
			}
			if col <= DigitsPixels {
				if !(v >= 0 && v <= 16) {
					return Digits{}, &Error{File: name, Where: where, Msg: fmt.Sprintf("pixel %s out of range 0..16", string(field))}
				}
				pix = append(pix, v)
				continue
			}
			if !(v >= 0 && v <= 9) {
				return Digits{}, &Error{File: name, Where: where, Msg: fmt.Sprintf("label %s out of range 0..9", string(field))}
			}
			if v != math.Trunc(v) {
				return Digits{}, &Error{File: name, Where: where, Msg: fmt.Sprintf("label %s is not an integer", string(field))}
			}
			labels = append(labels, int(v))
		}
	}

	d := Digits{Images: make([][]float64, len(labels)), Labels: labels}
	for i := range d.Images {
		d.Images[i] = pix[i*DigitsPixels : (i+1)*DigitsPixels : (i+1)*DigitsPixels]
	}
	return d, nil
}

// gunzip decompresses a whole gzip stream (all members), at most maxInflated bytes.
func gunzip(name string, b []byte) ([]byte, error) {
	fail := func(err error) error {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return &Error{File: name, Msg: "truncated gzip stream", Err: io.ErrUnexpectedEOF}
		}
		return &Error{File: name, Msg: "corrupt gzip stream", Err: err}
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fail(err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxInflated+1))
	if err != nil {
		return nil, fail(err)
	}
	if len(out) > maxInflated {
		return nil, &Error{File: name, Msg: fmt.Sprintf("gzip stream inflates to more than %d bytes", maxInflated)}
	}
	return out, nil
}

func rowAt(row int) string { return "row " + strconv.Itoa(row) }

// quoteField quotes a CSV field for an error message, shortening long ones.
func quoteField(f []byte) string {
	const max = 24
	if len(f) > max {
		return strconv.Quote(string(f[:max])) + "..."
	}
	return strconv.Quote(string(f))
}
