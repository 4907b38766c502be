package data

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strings"
)

// Grid is an elevation grid, row-major: the value at (row r, column c) is
// Z[r*Cols+c].
type Grid struct {
	Rows, Cols int
	Z          []float64 // Rows*Cols values, row-major
}

// At returns the value at row r, column c.
func (g Grid) At(r, c int) float64 { return g.Z[r*g.Cols+c] }

// File formats LoadGrid recognises.
const (
	formatUnknown = ""
	formatNPY     = "a NumPy .npy array"
	formatNPZ     = "a NumPy .npz archive"
	formatTIFF    = "a TIFF/GeoTIFF image"
)

// sniff recognises a file format by its magic bytes.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte(npyMagic)):
		return formatNPY
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return formatNPZ
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")),
		bytes.HasPrefix(b, []byte("II+\x00")), bytes.HasPrefix(b, []byte("MM\x00+")):
		return formatTIFF
	}
	return formatUnknown
}

// formatOfExt maps a file extension to the format it promises.
func formatOfExt(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".npy":
		return formatNPY
	case ".npz":
		return formatNPZ
	case ".tif", ".tiff":
		return formatTIFF
	}
	return formatUnknown
}

// LoadGrid reads an elevation grid from a .npy, .npz or GeoTIFF file.
//
// The format is recognised by the file's magic bytes; a known extension
// (.npy, .npz, .tif, .tiff) that contradicts them is an error, as is a file
// of no known format. array names the .npz member ("elevation" for
// "elevation.npy"; empty selects the only member) and is ignored for the
// other formats. The array must be 2-D with at least 2 rows and 2 columns,
// and every value must be finite, within ±MaxElevation, and not all equal.
func LoadGrid(name string, b []byte, array string) (Grid, error) {
	format, byExt := sniff(b), formatOfExt(name)
	switch {
	case format == formatUnknown && byExt != formatUnknown:
		return Grid{}, &Error{File: name, Msg: fmt.Sprintf("the name says %s but the content does not start like one (it starts with %s)", byExt, quoteField(b[:min(len(b), 8)]))}
	case format == formatUnknown:
		return Grid{}, &Error{File: name, Msg: fmt.Sprintf("not a .npy, .npz or GeoTIFF file (it starts with %s)", quoteField(b[:min(len(b), 8)]))}
	case byExt != formatUnknown && byExt != format:
		return Grid{}, &Error{File: name, Msg: fmt.Sprintf("the name says %s but the content is %s", byExt, format)}
	}

	var (
		g   Grid
		err error
	)
	switch format {
	case formatTIFF:
		g, err = ReadGeoTIFF(name, b)
	case formatNPY, formatNPZ:
		var a Array
		where := ""
		if format == formatNPY {
			a, err = ReadNPY(name, b)
		} else {
			a, where, err = readNPZ(name, b, array)
		}
		if err != nil {
			return Grid{}, err
		}
		if len(a.Shape) != 2 {
			return Grid{}, &Error{File: name, Where: where, Msg: fmt.Sprintf("shape %s is %d-D; want a 2-D grid (rows, cols)", shapeString(a.Shape), len(a.Shape))}
		}
		g = Grid{Rows: a.Shape[0], Cols: a.Shape[1], Z: a.Data}
	}
	if err != nil {
		return Grid{}, err
	}
	if g.Rows < 2 || g.Cols < 2 {
		return Grid{}, &Error{File: name, Msg: fmt.Sprintf("grid of %d x %d (rows x cols) is too small; want at least 2 x 2", g.Rows, g.Cols)}
	}
	if len(g.Z) != g.Rows*g.Cols {
		// Cannot happen: the readers guarantee it. Checked so a bug shows here, not downstream.
		return Grid{}, &Error{File: name, Msg: fmt.Sprintf("%d values for a %d x %d grid", len(g.Z), g.Rows, g.Cols)}
	}
	if n, first := countNonFinite(g.Z); n > 0 {
		return Grid{}, &Error{File: name, Msg: fmt.Sprintf("%d of %d cells are NaN or infinite; the first is at row %d, column %d (counting from 0)",
			n, len(g.Z), first/g.Cols, first%g.Cols)}
	}
	if n, first := countOutside(g.Z, MaxElevation); n > 0 {
		return Grid{}, &Error{File: name, Msg: fmt.Sprintf("%d of %d cells are outside the elevations allowed, -%g to %g; the first is %g, at row %d, column %d (counting from 0)",
			n, len(g.Z), MaxElevation, MaxElevation, g.Z[first], first/g.Cols, first%g.Cols)}
	}
	if lo, hi := minMax(g.Z); lo == hi {
		return Grid{}, &Error{File: name, Msg: fmt.Sprintf("every one of the %d cells is %g: a constant elevation grid leaves nothing to fit (every model's R² would be 0); check the file (or terrain.array, the member of an .npz)", len(g.Z), lo)}
	}
	return g, nil
}

// MaxElevation bounds the magnitude of an elevation (in metres, feet or any
// unit up to a million): beyond it the grid's range, its scaling and the
// models' squares overflow into infinities and NaN far from the file.
const MaxElevation = 1e6

// countOutside counts the values of z whose magnitude exceeds limit, and
// gives the index of the first.
func countOutside(z []float64, limit float64) (count, first int) {
	first = -1
	for i, v := range z {
		if math.Abs(v) > limit {
			if count == 0 {
				first = i
			}
			count++
		}
	}
	return count, first
}

// minMax returns the smallest and largest of z (not empty).
func minMax(z []float64) (lo, hi float64) {
	lo, hi = z[0], z[0]
	for _, v := range z[1:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// Crop returns a copy of the top-left window of g of at most rows x cols
// cells (fewer where g is smaller). It panics if rows or cols is below 1,
// a programmer error.
func Crop(g Grid, rows, cols int) Grid {
	if rows < 1 || cols < 1 {
		panic(fmt.Sprintf("data: Crop to %d x %d: rows and cols must be at least 1", rows, cols))
	}
	rows, cols = min(rows, g.Rows), min(cols, g.Cols)
	c := Grid{Rows: rows, Cols: cols, Z: make([]float64, rows*cols)}
	for r := range rows {
		copy(c.Z[r*cols:(r+1)*cols], g.Z[r*g.Cols:r*g.Cols+cols])
	}
	return c
}
