package data

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets check that no input makes a loader panic, that every
// error is an *Error naming the file, and that a nil error comes with valid
// output. `go test` runs them on the f.Add seeds and on the committed corpus
// in testdata/fuzz/<FuzzName>/, which `go test -run TestFuzzCorpus
// -update-corpus` regenerates (the fuzzer adds its finds there too).

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the generated seed files under testdata/fuzz")

// checkErr checks the form of a loader's error.
func checkErr(t *testing.T, name string, err error) {
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error of type %T, want *data.Error: %v", err, err)
	}
	if e.File != name || !strings.HasPrefix(err.Error(), name+": ") {
		t.Fatalf("error %q does not start with the file name %q", err, name)
	}
}

func checkFinite(t *testing.T, z []float64) {
	for i, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("value %d is %v", i, v)
		}
	}
}

func checkArray(t *testing.T, a Array) {
	n := 1
	for _, d := range a.Shape {
		if d < 0 {
			t.Fatalf("shape %v", a.Shape)
		}
		n *= d
	}
	if n != len(a.Data) {
		t.Fatalf("shape %v but %d values", a.Shape, len(a.Data))
	}
	if _, ok := npyDtypes[a.Dtype]; !ok {
		t.Fatalf("dtype %q", a.Dtype)
	}
	checkFinite(t, a.Data)
}

func checkGrid(t *testing.T, g Grid) {
	if g.Rows < 1 || g.Cols < 1 || len(g.Z) != g.Rows*g.Cols {
		t.Fatalf("grid %d x %d with %d values", g.Rows, g.Cols, len(g.Z))
	}
	checkFinite(t, g.Z)
}

func FuzzReadDigitsCSV(f *testing.F) {
	f.Add([]byte(digitsCSV(3, nil)))
	f.Add(gzipBytes([]byte(digitsCSV(2, nil))))
	f.Add([]byte(digitsCSV(2, map[int]string{2: digitRow("16", "10")})))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ReadDigitsCSV("d.csv", b)
		if err != nil {
			checkErr(t, "d.csv", err)
			return
		}
		if len(d.Images) == 0 || len(d.Images) != len(d.Labels) {
			t.Fatalf("%d images, %d labels", len(d.Images), len(d.Labels))
		}
		for i, img := range d.Images {
			if len(img) != DigitsPixels {
				t.Fatalf("image %d: %d pixels", i, len(img))
			}
			for _, v := range img {
				if !(v >= 0 && v <= 16) {
					t.Fatalf("image %d: pixel %v", i, v)
				}
			}
			if l := d.Labels[i]; l < 0 || l > 9 {
				t.Fatalf("image %d: label %d", i, l)
			}
		}
	})
}

func FuzzReadNPY(f *testing.F) {
	f.Add(npyBytes("<i2", []int{2, 3}, ramp(6, -2, 1)))
	f.Add(npyBytes("<f8", nil, []float64{0.5}))
	f.Add(npyRaw(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", npyBody("<f4", ramp(3, 0, 1))))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadNPY("x.npy", b)
		if err != nil {
			checkErr(t, "x.npy", err)
			return
		}
		checkArray(t, a)
	})
}

func FuzzReadNPZ(f *testing.F) {
	f.Add(npzBytes(map[string][]byte{"elevation.npy": npyBytes("<i2", []int{2, 2}, ramp(4, 0, 1))}), "elevation")
	f.Add(npzBytes(map[string][]byte{"a.npy": npyBytes("|u1", []int{3}, ramp(3, 0, 1)), "b.npy": nil}), "")
	f.Fuzz(func(t *testing.T, b []byte, array string) {
		a, err := ReadNPZ("x.npz", b, array)
		if err != nil {
			checkErr(t, "x.npz", err)
			return
		}
		checkArray(t, a)
	})
}

func FuzzReadGeoTIFF(f *testing.F) {
	f.Add(encodeTIFF(tiffSpec{w: 3, h: 2, st: sampleType{2, 'i'}, vals: ramp(6, -1, 1)}))
	f.Add(encodeTIFF(tiffSpec{w: 5, h: 3, st: sampleType{4, 'f'}, vals: ramp(15, 0, 0.5), tileW: 4, tileH: 2, comp: compLZW, pred: 3}))
	f.Add(encodeTIFF(tiffSpec{bo: binary.BigEndian, big: true, w: 3, h: 3, st: sampleType{2, 'u'}, vals: ramp(9, 0, 7), rps: 2, comp: compDeflate, pred: 2, nodata: "0"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ReadGeoTIFF("x.tif", b)
		if err != nil {
			checkErr(t, "x.tif", err)
			return
		}
		checkGrid(t, g)
	})
}

// corpusSeeds are the generated entries of the committed seed corpus: edge
// cases beyond the f.Add seeds. Each value is the fuzz function's arguments.
func corpusSeeds() map[string]map[string][]any {
	i16, f32, f64 := sampleType{2, 'i'}, sampleType{4, 'f'}, sampleType{8, 'f'}
	csv := digitsCSV(2, nil)
	npy := npyBytes("<f8", []int{2, 2}, ramp(4, 0, 1))
	return map[string]map[string][]any{
		"FuzzReadDigitsCSV": {
			"truncated-gzip": {gzipBytes([]byte(csv))[:40]},
			"63-columns":     {[]byte(strings.Repeat("1,", 62) + "1\n")},
			"crlf-decimals":  {[]byte(strings.ReplaceAll(digitsCSV(2, map[int]string{1: digitRow("0.5", "9.0")}), "\n", "\r\n"))},
			"blank-line":     {[]byte(csv + "\n" + csv)},
		},
		"FuzzReadNPY": {
			"v3-u2":         {npyRaw(3, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 1), }", npyBody("<u2", []float64{1, 65535}))},
			"lying-header":  {npyBytes("<i2", []int{344, 403}, ramp(10, 0, 1))},
			"fortran":       {npyRaw(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", npyBody("<f8", ramp(4, 0, 1)))},
			"big-endian":    {npyRaw(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", make([]byte, 8))},
			"nan":           {npyBytes("<f4", []int{2}, []float64{math.NaN(), 1})},
			"python2-longs": {npyRaw(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2L, 1L), }", []byte{0xff, 1})},
		},
		"FuzzReadNPZ": {
			"missing-member": {npzBytes(map[string][]byte{"dx.npy": npyBytes("<f8", nil, []float64{1})}), "elevation"},
			"two-members":    {npzBytes(map[string][]byte{"a.npy": npy, "b.npy": npy}), "b.npy"},
			"bad-member":     {npzBytes(map[string][]byte{"a.npy": npy[:len(npy)-3]}), "a"},
		},
		"FuzzReadGeoTIFF": {
			"srtm-void": {encodeTIFF(tiffSpec{w: 4, h: 2, st: i16, vals: []float64{1, 2, -32768, 4, 5, 6, 7, 8}, nodata: "-32768"})},
			"f32-nan":   {encodeTIFF(tiffSpec{w: 2, h: 2, st: f32, vals: []float64{1, math.NaN(), 3, 4}})},
			"tiled-lzw-pred2": {encodeTIFF(tiffSpec{w: 5, h: 5, st: i16, vals: ramp(25, -10, 3),
				tileW: 4, tileH: 4, comp: compLZW, pred: 2})},
			"bigtiff-packbits": {encodeTIFF(tiffSpec{big: true, w: 4, h: 3, st: f64, vals: ramp(12, 0, 0), rps: 1, comp: compPackBits})},
			"big-endian-deflate-pred3": {encodeTIFF(tiffSpec{bo: binary.BigEndian, w: 3, h: 2, st: f32,
				vals: ramp(6, 100, 0.25), comp: compDeflatePK, pred: 3})},
		},
	}
}

// marshalCorpus writes values in the "go test fuzz v1" file format.
func marshalCorpus(vals []any) []byte {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
		default:
			panic(fmt.Sprintf("marshalCorpus: %T", v))
		}
	}
	return []byte(b.String())
}

// TestFuzzCorpus checks that the generated seed files are committed;
// -update-corpus rewrites them.
func TestFuzzCorpus(t *testing.T) {
	for target, seeds := range corpusSeeds() {
		for name, vals := range seeds {
			path := filepath.Join("testdata", "fuzz", target, "seed-"+name)
			want := marshalCorpus(vals)
			if *updateCorpus {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%v (run go test ./data/ -run TestFuzzCorpus -update-corpus)", err)
			} else if string(got) != string(want) {
				// Not an error: compressors may change their output between
				// Go releases, and any seed is a valid seed.
				t.Logf("%s differs from what the generator writes now", path)
			}
		}
	}
}
