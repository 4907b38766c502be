package data

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// tiffStrips is a little-endian TIFF of a 1-column uint8 image of h rows in
// h one-row strips, each one byte, all at the same offset: 8 bytes of
// header per strip, and millions of strips in a few tens of MiB.
func tiffStrips(h int) []byte {
	le := binary.LittleEndian
	type entry struct {
		tag, typ uint16
		count    uint32
		v        uint32
	}
	entries := []entry{{tagImageWidth, typeLong, 1, 1}, {tagImageLength, typeLong, 1, uint32(h)},
		{tagBitsPerSample, typeShort, 1, 8}, {tagStripOffsets, typeLong, uint32(h), 0},
		{tagSamplesPerPixel, typeShort, 1, 1}, {tagRowsPerStrip, typeLong, 1, 1}, {tagStripByteCounts, typeLong, uint32(h), 0}}
	arrays := 8 + 2 + 12*len(entries) + 4
	offsets, counts, sample := arrays, arrays+4*h, arrays+8*h
	b := le.AppendUint32([]byte("II*\x00"), 8)
	b = le.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		switch e.tag {
		case tagStripOffsets:
			e.v = uint32(offsets)
		case tagStripByteCounts:
			e.v = uint32(counts)
		}
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		b = le.AppendUint32(b, e.count)
		b = le.AppendUint32(b, e.v)
	}
	b = le.AppendUint32(b, 0)
	for i := 0; i < h; i++ {
		b = le.AppendUint32(b, uint32(sample))
	}
	for i := 0; i < h; i++ {
		b = le.AppendUint32(b, 1)
	}
	return append(b, 7)
}

// A GeoTIFF of millions of one-row strips is refused from its header, before
// anything is allocated for them (a 128 MiB file took 3 GB); so is a
// one-value tag with millions of values.
func TestGeoTIFFManyStripsRefusedFromTheHeader(t *testing.T) {
	b := tiffStrips(1 << 20)
	var err error
	t0 := time.Now()
	n := allocated(func() { _, err = ReadGeoTIFF("strips.tif", b) })
	want := fmt.Sprintf("strips.tif: %d strips of 1 rows: reading them would take 80 MiB, more than the 64 MiB", 1<<20)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "gdal_translate") {
		t.Errorf("error %v, want one starting %q", err, want)
	}
	if n > 1<<20 {
		t.Errorf("allocated %d bytes before refusing %d-byte file", n, len(b))
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("took %v", d)
	}
	// Fewer strips, within the bound, read as before.
	g, err := ReadGeoTIFF("strips.tif", tiffStrips(1000))
	if err != nil || g.Rows != 1000 || g.Cols != 1 || g.Z[999] != 7 {
		t.Errorf("1000 strips: %d x %d, %v", g.Rows, g.Cols, err)
	}
	// ImageWidth with a million values (all in the file).
	le := binary.LittleEndian
	wide := tiffStrips(2)
	ifd := wide[10:]
	le.PutUint32(ifd[4:], 1<<20) // count of ImageWidth
	le.PutUint32(ifd[8:], 8)     // its values: from the start of the file
	wide = append(wide, make([]byte, 4<<20)...)
	n = allocated(func() { _, err = ReadGeoTIFF("wide.tif", wide) })
	if err == nil || !strings.Contains(err.Error(), "wide.tif: tag 256 (ImageWidth): 1048576 values; want one") {
		t.Errorf("ImageWidth of a million values: %v", err)
	}
	if n > 1<<20 {
		t.Errorf("allocated %d bytes for a tag of a million values", n)
	}
}

// Elevations beyond ±MaxElevation (±1e308 failed later with an unexplained
// NaN) and a constant grid (a whole report with R² 0) are errors naming the
// file, the range allowed, and where.
func TestElevationsOutOfRangeOrConstant(t *testing.T) {
	f64 := sampleType{8, 'f'}
	vals := ramp(12, 100, 1)
	at := func(i int, v float64) []float64 {
		w := append([]float64(nil), vals...)
		w[i] = v
		return w
	}
	for _, tc := range []struct {
		name string
		vals []float64
		want string
	}{
		{"1e308", at(5, 1e308), "dem.tif: 1 of 12 cells are outside the elevations allowed, -1e+06 to 1e+06; the first is 1e+308, at row 1, column 1 (counting from 0)"},
		{"-1e308", at(11, -1e308), "dem.tif: 1 of 12 cells are outside the elevations allowed, -1e+06 to 1e+06; the first is -1e+308, at row 2, column 3"},
		{"max float", at(0, math.MaxFloat64), "outside the elevations allowed"},
		{"constant", ramp(12, 250, 0), "dem.tif: every one of the 12 cells is 250: a constant elevation grid leaves nothing to fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeTIFF(tiffSpec{w: 4, h: 3, st: f64, vals: tc.vals})
			_, err := LoadGrid("dem.tif", b, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := LoadGrid("dem.tif", encodeTIFF(tiffSpec{w: 4, h: 3, st: f64, vals: at(3, -MaxElevation)}), ""); err != nil {
		t.Errorf("an elevation of -MaxElevation: %v", err)
	}
}

// FuzzLoadGrid checks that whatever LoadGrid accepts is a grid the terrain
// stages can use (finite, within ±MaxElevation, not constant, at least
// 2 x 2), and that it refuses everything else with an error naming the file.
func FuzzLoadGrid(f *testing.F) {
	f64 := sampleType{8, 'f'}
	f.Add(encodeTIFF(tiffSpec{w: 3, h: 2, st: f64, vals: ramp(6, -1, 1)}), "")
	f.Add(encodeTIFF(tiffSpec{w: 2, h: 2, st: f64, vals: []float64{1e308, 0, 1, 2}}), "")
	f.Add(encodeTIFF(tiffSpec{w: 2, h: 2, st: f64, vals: ramp(4, 5, 0)}), "")
	f.Add(npyBytes("<f8", []int{2, 2}, ramp(4, 0, 1)), "")
	f.Add(npzBytes(map[string][]byte{"elevation.npy": npyBytes("<f8", []int{2, 2}, ramp(4, 0, 1))}), "elevation")
	f.Add(tiffStrips(3), "")
	f.Fuzz(func(t *testing.T, b []byte, array string) {
		for _, name := range []string{"g.tif", "g.npy", "g.npz", "g"} {
			g, err := LoadGrid(name, b, array)
			if err != nil {
				checkErr(t, name, err)
				continue
			}
			checkGrid(t, g)
			if g.Rows < 2 || g.Cols < 2 {
				t.Fatalf("%s: a %d x %d grid accepted", name, g.Rows, g.Cols)
			}
			lo, hi := minMax(g.Z)
			if lo == hi || lo < -MaxElevation || hi > MaxElevation {
				t.Fatalf("%s: accepted elevations from %g to %g", name, lo, hi)
			}
		}
	})
}
