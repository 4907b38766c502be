package data

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"io"
	"runtime"
	"strings"
	"testing"
)

// bombSize is what each hostile file below inflates to: enough that reading
// it whole would show, small enough for a quick test.
const bombSize = 64 << 20

// writeRepeat writes pattern to w until n bytes are written.
func writeRepeat(w io.Writer, pattern []byte, n int) {
	if n == 0 {
		return
	}
	chunk := bytes.Repeat(pattern, max(1, (1<<20)/len(pattern)))
	for n > 0 {
		k := min(n, len(chunk))
		w.Write(chunk[:k])
		n -= k
	}
}

// allocated returns the bytes f allocates in all (runtime.MemStats
// TotalAlloc), an upper bound of the memory it holds at its peak.
func allocated(f func()) uint64 {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// gzipStream compresses head followed by n bytes of pattern.
func gzipStream(head, pattern []byte, n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(head)
	writeRepeat(zw, pattern, n)
	zw.Close()
	return buf.Bytes()
}

// npzStream is an .npz whose member name holds head followed by n bytes of
// pattern, deflated.
func npzStream(name string, head, pattern []byte, n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	w.Write(head)
	writeRepeat(w, pattern, n)
	zw.Close()
	return buf.Bytes()
}

// tiffDeflate is a little-endian TIFF of one Deflate strip of w x h uint8
// samples, alternately v and v+1 (not constant: LoadGrid refuses a constant
// grid).
func tiffDeflate(w, h int, v byte) []byte {
	var zs bytes.Buffer
	zl, _ := zlib.NewWriterLevel(&zs, zlib.BestCompression)
	writeRepeat(zl, []byte{v, v + 1}, w*h)
	zl.Close()
	strip := zs.Bytes()
	le := binary.LittleEndian
	type entry struct {
		tag, typ uint16
		v        uint32
	}
	entries := []entry{{tagImageWidth, typeLong, uint32(w)}, {tagImageLength, typeLong, uint32(h)},
		{tagBitsPerSample, typeShort, 8}, {tagCompression, typeShort, compDeflate}, {tagStripOffsets, typeLong, 0},
		{tagSamplesPerPixel, typeShort, 1}, {tagRowsPerStrip, typeLong, uint32(h)}, {tagStripByteCounts, typeLong, uint32(len(strip))}}
	data := 8 + 2 + 12*len(entries) + 4
	b := le.AppendUint32([]byte("II*\x00"), 8)
	b = le.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		if e.tag == tagStripOffsets {
			e.v = uint32(data)
		}
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, e.v) // a short is the first two bytes of the field, little-endian
	}
	b = le.AppendUint32(b, 0)
	return append(b, strip...)
}

// TestHostileCompressedInput checks that a small compressed file that
// inflates to far more than its header or rows declare is refused after
// inflating little of it: each case allocates at most a few MiB where
// reading the stream whole would take bombSize (64 MiB) or more.
func TestHostileCompressedInput(t *testing.T) {
	digitRowBytes := []byte(strings.Repeat("0,", DigitsPixels) + "0\n")
	imagesHeader := []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28}
	labels := gzipBytes([]byte{0, 0, 8, 1, 0, 0, 0, 1, 3})
	for _, tc := range []struct {
		name     string
		file     []byte
		read     func(b []byte) error
		want     string
		maxAlloc uint64
	}{
		{"digits: gzip of zeros", gzipStream(nil, []byte{0}, bombSize),
			func(b []byte) error { _, err := ReadDigitsCSV("d.csv.gz", b); return err },
			"d.csv.gz: row 1: longer than 4096 bytes", 1 << 20},
		{"digits: gzip of blank lines", gzipStream(nil, []byte(strings.Repeat(" ", 1000)+"\n"), bombSize+1<<20),
			func(b []byte) error { _, err := ReadDigitsCSV("d.csv.gz", b); return err },
			"d.csv.gz: more than 64 MiB of text; a digits CSV is smaller", 1 << 20},
		{"digits: gzip of half a million valid rows", gzipStream(nil, digitRowBytes, bombSize),
			func(b []byte) error { _, err := ReadDigitsCSV("d.csv.gz", b); return err },
			"d.csv.gz: row 100001: more than 100000 rows; a digits CSV is smaller",
			// 100,000 rows of 64 float64 (51 MB): the largest array a
			// digits file may give, at most three times over (grown by
			// doubling, so the peak is below twice).
			3 * maxDigitsRows * DigitsPixels * 8},
		{"MNIST: header of 1 image, then zeros", gzipStream(imagesHeader, []byte{0}, bombSize),
			func(b []byte) error { _, err := ReadMNIST("i.gz", b, "l.gz", labels); return err },
			"i.gz: header says [1 28 28] = 784 bytes but the file holds more", 1 << 20},
		{"MNIST: header of 200,000 images, a small stream", gzipStream([]byte{0, 0, 8, 3, 0, 3, 0x0d, 0x40, 0, 0, 0, 28, 0, 0, 0, 28}, []byte{0}, 1000),
			func(b []byte) error { _, err := ReadMNIST("i.gz", b, "l.gz", labels); return err },
			"i.gz: header says [200000 28 28] = 156800000 bytes, more than a", 1 << 20},
		{"npz: (2, 2) array, then zeros", npzStream("elevation.npy", npyBytes("<f8", []int{2, 2}, []float64{1, 2, 3, 4}), []byte{0}, bombSize),
			func(b []byte) error { _, err := LoadGrid("t.npz", b, "elevation"); return err },
			"t.npz: elevation.npy: header says shape (2, 2) = 4 values of 8 bytes but the file holds 67108896 bytes after the header", 1 << 20},
		{"npz: header longer than NumPy writes", npzStream("elevation.npy", npyRaw(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"+strings.Repeat(" ", 1<<20), nil), nil, 0),
			func(b []byte) error { _, err := LoadGrid("t.npz", b, "elevation"); return err },
			"t.npz: elevation.npy: header: header length 1048692 is more than the 65524 bytes this reader accepts", 1 << 20},
		{"GeoTIFF: 16384 x 16384 cells from 261 kB", tiffDeflate(16384, 16384, 1),
			func(b []byte) error { _, err := LoadGrid("t.tif", b, ""); return err },
			"t.tif: image of 16384 x 16384 (width x height) cells, more than the 33554432 cells a grid may hold", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			got := allocated(func() { err = tc.read(tc.file) })
			wantErr(t, err, tc.want)
			t.Logf("%d-byte file: %.2f MiB allocated", len(tc.file), float64(got)/(1<<20))
			if got > tc.maxAlloc {
				t.Errorf("allocated %d bytes, want at most %d", got, tc.maxAlloc)
			}
		})
	}
}

// TestCompressedInputPeak checks that a valid compressed grid costs a small
// multiple of its final array: the array itself (8 bytes a cell) and one
// strip's samples, not every strip at once nor a growing buffer.
func TestCompressedInputPeak(t *testing.T) {
	const side = 2048 // 4 Mi cells, a 32 MiB grid
	final := uint64(side * side * 8)
	for _, tc := range []struct {
		name string
		file []byte
		read func([]byte) (int, error)
	}{
		{"GeoTIFF, one Deflate strip of uint8", tiffDeflate(side, side, 7), func(b []byte) (int, error) {
			g, err := LoadGrid("t.tif", b, "")
			return len(g.Z), err
		}},
		{"npz, a deflated <i2 member", npzStream("z.npy", npyRaw(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2048, 2048), }", nil), []byte{1, 0, 2, 0}, side*side*2),
			func(b []byte) (int, error) {
				g, err := LoadGrid("t.npz", b, "z")
				return len(g.Z), err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			var err error
			got := allocated(func() { n, err = tc.read(tc.file) })
			if err != nil || n != side*side {
				t.Fatalf("got %d cells, %v", n, err)
			}
			t.Logf("%d-byte file: %.1f MiB allocated for a %.0f MiB grid", len(tc.file), float64(got)/(1<<20), float64(final)/(1<<20))
			if got > final*3/2 {
				t.Errorf("allocated %d bytes, want at most 1.5 times the grid's %d", got, final)
			}
		})
	}
}
