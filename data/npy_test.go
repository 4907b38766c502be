package data

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math"
	"testing"
)

func TestReadNPZRealFile(t *testing.T) {
	b := readFile(t, "jacksboro_fault_dem.npz")
	a, err := ReadNPZ("jacksboro_fault_dem.npz", b, "elevation")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.Shape) != "[344 403]" || a.Dtype != "<i2" || len(a.Data) != 344*403 {
		t.Fatalf("got shape %v dtype %s with %d values, want [344 403] <i2 with %d", a.Shape, a.Dtype, len(a.Data), 344*403)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range a.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 236 || hi != 1076 {
		t.Errorf("elevation range %v..%v, want 236..1076", lo, hi)
	}
	// 3 arc-second spacing, in degrees, as 0-d float64 arrays.
	for _, name := range []string{"dx", "dy"} {
		s, err := ReadNPZ("jacksboro_fault_dem.npz", b, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Shape) != 0 || len(s.Data) != 1 || s.Dtype != "<f8" {
			t.Fatalf("%s: shape %v, %d values, dtype %s; want a 0-d <f8", name, s.Shape, len(s.Data), s.Dtype)
		}
		if math.Abs(s.Data[0]-1.0/1200) > 1e-9 {
			t.Errorf("%s = %v, want 1/1200 degree", name, s.Data[0])
		}
	}
	for _, name := range []string{"xmin", "xmax", "ymin", "ymax"} {
		if _, err := ReadNPZ("jacksboro_fault_dem.npz", b, name+".npy"); err != nil {
			t.Error(err)
		}
	}
}

func TestReadNPYDtypes(t *testing.T) {
	for _, tc := range []struct {
		descr string
		vals  []float64
	}{
		{"<f8", []float64{-1.5, 0, 1e300, 236.25, math.Copysign(0, -1), 5}},
		{"<f4", []float64{-1.5, 0, 0x1p100, 236.25, 1, 5}},
		{"<i2", []float64{-32768, -1, 0, 1076, 32767, 5}},
		{"<i4", []float64{-2147483648, -1, 0, 1076, 2147483647, 5}},
		{"<u2", []float64{0, 1, 65535, 1076, 236, 5}},
		{"|u1", []float64{0, 1, 255, 16, 236, 5}},
		{"|i1", []float64{-128, -1, 0, 127, 16, 5}},
	} {
		t.Run(tc.descr, func(t *testing.T) {
			a, err := ReadNPY("x.npy", npyBytes(tc.descr, []int{2, 3}, tc.vals))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(a.Shape) != "[2 3]" || a.Dtype != tc.descr || fmt.Sprint(a.Data) != fmt.Sprint(tc.vals) {
				t.Errorf("got %v %s %v, want [2 3] %s %v", a.Shape, a.Dtype, a.Data, tc.descr, tc.vals)
			}
		})
	}
}

func TestReadNPYHeaders(t *testing.T) {
	body := npyBody("<f8", []float64{1, 2, 3, 4, 5, 6})
	for _, tc := range []struct {
		name  string
		b     []byte
		shape string
	}{
		{"version 2", npyRaw(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", body), "[2 3]"},
		{"version 3", npyRaw(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", body), "[2 3]"},
		{"1-D", npyRaw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", body), "[6]"},
		{"3-D", npyRaw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3), }", body), "[1 2 3]"},
		{"0-d", npyRaw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", body[:8]), "[]"},
		{"empty", npyRaw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", nil), "[0 3]"},
		{"Python 2 longs", npyRaw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }", body), "[2 3]"},
		{"other key order, double quotes", npyRaw(1, `{"shape": (2,3), "fortran_order": False, "descr": "<f8"}`, body), "[2 3]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadNPY("x.npy", tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(a.Shape) != tc.shape || len(a.Data) != len(body)/8 && tc.shape != "[]" && tc.shape != "[0 3]" {
				t.Errorf("got shape %v with %d values, want %s", a.Shape, len(a.Data), tc.shape)
			}
		})
	}
}

func TestReadNPYErrors(t *testing.T) {
	f8 := func(shape string) string {
		return "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }"
	}
	body6 := npyBody("<f8", ramp(6, 0, 1))
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"dtype >f8", npyRaw(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (6,), }", body6),
			"x.npy: header: dtype '>f8' not supported (want <f8, <f4, <i2"},
		{"dtype <c16", npyRaw(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }", body6),
			"x.npy: header: dtype '<c16' not supported"},
		{"structured dtype", npyRaw(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (6,), }", body6),
			"x.npy: header: 'descr' is not a simple dtype string"},
		{"fortran order", npyRaw(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", body6),
			"x.npy: header: fortran_order True not supported"},
		{"header larger than data", npyBytes("<i2", []int{344, 403}, make([]float64, 500)),
			"x.npy: header says shape (344, 403) = 138632 values of 2 bytes but the file holds 1000 bytes after the header"},
		{"header smaller than data", npyRaw(1, f8("(2, 2)"), body6),
			"x.npy: header says shape (2, 2) = 4 values of 8 bytes but the file holds 48 bytes after the header"},
		{"partial value", npyRaw(1, f8("(6,)"), body6[:47]),
			"x.npy: header says shape (6,) = 6 values of 8 bytes but the file holds 47 bytes"},
		{"overflowing shape", npyRaw(1, f8("(4611686018427387904, 4611686018427387904)"), body6),
			"x.npy: header says shape (4611686018427387904, 4611686018427387904), more than the 33554432 values an array may hold (the file holds 48 bytes after the header)"},
		{"shape above the limit", npyRaw(1, f8("(6000, 6000)"), body6),
			"x.npy: header says shape (6000, 6000), more than the 33554432 values an array may hold (the file holds 48 bytes after the header)"},
		{"huge dimension", npyRaw(1, f8("(99999999999999999999,)"), body6), "x.npy: header: integer out of range"},
		{"bad magic", []byte("\x93NUMPX\x01\x00"), "x.npy: not a NumPy .npy file"},
		{"empty file", nil, "x.npy: not a NumPy .npy file"},
		{"truncated header", npyRaw(1, f8("(6,)"), body6)[:40], "x.npy: header: header length 118 exceeds the file's 40 bytes"},
		{"version 4", append([]byte("\x93NUMPY\x04\x00"), 0, 0), "x.npy: header: format version 4.0 not supported"},
		{"missing shape", npyRaw(1, "{'descr': '<f8', 'fortran_order': False}", body6), "x.npy: header: key 'shape' missing"},
		{"extra key", npyRaw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'x': 1}", body6), "x.npy: header: unexpected key 'x'"},
		{"duplicate key", npyRaw(1, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", body6), "x.npy: header: key 'descr' appears twice"},
		{"shape not a tuple", npyRaw(1, f8("(6)"), body6), "x.npy: header: 'shape' is not a tuple"},
		{"negative dimension", npyRaw(1, f8("(-6,)"), body6), "x.npy: header: 'shape' dimension 0 is not a non-negative integer"},
		{"unterminated dict", npyRaw(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), ", body6), "x.npy: header: quoted key missing at the end of the header"},
		{"not a dict", npyRaw(1, "['descr']", body6), "x.npy: header: not a dict"},
		{"deep nesting", npyRaw(1, "{'descr': "+string(bytes.Repeat([]byte("("), 40))+"}", body6), "x.npy: header: nested too deeply"},
		{"NaN", npyBytes("<f8", []int{3}, []float64{1, math.NaN(), math.Inf(1)}),
			"x.npy: 2 of 3 values are NaN or infinite, the first at index (1,)"},
		{"Inf in 2-D", npyBytes("<f4", []int{2, 3}, []float64{1, 2, 3, 4, math.Inf(-1), 6}),
			"x.npy: 1 of 6 values are NaN or infinite, the first at index (1, 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNPY("x.npy", tc.b)
			wantErr(t, err, tc.want)
		})
	}
}

func TestReadNPZ(t *testing.T) {
	grid := npyBytes("<i2", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	scalar := npyBytes("<f8", nil, []float64{0.5})
	two := npzBytes(map[string][]byte{"elevation.npy": grid, "dx.npy": scalar})
	one := npzBytes(map[string][]byte{"z.npy": grid})

	for _, tc := range []struct {
		name, array string
		b           []byte
		shape       string
	}{
		{"by name", "elevation", two, "[2 3]"},
		{"with suffix", "elevation.npy", two, "[2 3]"},
		{"scalar", "dx", two, "[]"},
		{"the only member", "", one, "[2 3]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadNPZ("x.npz", tc.b, tc.array)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(a.Shape) != tc.shape {
				t.Errorf("got shape %v, want %s", a.Shape, tc.shape)
			}
		})
	}

	// A stored member whose CRC does not match.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "z.npy", Method: zip.Store})
	w.Write(grid)
	zw.Close()
	badCRC := buf.Bytes()
	i := bytes.Index(badCRC, grid[len(grid)-4:])
	badCRC[i] ^= 1

	for _, tc := range []struct {
		name, array string
		b           []byte
		want        string
	}{
		{"missing member", "foo", two, `x.npz: no array "foo" (member foo.npy); the archive holds: dx, elevation`},
		{"no name, two members", "", two, "x.npz: no array named, and the archive does not hold exactly one (the archive holds: dx, elevation)"},
		{"no members", "elevation", npzBytes(nil), `x.npz: no array "elevation" (member elevation.npy); the archive holds no .npy members`},
		{"not a zip", "elevation", []byte("PK\x03\x04 but not a zip at all"), "x.npz: not a readable .npz (zip) archive"},
		{"bad member", "bad", npzBytes(map[string][]byte{"bad.npy": npyRaw(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}", make([]byte, 8))}),
			"x.npz: bad.npy: header: dtype '>f8' not supported"},
		{"lying member", "z", npzBytes(map[string][]byte{"z.npy": grid[:len(grid)-2]}),
			"x.npz: z.npy: header says shape (2, 3) = 6 values of 2 bytes but the file holds 10 bytes after the header"},
		{"CRC mismatch", "z", badCRC, "x.npz: z.npy: corrupt member: zip: checksum error"},
		{"truncated archive", "elevation", two[:len(two)/2], "x.npz: not a readable .npz (zip) archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNPZ("x.npz", tc.b, tc.array)
			wantErr(t, err, tc.want)
		})
	}
}
