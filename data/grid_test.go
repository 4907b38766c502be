package data

import (
	"fmt"
	"math"
	"testing"
)

func TestLoadGridRealFile(t *testing.T) {
	g, err := LoadGrid("data/jacksboro_fault_dem.npz", readFile(t, "jacksboro_fault_dem.npz"), "elevation")
	if err != nil {
		t.Fatal(err)
	}
	if g.Rows != 344 || g.Cols != 403 || len(g.Z) != 344*403 {
		t.Fatalf("got %d x %d with %d values, want 344 x 403", g.Rows, g.Cols, len(g.Z))
	}
	// The study's 400 x 400 window, cut to what the grid has.
	c := Crop(g, 400, 400)
	if c.Rows != 344 || c.Cols != 400 || len(c.Z) != 344*400 {
		t.Fatalf("Crop: got %d x %d with %d values, want 344 x 400", c.Rows, c.Cols, len(c.Z))
	}
	for _, rc := range [][2]int{{0, 0}, {0, 399}, {343, 0}, {343, 399}, {100, 200}} {
		if c.At(rc[0], rc[1]) != g.At(rc[0], rc[1]) {
			t.Errorf("Crop: cell %v = %v, want %v", rc, c.At(rc[0], rc[1]), g.At(rc[0], rc[1]))
		}
	}
}

func TestLoadGridFormats(t *testing.T) {
	vals := ramp(12, -3.5, 0.25)
	want := fmt.Sprint(vals)
	tif := encodeTIFF(tiffSpec{w: 4, h: 3, st: sampleType{8, 'f'}, vals: vals})
	npy := npyBytes("<f8", []int{3, 4}, vals)
	npz := npzBytes(map[string][]byte{"z.npy": npy, "dx.npy": npyBytes("<f8", nil, []float64{1})})
	for _, tc := range []struct {
		name, array string
		b           []byte
	}{
		{"dem.tif", "", tif},
		{"DEM.TIFF", "ignored", tif},
		{"dem.npy", "", npy},
		{"dem.npz", "z", npz},
		{"no extension", "", tif},
		{"dem.bin", "z", npz},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := LoadGrid(tc.name, tc.b, tc.array)
			if err != nil {
				t.Fatal(err)
			}
			if g.Rows != 3 || g.Cols != 4 || fmt.Sprint(g.Z) != want {
				t.Errorf("got %d x %d %v, want 3 x 4 %s", g.Rows, g.Cols, g.Z, want)
			}
		})
	}
}

func TestLoadGridErrors(t *testing.T) {
	npy := npyBytes("<f8", []int{3, 4}, ramp(12, 0, 1))
	npz := npzBytes(map[string][]byte{"z.npy": npy, "v.npy": npyBytes("<i2", []int{5}, ramp(5, 0, 1)), "dx.npy": npyBytes("<f8", nil, []float64{1})})
	tif := encodeTIFF(tiffSpec{w: 4, h: 3, st: sampleType{2, 'i'}, vals: ramp(12, 0, 1)})
	for _, tc := range []struct {
		name, file, array string
		b                 []byte
		want              string
	}{
		{"1-D npy", "x.npy", "", npyBytes("<f4", []int{5}, ramp(5, 0, 1)), "x.npy: shape (5,) is 1-D; want a 2-D grid (rows, cols)"},
		{"1-D npz member", "x.npz", "v", npz, "x.npz: v.npy: shape (5,) is 1-D; want a 2-D grid (rows, cols)"},
		{"0-d npz member", "x.npz", "dx", npz, "x.npz: dx.npy: shape () is 0-D; want a 2-D grid (rows, cols)"},
		{"3-D", "x.npy", "", npyBytes("|u1", []int{2, 2, 2}, ramp(8, 0, 1)), "x.npy: shape (2, 2, 2) is 3-D"},
		{"one row", "x.npy", "", npyBytes("<f8", []int{1, 5}, ramp(5, 0, 1)), "x.npy: grid of 1 x 5 (rows x cols) is too small; want at least 2 x 2"},
		{"one column tif", "x.tif", "", encodeTIFF(tiffSpec{w: 1, h: 3, st: sampleType{2, 'i'}, vals: ramp(3, 0, 1)}), "x.tif: grid of 3 x 1 (rows x cols) is too small"},
		{"empty", "x.npy", "", npyBytes("<f8", []int{0, 4}, nil), "x.npy: grid of 0 x 4"},
		{"NaN", "x.npy", "", npyBytes("<f8", []int{2, 2}, []float64{1, 2, math.NaN(), 4}), "x.npy: 1 of 4 values are NaN or infinite, the first at index (1, 0)"},
		{"missing npz member", "x.npz", "elevation", npz, `x.npz: no array "elevation" (member elevation.npy); the archive holds: dx, v, z`},
		{"tif named npy", "x.npy", "", tif, "x.npy: the name says a NumPy .npy array but the content is a TIFF/GeoTIFF image"},
		{"npz named tif", "x.tif", "z", npz, "x.tif: the name says a TIFF/GeoTIFF image but the content is a NumPy .npz archive"},
		{"html named tif", "x.tif", "", []byte("<html>not found</html>"), `x.tif: the name says a TIFF/GeoTIFF image but the content does not start like one (it starts with "<html>no")`},
		{"unknown", "x.dat", "", []byte("1 2 3\n4 5 6\n"), `x.dat: not a .npy, .npz or GeoTIFF file (it starts with "1 2 3\n4 ")`},
		{"empty unknown", "x", "", nil, `x: not a .npy, .npz or GeoTIFF file (it starts with "")`},
		{"tif with voids", "x.tif", "", encodeTIFF(tiffSpec{w: 2, h: 2, st: sampleType{2, 'i'}, vals: []float64{1, 2, 3, -32768}}),
			"x.tif: 1 of 4 cells have no data (1 equal to the SRTM void -32768); the first is at row 1, column 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadGrid(tc.file, tc.b, tc.array)
			wantErr(t, err, tc.want)
		})
	}
}

func TestCrop(t *testing.T) {
	g := Grid{Rows: 3, Cols: 4, Z: ramp(12, 0, 1)}
	for _, tc := range []struct {
		rows, cols int
		want       string
	}{
		{2, 3, "2x3 [0 1 2 4 5 6]"},
		{3, 4, "3x4 [0 1 2 3 4 5 6 7 8 9 10 11]"},
		{400, 400, "3x4 [0 1 2 3 4 5 6 7 8 9 10 11]"},
		{1, 400, "1x4 [0 1 2 3]"},
	} {
		c := Crop(g, tc.rows, tc.cols)
		if got := fmt.Sprintf("%dx%d %v", c.Rows, c.Cols, c.Z); got != tc.want {
			t.Errorf("Crop(%d, %d) = %s, want %s", tc.rows, tc.cols, got, tc.want)
		}
	}
	c := Crop(g, 3, 4)
	c.Z[0] = 99
	if g.Z[0] != 0 {
		t.Error("Crop shares its values with the input")
	}
	defer func() {
		if r := recover(); r == nil || fmt.Sprint(r) != "data: Crop to 0 x 4: rows and cols must be at least 1" {
			t.Errorf("Crop(0, 4): got panic %v", r)
		}
	}()
	Crop(g, 0, 4)
}
