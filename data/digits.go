package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// DigitsPixels is the number of pixels of one digit image (8 x 8).
const DigitsPixels = 64

// maxInflated bounds the decompressed size of an .npz member (1 GiB), so a
// hostile file cannot exhaust memory.
const maxInflated = 1 << 30

// Bounds of a digits CSV. The rows are parsed as they are decompressed, so
// memory grows with the rows parsed (64 float64 values each), never with the
// text; these bounds stop a small gzip file that inflates without end.
const (
	maxDigitsRows    = 100_000  // the UCI set has 5620 images, this file 1797
	maxDigitsLine    = 4096     // bytes of one row (65 numbers)
	maxDigitsInflate = 64 << 20 // bytes of text in all
)

// Digits is the 8x8 digits data set.
type Digits struct {
	Images [][]float64 // n x 64, row-major 8x8 pixels, values 0..16
	Labels []int       // n labels, 0..9
}

// ReadDigitsCSV parses the digits data set: a CSV file without header, one
// image a row, 64 pixel columns (numbers 0..16) then the label (an integer
// 0..9). The file may be gzip-compressed (recognised by its magic bytes) or
// plain. Blank lines at the end are ignored; anywhere else they are errors.
// Rows and columns in errors count from 1. At most 100,000 rows of at most
// 4096 bytes, 64 MiB of text in all, are read; more is an error.
func ReadDigitsCSV(name string, b []byte) (Digits, error) {
	var (
		src  io.Reader = bytes.NewReader(b)
		zr   *gzip.Reader
		what = "empty file"
	)
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		var err error
		if zr, err = gzip.NewReader(bytes.NewReader(b)); err != nil {
			return Digits{}, gzipError(name, err)
		}
		src, what = zr, "empty after decompression"
	}
	d, err := readDigitsRows(name, io.LimitReader(src, maxDigitsInflate+1), what)
	var rf readFailure
	switch {
	case errors.As(err, &rf):
		return Digits{}, gzipError(name, rf.err)
	case err != nil && zr != nil:
		// A corrupt stream can inflate to garbage before gzip notices:
		// read it to its end (bounded, nothing kept) and blame the
		// stream when it is at fault.
		if _, zerr := io.Copy(io.Discard, io.LimitReader(zr, maxDigitsInflate)); zerr != nil {
			return Digits{}, gzipError(name, zerr)
		}
	}
	return d, err
}

// readFailure is readDigitsRows' error when its reader fails.
type readFailure struct{ err error }

func (e readFailure) Error() string { return e.err.Error() }

// gzipError is the loader's error for a gzip stream that fails.
func gzipError(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &Error{File: name, Msg: "truncated gzip stream", Err: io.ErrUnexpectedEOF}
	}
	return &Error{File: name, Msg: "corrupt gzip stream", Err: err}
}

// readDigitsRows parses the rows of r, which holds at most
// maxDigitsInflate+1 bytes. what says why a file without rows has none.
func readDigitsRows(name string, r io.Reader, what string) (Digits, error) {
	var (
		pix      []float64
		labels   []int
		total    int
		blankRow int // the first blank line not yet followed by a row, or 0
	)
	br := bufio.NewReaderSize(r, maxDigitsLine+2)
	for row := 1; ; row++ {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if total > maxDigitsInflate {
			return Digits{}, &Error{File: name, Msg: fmt.Sprintf("more than %d MiB of text; a digits CSV is smaller", maxDigitsInflate>>20)}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return Digits{}, &Error{File: name, Where: rowAt(row), Msg: fmt.Sprintf("longer than %d bytes", maxDigitsLine)}
		case err != nil && err != io.EOF:
			return Digits{}, readFailure{err}
		}
		if row == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				break
			}
			if blankRow == 0 {
				blankRow = row
			}
			continue
		}
		if blankRow != 0 {
			return Digits{}, &Error{File: name, Where: rowAt(blankRow), Msg: "empty line"}
		}
		if len(labels) == maxDigitsRows {
			return Digits{}, &Error{File: name, Where: rowAt(row), Msg: fmt.Sprintf("more than %d rows; a digits CSV is smaller", maxDigitsRows)}
		}
		if len(pix)+DigitsPixels > cap(pix) {
			// Doubling: what is allocated in all stays within twice the final array.
			pix = slices.Grow(pix, max(cap(pix), 256*DigitsPixels))
			labels = slices.Grow(labels, max(cap(labels), 256))
		}
		if n := bytes.Count(line, []byte{','}) + 1; n != DigitsPixels+1 {
			return Digits{}, &Error{File: name, Where: rowAt(row),
				Msg: fmt.Sprintf("%d columns, want %d (%d pixels and a label)", n, DigitsPixels+1, DigitsPixels)}
		}
		for col := 1; col <= DigitsPixels+1; col++ {
			field, after, _ := bytes.Cut(line, []byte{','})
			line = after
			field = bytes.TrimSpace(field)
			where := cellAt{row, col}
			v, err := parseNumber(field)
			if err != nil || len(field) == 0 {
				return Digits{}, &Error{File: name, Where: where.String(), Msg: fmt.Sprintf("%s is not a number", quoteField(field))}
			}
			if col <= DigitsPixels {
				if !(v >= 0 && v <= 16) {
					return Digits{}, &Error{File: name, Where: where.String(), Msg: fmt.Sprintf("pixel %s out of range 0..16", string(field))}
				}
				pix = append(pix, v)
				continue
			}
			if !(v >= 0 && v <= 9) {
				return Digits{}, &Error{File: name, Where: where.String(), Msg: fmt.Sprintf("label %s out of range 0..9", string(field))}
			}
			if v != math.Trunc(v) {
				return Digits{}, &Error{File: name, Where: where.String(), Msg: fmt.Sprintf("label %s is not an integer", string(field))}
			}
			labels = append(labels, int(v))
		}
		if err == io.EOF {
			break
		}
	}
	if len(labels) == 0 {
		return Digits{}, &Error{File: name, Msg: "no rows (" + what + ")"}
	}
	d := Digits{Images: make([][]float64, len(labels)), Labels: labels}
	for i := range d.Images {
		d.Images[i] = pix[i*DigitsPixels : (i+1)*DigitsPixels : (i+1)*DigitsPixels]
	}
	return d, nil
}

// parseNumber parses a CSV field: small integers (every field of the file)
// without allocating, anything else by strconv.ParseFloat.
func parseNumber(f []byte) (float64, error) {
	if len(f) > 0 && len(f) <= 3 {
		v := 0
		for _, c := range f {
			if c < '0' || c > '9' {
				return strconv.ParseFloat(string(f), 64)
			}
			v = 10*v + int(c-'0')
		}
		return float64(v), nil
	}
	return strconv.ParseFloat(string(f), 64)
}

// cellAt is a place in the CSV, formatted only for an error.
type cellAt struct{ row, col int }

func (c cellAt) String() string { return fmt.Sprintf("row %d, column %d", c.row, c.col) }

func rowAt(row int) string { return "row " + strconv.Itoa(row) }

// quoteField quotes a CSV field for an error message, shortening long ones.
func quoteField(f []byte) string {
	const max = 24
	if len(f) > max {
		return strconv.Quote(string(f[:max])) + "..."
	}
	return strconv.Quote(string(f))
}
