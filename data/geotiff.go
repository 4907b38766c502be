package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"golang.org/x/image/tiff/lzw"
)

// ReadGeoTIFF reads the first image of a single-band TIFF or GeoTIFF (classic
// or BigTIFF, either byte order), such as an SRTM tile, into a Grid whose
// row 0 is the top row of the image.
//
// Samples may be signed or unsigned 8-, 16- or 32-bit integers, or 32- or
// 64-bit floats, in strips or tiles, uncompressed or compressed with LZW,
// Deflate or PackBits, with or without a horizontal (2) or floating-point
// (3) predictor. Geo-referencing tags are not interpreted.
//
// Missing data is an error naming how many cells are missing and the first
// (row, column): cells equal to the GDAL_NODATA tag (42113), SRTM's void
// value -32768 in int16 data, and NaN or infinite values. x/image/tiff cannot
// be used here because it decodes to colour images, without signed or
// floating-point samples.
func ReadGeoTIFF(name string, b []byte) (Grid, error) {
	t, err := parseTIFF(name, b)
	if err != nil {
		return Grid{}, err
	}
	return t.grid()
}

// TIFF tags used here.
const (
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagPlanarConfig    = 284
	tagPredictor       = 317
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
	tagSampleFormat    = 339
	tagGDALNoData      = 42113
)

var tagNames = map[uint16]string{
	tagImageWidth: "ImageWidth", tagImageLength: "ImageLength", tagBitsPerSample: "BitsPerSample",
	tagCompression: "Compression", tagStripOffsets: "StripOffsets", tagSamplesPerPixel: "SamplesPerPixel",
	tagRowsPerStrip: "RowsPerStrip", tagStripByteCounts: "StripByteCounts", tagPlanarConfig: "PlanarConfiguration",
	tagPredictor: "Predictor", tagTileWidth: "TileWidth", tagTileLength: "TileLength",
	tagTileOffsets: "TileOffsets", tagTileByteCounts: "TileByteCounts", tagSampleFormat: "SampleFormat",
	tagGDALNoData: "GDAL_NODATA",
}

func tagAt(tag uint16) string {
	if n, ok := tagNames[tag]; ok {
		return fmt.Sprintf("tag %d (%s)", tag, n)
	}
	return fmt.Sprintf("tag %d", tag)
}

// TIFF field types and their sizes in bytes (0: unknown).
var tiffTypeSize = [...]int{0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8}

const (
	typeByte  = 1
	typeASCII = 2
	typeShort = 3
	typeLong  = 4
	typeIFD   = 13
	typeLong8 = 16
	typeIFD8  = 18
)

// Compression schemes.
const (
	compNone      = 1
	compLZW       = 5
	compDeflate   = 8
	compPackBits  = 32773
	compDeflatePK = 32946
)

var compressionNames = map[uint64]string{
	2: "CCITT RLE", 3: "CCITT fax 3", 4: "CCITT fax 4", 6: "old JPEG", 7: "JPEG", 34712: "JPEG 2000",
	34887: "LERC", 34925: "LZMA", 50000: "ZSTD", 50001: "WebP", 50002: "JPEG XL",
}

// maxInflateRatio bounds decompressed/compressed size. Deflate cannot exceed
// 1032:1 and TIFF's LZW about 1400:1, so a larger claim is a hostile file.
const maxInflateRatio = 2048

type tiffEntry struct {
	tag   uint16
	typ   uint16
	count uint64
	field []byte // the value field of the entry: 4 bytes, or 8 in BigTIFF
}

type tiffFile struct {
	name    string
	b       []byte
	bo      binary.ByteOrder
	big     bool
	entries map[uint16]tiffEntry
}

func (t *tiffFile) bad(where, format string, args ...any) *Error {
	return &Error{File: t.name, Where: where, Msg: fmt.Sprintf(format, args...)}
}

func parseTIFF(name string, b []byte) (*tiffFile, error) {
	t := &tiffFile{name: name, b: b, entries: map[uint16]tiffEntry{}}
	if len(b) < 8 {
		return nil, t.bad("", "not a TIFF file (%d bytes)", len(b))
	}
	switch string(b[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return nil, t.bad("", "not a TIFF file (it starts with %s, want II or MM)", quoteField(b[:4]))
	}
	var ifd uint64
	switch t.bo.Uint16(b[2:]) {
	case 42:
		ifd = uint64(t.bo.Uint32(b[4:]))
	case 43:
		t.big = true
		if len(b) < 16 || t.bo.Uint16(b[4:]) != 8 {
			return nil, t.bad("header", "malformed BigTIFF header")
		}
		ifd = t.bo.Uint64(b[8:])
	default:
		return nil, t.bad("header", "not a TIFF file (version %d, want 42 or BigTIFF's 43)", t.bo.Uint16(b[2:]))
	}

	countSize, entrySize := uint64(2), uint64(12)
	if t.big {
		countSize, entrySize = 8, 20
	}
	if ifd < 8 || ifd > uint64(len(b)) || uint64(len(b))-ifd < countSize {
		return nil, t.bad("header", "first IFD offset %d outside the file's %d bytes", ifd, len(b))
	}
	var n uint64
	if t.big {
		n = t.bo.Uint64(b[ifd:])
	} else {
		n = uint64(t.bo.Uint16(b[ifd:]))
	}
	if n == 0 || n > (uint64(len(b))-ifd-countSize)/entrySize {
		return nil, t.bad("IFD", "%d entries do not fit in the file's %d bytes", n, len(b))
	}
	for i := uint64(0); i < n; i++ {
		e := b[ifd+countSize+i*entrySize:]
		entry := tiffEntry{tag: t.bo.Uint16(e), typ: t.bo.Uint16(e[2:])}
		if t.big {
			entry.count, entry.field = t.bo.Uint64(e[4:]), e[12:20]
		} else {
			entry.count, entry.field = uint64(t.bo.Uint32(e[4:])), e[8:12]
		}
		if _, dup := t.entries[entry.tag]; !dup {
			t.entries[entry.tag] = entry
		}
	}
	return t, nil
}

// raw returns the bytes of a tag's values.
func (t *tiffFile) raw(e tiffEntry) ([]byte, *Error) {
	size := 0
	if int(e.typ) < len(tiffTypeSize) {
		size = tiffTypeSize[e.typ]
	}
	if size == 0 {
		return nil, t.bad(tagAt(e.tag), "unknown field type %d", e.typ)
	}
	if e.count > uint64(len(t.b)) {
		return nil, t.bad(tagAt(e.tag), "%d values do not fit in the file", e.count)
	}
	n := e.count * uint64(size)
	if n <= uint64(len(e.field)) {
		return e.field[:n], nil
	}
	var off uint64
	if t.big {
		off = t.bo.Uint64(e.field)
	} else {
		off = uint64(t.bo.Uint32(e.field))
	}
	if off > uint64(len(t.b)) || n > uint64(len(t.b))-off {
		return nil, t.bad(tagAt(e.tag), "%d values at offset %d run past the end of the file (%d bytes)", e.count, off, len(t.b))
	}
	return t.b[off : off+n], nil
}

// uints returns a tag's values as unsigned integers; ok is false if the tag is absent.
func (t *tiffFile) uints(tag uint16) (v []uint64, ok bool, err *Error) {
	e, ok := t.entries[tag]
	if !ok {
		return nil, false, nil
	}
	r, err := t.raw(e)
	if err != nil {
		return nil, true, err
	}
	v = make([]uint64, e.count)
	for i := range v {
		switch e.typ {
		case typeByte:
			v[i] = uint64(r[i])
		case typeShort:
			v[i] = uint64(t.bo.Uint16(r[2*i:]))
		case typeLong, typeIFD:
			v[i] = uint64(t.bo.Uint32(r[4*i:]))
		case typeLong8, typeIFD8:
			v[i] = t.bo.Uint64(r[8*i:])
		default:
			return nil, true, t.bad(tagAt(tag), "field type %d is not an unsigned integer type", e.typ)
		}
	}
	return v, true, nil
}

// maxSamplesPerPixel bounds the values of a one-value tag (one per
// sample), so that such a tag with millions of values is refused before
// they are read.
const maxSamplesPerPixel = 64

// uint1 returns a tag's single value, or def if the tag is absent. Several
// equal values (one per sample) are accepted.
func (t *tiffFile) uint1(tag uint16, def uint64) (uint64, *Error) {
	if e, ok := t.entries[tag]; ok && e.count > maxSamplesPerPixel {
		return 0, t.bad(tagAt(tag), "%d values; want one (or one per sample, at most %d)", e.count, maxSamplesPerPixel)
	}
	v, ok, err := t.uints(tag)
	if err != nil {
		return 0, err
	}
	if !ok {
		return def, nil
	}
	if len(v) == 0 {
		return 0, t.bad(tagAt(tag), "no value")
	}
	for _, x := range v[1:] {
		if x != v[0] {
			return 0, t.bad(tagAt(tag), "values %v differ between samples", v)
		}
	}
	return v[0], nil
}

// sampleType describes the pixel samples.
type sampleType struct {
	bytes int  // 1, 2, 4 or 8
	kind  byte // 'u' unsigned, 'i' signed, 'f' float
}

func (s sampleType) String() string {
	switch s.kind {
	case 'u':
		return fmt.Sprintf("uint%d", 8*s.bytes)
	case 'i':
		return fmt.Sprintf("int%d", 8*s.bytes)
	}
	return fmt.Sprintf("float%d", 8*s.bytes)
}

// block is one strip or tile: where its samples go in the image.
type block struct {
	index        int
	tile         bool
	x0, y0       int    // top-left cell in the image
	w, h         int    // stored size in samples (a tile may overhang the image)
	offset, size uint64 // location of the stored (compressed) bytes
}

// what names the block in errors: "strip 3", "tile 0".
func (bl block) what() string {
	if bl.tile {
		return fmt.Sprintf("tile %d", bl.index)
	}
	return fmt.Sprintf("strip %d", bl.index)
}

func (t *tiffFile) grid() (Grid, error) {
	width, err := t.uint1(tagImageWidth, 0)
	if err != nil {
		return Grid{}, err
	}
	height, err := t.uint1(tagImageLength, 0)
	if err != nil {
		return Grid{}, err
	}
	if width == 0 || height == 0 || width > math.MaxInt32 || height > math.MaxInt32 {
		return Grid{}, t.bad("", "image size %d x %d (width x height) is missing or invalid", width, height)
	}
	if width*height > maxArrayValues {
		return Grid{}, t.bad("", "image of %d x %d (width x height) cells, more than the %d cells a grid may hold", width, height, maxArrayValues)
	}
	spp, err := t.uint1(tagSamplesPerPixel, 1)
	if err != nil {
		return Grid{}, err
	}
	if spp != 1 {
		return Grid{}, t.bad(tagAt(tagSamplesPerPixel), "%d samples per pixel; want a single band (extract one with gdal_translate -b 1)", spp)
	}
	bps, err := t.uint1(tagBitsPerSample, 1)
	if err != nil {
		return Grid{}, err
	}
	sf, err := t.uint1(tagSampleFormat, 1)
	if err != nil {
		return Grid{}, err
	}
	st := sampleType{bytes: int(bps / 8)}
	switch {
	case sf == 1 && (bps == 8 || bps == 16 || bps == 32):
		st.kind = 'u'
	case sf == 2 && (bps == 8 || bps == 16 || bps == 32):
		st.kind = 'i'
	case sf == 3 && (bps == 32 || bps == 64):
		st.kind = 'f'
	default:
		return Grid{}, t.bad(tagAt(tagBitsPerSample), "%d-bit samples of SampleFormat %d not supported (want 8-, 16- or 32-bit integers, or 32- or 64-bit floats)", bps, sf)
	}
	comp, err := t.uint1(tagCompression, compNone)
	if err != nil {
		return Grid{}, err
	}
	switch comp {
	case compNone, compLZW, compDeflate, compDeflatePK, compPackBits:
	default:
		what := compressionNames[comp]
		if what != "" {
			what = " (" + what + ")"
		}
		return Grid{}, t.bad(tagAt(tagCompression), "compression %d%s not supported (want none, LZW, Deflate or PackBits; convert with gdal_translate -co COMPRESS=DEFLATE)", comp, what)
	}
	pred, err := t.uint1(tagPredictor, 1)
	if err != nil {
		return Grid{}, err
	}
	switch {
	case pred == 1, pred == 2 && st.kind != 'f', pred == 3 && st.kind == 'f':
	default:
		return Grid{}, t.bad(tagAt(tagPredictor), "predictor %d not supported for %s samples (want 1, 2 for integers, 3 for floats)", pred, st)
	}

	blocks, err := t.layout(int(width), int(height), st.bytes)
	if err != nil {
		return Grid{}, err
	}
	nodataStr, hasNodata, err := t.ascii(tagGDALNoData)
	if err != nil {
		return Grid{}, err
	}
	var nodata float64
	if hasNodata {
		var perr error
		if nodata, perr = strconv.ParseFloat(nodataStr, 64); perr != nil {
			return Grid{}, t.bad(tagAt(tagGDALNoData), "%s is not a number", quoteField([]byte(nodataStr)))
		}
	}
	isNodata := nodataTest(st, hasNodata, nodata)
	srtm := st == sampleType{2, 'i'}
	var nodataWhat string
	switch {
	case hasNodata && srtm && nodata != -32768:
		nodataWhat = "equal to the nodata value " + nodataStr + " or the SRTM void -32768"
	case hasNodata:
		nodataWhat = "equal to the nodata value " + nodataStr
	default:
		nodataWhat = "equal to the SRTM void -32768"
	}

	// The grid's size is bounded by maxArrayValues, and by layout by what
	// the file's bytes can inflate to. Blocks are decoded one at a time
	// into it, through one buffer.
	g := Grid{Rows: int(height), Cols: int(width), Z: make([]float64, int(width)*int(height))}
	var voids voidCount
	var scratch []byte
	for _, bl := range blocks {
		buf, err := t.decode(bl, comp, pred, st, &scratch)
		if err != nil {
			return Grid{}, err
		}
		for y := 0; y < bl.h && bl.y0+y < g.Rows; y++ {
			row := bl.y0 + y
			for x := 0; x < bl.w && bl.x0+x < g.Cols; x++ {
				col := bl.x0 + x
				k := y*bl.w + x
				var v float64
				var void bool
				switch st {
				case sampleType{1, 'u'}:
					v = float64(buf[k])
				case sampleType{1, 'i'}:
					v = float64(int8(buf[k]))
				case sampleType{2, 'u'}:
					v = float64(t.bo.Uint16(buf[2*k:]))
				case sampleType{2, 'i'}:
					v = float64(int16(t.bo.Uint16(buf[2*k:])))
					void = v == -32768 // SRTM's void, with or without a GDAL_NODATA tag
				case sampleType{4, 'u'}:
					v = float64(t.bo.Uint32(buf[4*k:]))
				case sampleType{4, 'i'}:
					v = float64(int32(t.bo.Uint32(buf[4*k:])))
				case sampleType{4, 'f'}:
					v = float64(math.Float32frombits(t.bo.Uint32(buf[4*k:])))
				case sampleType{8, 'f'}:
					v = math.Float64frombits(t.bo.Uint64(buf[8*k:]))
				}
				g.Z[row*g.Cols+col] = v
				voids.add(v, void || isNodata(v), row, col)
			}
		}
	}
	if voids.total() > 0 {
		return Grid{}, t.bad("", "%s", voids.message(g.Rows*g.Cols, nodataWhat))
	}
	return g, nil
}

// nodataTest returns whether a sample equals the nodata value, compared in
// the sample's own type (so "-3.4028235e+38" matches a float32 sample).
func nodataTest(st sampleType, has bool, nodata float64) func(float64) bool {
	switch {
	case !has || math.IsNaN(nodata):
		return func(float64) bool { return false } // NaN is counted as NaN
	case st.kind == 'f' && st.bytes == 4:
		nd := float32(nodata)
		return func(v float64) bool { return float32(v) == nd }
	default:
		return func(v float64) bool { return v == nodata }
	}
}

// voidCount counts missing cells and remembers the first.
type voidCount struct {
	nodata, nan, inf int
	first            [2]int // row, col of the first missing cell in row-major order
}

func (c *voidCount) total() int { return c.nodata + c.nan + c.inf }

func (c *voidCount) add(v float64, nodata bool, row, col int) {
	switch {
	case math.IsNaN(v):
		c.nan++
	case math.IsInf(v, 0):
		c.inf++
	case nodata:
		c.nodata++
	default:
		return
	}
	// Tiles are visited out of row-major order: keep the top-left-most.
	if c.total() == 1 || row < c.first[0] || row == c.first[0] && col < c.first[1] {
		c.first = [2]int{row, col}
	}
}

func (c *voidCount) message(cells int, nodataWhat string) string {
	var parts []string
	if c.nodata > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", c.nodata, nodataWhat))
	}
	if c.nan > 0 {
		parts = append(parts, fmt.Sprintf("%d NaN", c.nan))
	}
	if c.inf > 0 {
		parts = append(parts, fmt.Sprintf("%d infinite", c.inf))
	}
	return fmt.Sprintf("%d of %d cells have no data (%s); the first is at row %d, column %d (counting from 0)",
		c.total(), cells, strings.Join(parts, ", "), c.first[0], c.first[1])
}

// ascii returns an ASCII tag's text up to its first NUL, trimmed of spaces.
func (t *tiffFile) ascii(tag uint16) (string, bool, *Error) {
	e, ok := t.entries[tag]
	if !ok {
		return "", false, nil
	}
	if e.typ != typeASCII {
		return "", true, t.bad(tagAt(tag), "field type %d, want ASCII (2)", e.typ)
	}
	r, err := t.raw(e)
	if err != nil {
		return "", true, err
	}
	if i := bytes.IndexByte(r, 0); i >= 0 {
		r = r[:i]
	}
	return strings.TrimSpace(string(r)), true, nil
}

// layout lists the strips or tiles of the image.
func (t *tiffFile) layout(width, height, bytesPer int) ([]block, *Error) {
	_, tiled := t.entries[tagTileWidth]
	offTag, countTag := uint16(tagStripOffsets), uint16(tagStripByteCounts)
	if tiled {
		offTag, countTag = tagTileOffsets, tagTileByteCounts
	}
	// The grid of blocks.
	var across, down, bw, bh uint64 // blocks across and down, and their size
	if tiled {
		tw, err := t.uint1(tagTileWidth, 0)
		if err != nil {
			return nil, err
		}
		th, err := t.uint1(tagTileLength, 0)
		if err != nil {
			return nil, err
		}
		if tw == 0 || th == 0 || tw > math.MaxInt32 || th > math.MaxInt32 {
			return nil, t.bad(tagAt(tagTileWidth), "tile size %d x %d is missing or invalid", tw, th)
		}
		across, down, bw, bh = (uint64(width)+tw-1)/tw, (uint64(height)+th-1)/th, tw, th
	} else {
		rps, err := t.uint1(tagRowsPerStrip, math.MaxUint32)
		if err != nil {
			return nil, err
		}
		if rps == 0 {
			return nil, t.bad(tagAt(tagRowsPerStrip), "0 rows per strip")
		}
		rps = min(rps, uint64(height))
		across, down, bw, bh = 1, (uint64(height)+rps-1)/rps, uint64(width), rps
	}
	n := across * down // below 2^62: both factors are below 2^31
	if err := t.checkAlloc(n, tiled, bw, bh); err != nil {
		return nil, err
	}
	// The counts of values, checked before the values are read.
	if e, ok := t.entries[offTag]; ok && e.count != n {
		return nil, t.bad(tagAt(offTag), "%d offsets, want %d for a %d x %d image", e.count, n, width, height)
	}
	if e, ok := t.entries[countTag]; ok && e.count != n {
		return nil, t.bad(tagAt(countTag), "%d byte counts, want %d", e.count, n)
	}

	offsets, ok, err := t.uints(offTag)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, t.bad(tagAt(offTag), "missing")
	}
	if uint64(len(offsets)) != n {
		return nil, t.bad(tagAt(offTag), "%d offsets, want %d for a %d x %d image", len(offsets), n, width, height)
	}
	counts, ok, err := t.uints(countTag)
	if err != nil {
		return nil, err
	}
	if !ok && n == 1 {
		counts = []uint64{uint64(len(t.b)) - min(offsets[0], uint64(len(t.b)))} // the rest of the file
	} else if !ok {
		return nil, t.bad(tagAt(countTag), "missing")
	}
	if uint64(len(counts)) != n {
		return nil, t.bad(tagAt(countTag), "%d byte counts, want %d", len(counts), n)
	}
	blocks := make([]block, n)
	for i := range blocks {
		x0, y0 := uint64(i)%across*bw, uint64(i)/across*bh
		h := bh
		if !tiled {
			h = min(bh, uint64(height)-y0) // the last strip may be short
		}
		blocks[i] = block{index: i, tile: tiled, x0: int(x0), y0: int(y0), w: int(bw), h: int(h)}
	}
	var decoded uint64
	for i := range blocks {
		bl := &blocks[i]
		bl.offset, bl.size = offsets[i], counts[i]
		if bl.offset > uint64(len(t.b)) || bl.size > uint64(len(t.b))-bl.offset {
			return nil, t.bad(bl.what(), "%d bytes at offset %d run past the end of the file (%d bytes)", bl.size, bl.offset, len(t.b))
		}
		hi, lo := bits.Mul64(uint64(bl.w)*uint64(bl.h), uint64(bytesPer))
		if hi != 0 || lo > math.MaxInt64/2 {
			return nil, t.bad(bl.what(), "%d x %d samples is too large", bl.w, bl.h)
		}
		decoded += lo
		if decoded > maxInflateRatio*uint64(len(t.b)) {
			return nil, t.bad("", "a %d x %d image of %d-byte samples cannot come from a %d-byte file", width, height, bytesPer, len(t.b))
		}
		// Tiles may overhang the image, but not by more than the image
		// (plus a little for small images).
		if decoded > 4*uint64(width)*uint64(height)*uint64(bytesPer)+1<<20 {
			return nil, t.bad(bl.what(), "%d x %d samples: the blocks hold far more than the %d x %d image", bl.w, bl.h, width, height)
		}
	}
	return blocks, nil
}

// maxBlocksAlloc bounds what the strips or tiles of a GeoTIFF take in
// memory while it is read (about 80 bytes each: offset, byte count and
// place), judged from its header before anything is allocated; the grid
// itself is bounded by maxArrayValues. A file of millions of one-row strips
// (a 128 MiB one took 3 GB before it was refused) is refused at once; 800,000
// strips or tiles fit, far more than any usual layout of the largest grid.
const maxBlocksAlloc = 64 << 20

// blockOverhead is what one strip or tile costs in memory while the file is
// read: its offset and byte count (uint64 each) and its block (64 bytes on
// a 64-bit machine).
const blockOverhead = 16 + 64

// checkAlloc refuses an image of more strips or tiles than maxBlocksAlloc
// allows.
func (t *tiffFile) checkAlloc(n uint64, tiled bool, bw, bh uint64) *Error {
	if n*blockOverhead <= maxBlocksAlloc {
		return nil
	}
	what := fmt.Sprintf("%d strips of %d rows", n, bh)
	if tiled {
		what = fmt.Sprintf("%d tiles of %d x %d", n, bw, bh)
	}
	return t.bad("", "%s: reading them would take %d MiB, more than the %d MiB the strips or tiles of a GeoTIFF may take (at most %d of them); rewrite it with larger strips or tiles (gdal_translate -co TILED=YES)",
		what, n*blockOverhead>>20, maxBlocksAlloc>>20, maxBlocksAlloc/blockOverhead)
}

// decode returns the samples of one block, decompressed and with the
// predictor undone, in the file's byte order: exactly w*h*bytes bytes. They
// are the file's own bytes, or are written to *scratch (grown as needed), so
// they are valid until the next call with the same scratch.
func (t *tiffFile) decode(bl block, comp, pred uint64, st sampleType, scratch *[]byte) ([]byte, *Error) {
	raw := t.b[bl.offset : bl.offset+bl.size]
	want := bl.w * bl.h * st.bytes
	if cap(*scratch) < want {
		*scratch = make([]byte, want)
	}
	var out []byte
	var r io.Reader
	switch comp {
	case compNone:
		if len(raw) < want {
			return nil, t.bad(bl.what(), "%d bytes, want %d (%d x %d samples of %d bytes)", len(raw), want, bl.w, bl.h, st.bytes)
		}
		out = raw[:want]
		if pred != 1 {
			out = (*scratch)[:want]
			copy(out, raw) // undoing the predictor must not change the caller's bytes
		}
	case compLZW:
		r = lzw.NewReader(bytes.NewReader(raw), lzw.MSB, 8)
	case compDeflate, compDeflatePK:
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, &Error{File: t.name, Where: bl.what(), Msg: "Deflate", Err: err}
		}
		r = zr
	case compPackBits:
		r = &packBitsReader{src: raw}
	}
	if r != nil {
		out = (*scratch)[:want]
		got, err := io.ReadFull(r, out)
		if got < want {
			out = out[:got]
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, &Error{File: t.name, Where: bl.what(),
				Msg: fmt.Sprintf("decompresses to %d bytes, want %d (%d x %d samples of %d bytes)", len(out), want, bl.w, bl.h, st.bytes), Err: err}
		}
	}
	switch pred {
	case 2:
		undoHorizontal(out, bl.w, st.bytes, t.bo)
	case 3:
		undoFloatPredictor(out, bl.w, st.bytes, t.bo)
	}
	return out, nil
}

// undoHorizontal undoes predictor 2: each sample of a row was stored as
// the difference from its left neighbour, modulo 2^bits.
func undoHorizontal(buf []byte, w, size int, bo binary.ByteOrder) {
	for row := 0; row+w*size <= len(buf); row += w * size {
		r := buf[row : row+w*size]
		for i := 1; i < w; i++ {
			switch size {
			case 1:
				r[i] += r[i-1]
			case 2:
				bo.PutUint16(r[2*i:], bo.Uint16(r[2*i:])+bo.Uint16(r[2*i-2:]))
			case 4:
				bo.PutUint32(r[4*i:], bo.Uint32(r[4*i:])+bo.Uint32(r[4*i-4:]))
			}
		}
	}
}

// undoFloatPredictor undoes predictor 3 (Adobe TIFF Technical Note 3): each
// row holds the samples' bytes as planes, most significant byte first, and
// each byte was stored as the difference from the byte before it.
func undoFloatPredictor(buf []byte, w, size int, bo binary.ByteOrder) {
	n := w * size
	tmp := make([]byte, n)
	for row := 0; row+n <= len(buf); row += n {
		r := buf[row : row+n]
		for i := 1; i < n; i++ {
			r[i] += r[i-1]
		}
		copy(tmp, r)
		for i := 0; i < w; i++ {
			var u uint64
			for p := 0; p < size; p++ {
				u = u<<8 | uint64(tmp[p*w+i])
			}
			if size == 4 {
				bo.PutUint32(r[4*i:], uint32(u))
			} else {
				bo.PutUint64(r[8*i:], u)
			}
		}
	}
}

// packBitsReader decompresses PackBits (TIFF compression 32773).
type packBitsReader struct {
	src  []byte
	run  []byte // pending literal bytes
	rep  byte   // pending repeated byte
	nrep int    // how many times rep is still to be written
}

var errPackBits = errors.New("packbits: truncated run")

func (p *packBitsReader) Read(out []byte) (int, error) {
	n := 0
	for n < len(out) {
		switch {
		case p.nrep > 0:
			out[n] = p.rep
			p.nrep--
			n++
		case len(p.run) > 0:
			k := copy(out[n:], p.run)
			p.run = p.run[k:]
			n += k
		case len(p.src) == 0:
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		default:
			c := int8(p.src[0])
			p.src = p.src[1:]
			switch {
			case c >= 0:
				k := int(c) + 1
				if k > len(p.src) {
					return n, errPackBits
				}
				p.run, p.src = p.src[:k], p.src[k:]
			case c != -128:
				if len(p.src) == 0 {
					return n, errPackBits
				}
				p.rep, p.nrep, p.src = p.src[0], 1-int(c), p.src[1:]
			}
		}
	}
	return n, nil
}
