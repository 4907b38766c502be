package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/tiff"
	"golang.org/x/image/tiff/lzw"
)

// The test encoder's LZW and PackBits must round-trip through the readers
// the loader uses, or the GeoTIFF tests below prove nothing.
func TestTestEncoders(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	inputs := map[string][]byte{"empty": nil, "one": {7}, "zeros": make([]byte, 20000)}
	noisy := make([]byte, 30000) // long enough to reach 12-bit codes and a clear code
	for i := range noisy {
		noisy[i] = byte(rng.IntN(6))
	}
	inputs["noisy"] = noisy
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	inputs["random"] = random
	for name, in := range inputs {
		got, err := io.ReadAll(lzw.NewReader(bytes.NewReader(lzwEncode(in)), lzw.MSB, 8))
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("LZW %s: round trip gives %d bytes, err %v; want %d bytes", name, len(got), err, len(in))
		}
		got, err = io.ReadAll(&packBitsReader{src: packBitsEncode(in)})
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("PackBits %s: round trip gives %d bytes, err %v; want %d bytes", name, len(got), err, len(in))
		}
	}
}

// testValues returns w*h values that fit sample type st, varied enough to
// exercise the predictors and including negative numbers where allowed.
func testValues(st sampleType, w, h int) []float64 {
	v := make([]float64, w*h)
	for i := range v {
		r, c := float64(i/w), float64(i%w)
		z := 200 + 40*math.Sin(r/3) + 30*math.Cos(c/4) + r - c
		switch st.kind {
		case 'i':
			z -= 150 // some below zero
			v[i] = math.Round(z)
			if st.bytes == 1 {
				v[i] = math.Round(z / 3)
			}
		case 'u':
			v[i] = math.Round(z)
			if st.bytes == 1 {
				v[i] = math.Round(z / 2)
			}
		default:
			v[i] = z
			if st.bytes == 4 {
				v[i] = float64(float32(z))
			}
		}
	}
	return v
}

func TestReadGeoTIFFRoundTrip(t *testing.T) {
	const w, h = 37, 23 // tiles of 16 x 16 overhang both edges
	types := []sampleType{{2, 'i'}, {2, 'u'}, {4, 'f'}, {8, 'f'}, {1, 'u'}, {1, 'i'}, {4, 'i'}, {4, 'u'}}
	layouts := []struct {
		name              string
		tileW, tileH, rps int
	}{{"one strip", 0, 0, 0}, {"strips of 5", 0, 0, 5}, {"tiles", 16, 16, 0}}
	comps := []uint64{compNone, compLZW, compDeflate, compDeflatePK, compPackBits}
	n := 0
	for _, st := range types {
		for li, lay := range layouts {
			for ci, comp := range comps {
				for _, pred := range []uint64{1, 2, 3} {
					if pred == 2 && st.kind == 'f' || pred == 3 && st.kind != 'f' {
						continue
					}
					// Vary byte order and BigTIFF over the combinations.
					var bo byteOrder = binary.LittleEndian
					if (li+ci)%2 == 1 {
						bo = binary.BigEndian
					}
					big := (li+ci+int(pred))%3 == 0
					spec := tiffSpec{bo: bo, big: big, w: w, h: h, st: st, vals: testValues(st, w, h),
						tileW: lay.tileW, tileH: lay.tileH, rps: lay.rps, comp: comp, pred: pred}
					name := fmt.Sprintf("%s/%s/comp%d/pred%d/%s/big=%v", st, lay.name, comp, pred, bo, big)
					b := encodeTIFF(spec)
					orig := bytes.Clone(b)
					g, err := ReadGeoTIFF("x.tif", b)
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					if !bytes.Equal(b, orig) {
						t.Errorf("%s: ReadGeoTIFF changed its input", name)
					}
					if g.Rows != h || g.Cols != w || len(g.Z) != w*h {
						t.Errorf("%s: got %d x %d with %d values, want %d x %d", name, g.Rows, g.Cols, len(g.Z), h, w)
						continue
					}
					for i, want := range spec.vals {
						if g.Z[i] != want {
							t.Errorf("%s: cell (%d, %d) = %v, want %v", name, i/w, i%w, g.Z[i], want)
							break
						}
					}
					n++
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d combinations tested", n)
	}
}

// x/image/tiff's own encoder writes 16-bit grey images: an independent
// check of the reader on uint16 samples, uncompressed and Deflate.
func TestReadGeoTIFFFromXImage(t *testing.T) {
	img := image.NewGray16(image.Rect(0, 0, 29, 13))
	for i := 0; i < len(img.Pix); i += 2 {
		v := uint16(i*977) ^ uint16(i/7)
		img.Pix[i], img.Pix[i+1] = byte(v>>8), byte(v)
	}
	for _, opt := range []*tiff.Options{nil, {Compression: tiff.Deflate}, {Compression: tiff.Deflate, Predictor: true}} {
		var buf bytes.Buffer
		if err := tiff.Encode(&buf, img, opt); err != nil {
			t.Fatal(err)
		}
		g, err := ReadGeoTIFF("x.tif", buf.Bytes())
		if err != nil {
			t.Fatalf("%+v: %v", opt, err)
		}
		if g.Rows != 13 || g.Cols != 29 {
			t.Fatalf("%+v: got %d x %d, want 13 x 29", opt, g.Rows, g.Cols)
		}
		for r := 0; r < 13; r++ {
			for c := 0; c < 29; c++ {
				if want := float64(img.Gray16At(c, r).Y); g.At(r, c) != want {
					t.Fatalf("%+v: cell (%d, %d) = %v, want %v", opt, r, c, g.At(r, c), want)
				}
			}
		}
	}
}

func TestReadGeoTIFFErrors(t *testing.T) {
	i16 := sampleType{2, 'i'}
	f32 := sampleType{4, 'f'}
	with := func(vals []float64, at map[int]float64) []float64 {
		v := append([]float64(nil), vals...)
		for i, x := range at {
			v[i] = x
		}
		return v
	}
	base := func(st sampleType) tiffSpec {
		return tiffSpec{w: 4, h: 3, st: st, vals: ramp(12, 100, 1)}
	}
	spec := func(s tiffSpec, edit func(*tiffSpec)) []byte {
		edit(&s)
		return encodeTIFF(s)
	}
	good := encodeTIFF(base(i16))
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"NaN", spec(base(f32), func(s *tiffSpec) { s.vals = with(s.vals, map[int]float64{6: math.NaN(), 11: math.NaN()}) }),
			"x.tif: 2 of 12 cells have no data (2 NaN); the first is at row 1, column 2 (counting from 0)"},
		{"Inf and NaN", spec(base(f32), func(s *tiffSpec) { s.vals = with(s.vals, map[int]float64{3: math.Inf(1), 9: math.NaN()}) }),
			"x.tif: 2 of 12 cells have no data (1 NaN, 1 infinite); the first is at row 0, column 3"},
		{"SRTM void", spec(base(i16), func(s *tiffSpec) { s.vals = with(s.vals, map[int]float64{5: -32768, 7: -32768, 8: -32768}) }),
			"x.tif: 3 of 12 cells have no data (3 equal to the SRTM void -32768); the first is at row 1, column 1"},
		{"nodata -32768 tagged", spec(base(i16), func(s *tiffSpec) { s.nodata = "-32768"; s.vals = with(s.vals, map[int]float64{1: -32768}) }),
			"x.tif: 1 of 12 cells have no data (1 equal to the nodata value -32768); the first is at row 0, column 1"},
		{"nodata -9999 int16", spec(base(i16), func(s *tiffSpec) { s.nodata = "-9999"; s.vals = with(s.vals, map[int]float64{2: -9999, 4: -32768}) }),
			"x.tif: 2 of 12 cells have no data (2 equal to the nodata value -9999 or the SRTM void -32768); the first is at row 0, column 2"},
		{"nodata float32 max", spec(base(f32), func(s *tiffSpec) {
			s.nodata = "-3.4028235e+38" // float32's shortest form: not equal to -MaxFloat32 as a float64
			s.vals = with(s.vals, map[int]float64{10: -math.MaxFloat32})
		}), "x.tif: 1 of 12 cells have no data (1 equal to the nodata value -3.4028235e+38); the first is at row 2, column 2"},
		{"nodata nan", spec(base(f32), func(s *tiffSpec) { s.nodata = "nan"; s.vals = with(s.vals, map[int]float64{0: math.NaN()}) }),
			"x.tif: 1 of 12 cells have no data (1 NaN); the first is at row 0, column 0"},
		{"nodata in tiles, first in row-major order", spec(tiffSpec{w: 40, h: 20, st: i16, vals: ramp(800, 0, 1), tileW: 16, tileH: 16},
			func(s *tiffSpec) { s.vals = with(s.vals, map[int]float64{17*40 + 1: -32768, 3*40 + 35: -32768}) }),
			"x.tif: 2 of 800 cells have no data (2 equal to the SRTM void -32768); the first is at row 3, column 35"},
		{"nodata not a number", spec(base(i16), func(s *tiffSpec) { s.nodata = "none" }),
			`x.tif: tag 42113 (GDAL_NODATA): "none" is not a number`},
		{"three bands", spec(base(i16), func(s *tiffSpec) { s.set = map[uint16][]uint64{tagSamplesPerPixel: {3}} }),
			"x.tif: tag 277 (SamplesPerPixel): 3 samples per pixel; want a single band"},
		{"JPEG", spec(base(i16), func(s *tiffSpec) { s.set = map[uint16][]uint64{tagCompression: {7}} }),
			"x.tif: tag 259 (Compression): compression 7 (JPEG) not supported"},
		{"1-bit", spec(base(i16), func(s *tiffSpec) { s.set = map[uint16][]uint64{tagBitsPerSample: {1}} }),
			"x.tif: tag 258 (BitsPerSample): 1-bit samples of SampleFormat 2 not supported"},
		{"float16", spec(base(f32), func(s *tiffSpec) { s.set = map[uint16][]uint64{tagBitsPerSample: {16}} }),
			"x.tif: tag 258 (BitsPerSample): 16-bit samples of SampleFormat 3 not supported"},
		{"predictor 3 on integers", spec(base(i16), func(s *tiffSpec) { s.set = map[uint16][]uint64{tagPredictor: {3}}; s.pred = 2 }),
			"x.tif: tag 317 (Predictor): predictor 3 not supported for int16 samples"},
		{"no width", spec(base(i16), func(s *tiffSpec) { s.skip = []uint16{tagImageWidth} }),
			"x.tif: image size 0 x 3 (width x height) is missing or invalid"},
		{"no strip offsets", spec(base(i16), func(s *tiffSpec) { s.skip = []uint16{tagStripOffsets} }),
			"x.tif: tag 273 (StripOffsets): missing"},
		{"wrong strip count", spec(base(i16), func(s *tiffSpec) { s.set = map[uint16][]uint64{tagRowsPerStrip: {1}} }),
			"x.tif: tag 273 (StripOffsets): 1 offsets, want 3 for a 4 x 3 image"},
		{"short strip", spec(base(i16), func(s *tiffSpec) { s.set = map[uint16][]uint64{tagStripByteCounts: {20}} }),
			"x.tif: strip 0: 20 bytes, want 24 (4 x 3 samples of 2 bytes)"},
		{"strip past the end", spec(base(i16), func(s *tiffSpec) { s.set = map[uint16][]uint64{tagStripOffsets: {5000}} }),
			"x.tif: strip 0: 24 bytes at offset 5000 run past the end of the file"},
		{"LZW garbage", spec(base(i16), func(s *tiffSpec) { s.comp = compLZW; s.set = map[uint16][]uint64{tagCompression: {compDeflate}} }),
			"x.tif: strip 0: Deflate: zlib: invalid header"},
		{"truncated Deflate", spec(base(i16), func(s *tiffSpec) { s.comp = compDeflate; s.set = map[uint16][]uint64{tagStripByteCounts: {12}} }),
			"x.tif: strip 0: decompresses to"},
		{"huge image from a small file", spec(base(i16), func(s *tiffSpec) {
			s.comp = compLZW
			s.set = map[uint16][]uint64{tagImageWidth: {1 << 23}, tagRowsPerStrip: {1 << 20}}
		}), "cannot come from a"},
		{"image above the cell limit", spec(base(i16), func(s *tiffSpec) {
			s.set = map[uint16][]uint64{tagImageWidth: {1 << 30}, tagRowsPerStrip: {1 << 20}}
		}), "x.tif: image of 1073741824 x 3 (width x height) cells, more than the 33554432 cells a grid may hold"},
		{"tiles far larger than the image", append(spec(tiffSpec{w: 4, h: 3, st: i16, vals: ramp(12, 0, 1), tileW: 16, tileH: 16}, func(s *tiffSpec) {
			s.set = map[uint16][]uint64{tagTileWidth: {4096}, tagTileLength: {4096}}
		}), make([]byte, 20000)...), "x.tif: tile 0: 4096 x 4096 samples: the blocks hold far more than the 4 x 3 image"},
		{"not a TIFF", []byte("GIF89a and more bytes"), `x.tif: not a TIFF file (it starts with "GIF8", want II or MM)`},
		{"version 41", append([]byte("II\x29\x00"), good[4:]...), "x.tif: header: not a TIFF file (version 41"},
		{"truncated", good[:7], "x.tif: not a TIFF file (7 bytes)"},
		{"IFD past the end", good[:len(good)-20], "x.tif: IFD: "},
		{"empty", nil, "x.tif: not a TIFF file (0 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadGeoTIFF("x.tif", tc.b)
			wantErr(t, err, tc.want)
		})
	}
}

// Every single-byte change of small valid files must give valid output or
// an *Error, never a panic: a systematic complement to FuzzReadGeoTIFF,
// whose random mutations rarely hit the IFD.
func TestReadGeoTIFFByteMutations(t *testing.T) {
	files := [][]byte{
		encodeTIFF(tiffSpec{w: 5, h: 3, st: sampleType{2, 'i'}, vals: ramp(15, -7, 3), tileW: 4, tileH: 2, comp: compLZW, pred: 2, nodata: "-9999"}),
		encodeTIFF(tiffSpec{bo: binary.BigEndian, big: true, w: 3, h: 4, st: sampleType{4, 'f'}, vals: ramp(12, 1, 0.5), rps: 3, comp: compDeflate, pred: 3}),
		encodeTIFF(tiffSpec{w: 4, h: 2, st: sampleType{8, 'f'}, vals: ramp(8, 0, 1), rps: 1, comp: compPackBits}),
	}
	for fi, orig := range files {
		for i := range orig {
			for _, v := range []byte{0, 1, 2, 3, 0x7f, 0x80, 0xfe, 0xff, orig[i] ^ 1, orig[i] + 16} {
				b := bytes.Clone(orig)
				b[i] = v
				g, err := ReadGeoTIFF("x.tif", b)
				if err != nil {
					checkErr(t, "x.tif", err)
					continue
				}
				if g.Rows < 1 || g.Cols < 1 || len(g.Z) != g.Rows*g.Cols {
					t.Fatalf("file %d, byte %d = %#x: grid %d x %d with %d values", fi, i, v, g.Rows, g.Cols, len(g.Z))
				}
				checkFinite(t, g.Z)
			}
		}
	}
}
