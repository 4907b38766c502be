package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math"
	"sort"
)

// A minimal TIFF encoder for the tests: one single-band image in strips or
// tiles, classic or BigTIFF, either byte order, uncompressed, LZW, Deflate or
// PackBits, with predictor 1, 2 or 3 and an optional GDAL_NODATA tag.

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type tiffSpec struct {
	bo           byteOrder // nil: little-endian
	big          bool      // BigTIFF
	w, h         int
	st           sampleType
	vals         []float64 // w*h, row-major
	tileW, tileH int       // 0: strips
	rps          int       // rows per strip; 0: one strip
	comp         uint64    // 0: none
	pred         uint64    // 0: none
	nodata       string    // GDAL_NODATA; "" leaves the tag out
	skip         []uint16  // tags to leave out
	set          map[uint16][]uint64
}

type tiffTag struct {
	tag   uint16
	typ   uint16
	vals  []uint64 // integer types
	ascii string
	dbl   []float64
}

func encodeTIFF(s tiffSpec) []byte {
	bo := s.bo
	if bo == nil {
		bo = binary.LittleEndian
	}
	if s.comp == 0 {
		s.comp = compNone
	}
	if s.pred == 0 {
		s.pred = 1
	}
	hdr := 8
	if s.big {
		hdr = 16
	}
	out := make([]byte, hdr)

	// The blocks.
	type rect struct{ x0, y0, w, h int }
	var rects []rect
	if s.tileW > 0 {
		for y := 0; y < s.h; y += s.tileH {
			for x := 0; x < s.w; x += s.tileW {
				rects = append(rects, rect{x, y, s.tileW, s.tileH})
			}
		}
	} else {
		rps := s.rps
		if rps == 0 {
			rps = s.h
		}
		for y := 0; y < s.h; y += rps {
			rects = append(rects, rect{0, y, s.w, min(rps, s.h-y)})
		}
	}
	var offsets, counts []uint64
	for _, r := range rects {
		var raw []byte
		for y := r.y0; y < r.y0+r.h; y++ {
			row := make([]byte, 0, r.w*s.st.bytes)
			for x := r.x0; x < r.x0+r.w; x++ {
				v := 0.0
				if x < s.w && y < s.h {
					v = s.vals[y*s.w+x]
				}
				row = appendSample(row, s.st, v, bo)
			}
			switch s.pred {
			case 2:
				row = predictHorizontal(row, r.w, s.st.bytes, bo)
			case 3:
				row = predictFloat(row, r.w, s.st.bytes, bo)
			}
			raw = append(raw, row...)
		}
		switch s.comp {
		case compLZW:
			raw = lzwEncode(raw)
		case compDeflate, compDeflatePK:
			var buf bytes.Buffer
			zw := zlib.NewWriter(&buf)
			zw.Write(raw)
			zw.Close()
			raw = buf.Bytes()
		case compPackBits:
			raw = packBitsEncode(raw)
		}
		offsets = append(offsets, uint64(len(out)))
		counts = append(counts, uint64(len(raw)))
		out = append(out, raw...)
	}

	long := uint16(typeLong)
	if s.big {
		long = typeLong8
	}
	sf := map[byte]uint64{'u': 1, 'i': 2, 'f': 3}[s.st.kind]
	tags := []tiffTag{
		{tag: tagImageWidth, typ: typeLong, vals: []uint64{uint64(s.w)}},
		{tag: tagImageLength, typ: typeShort, vals: []uint64{uint64(s.h)}},
		{tag: tagBitsPerSample, typ: typeShort, vals: []uint64{uint64(8 * s.st.bytes)}},
		{tag: tagCompression, typ: typeShort, vals: []uint64{s.comp}},
		{tag: 262, typ: typeShort, vals: []uint64{1}}, // PhotometricInterpretation: BlackIsZero
		{tag: tagSamplesPerPixel, typ: typeShort, vals: []uint64{1}},
		{tag: tagPlanarConfig, typ: typeShort, vals: []uint64{1}},
		{tag: tagSampleFormat, typ: typeShort, vals: []uint64{sf}},
		{tag: 33550, typ: 12, dbl: []float64{1.0 / 1200, 1.0 / 1200, 0}},        // ModelPixelScale
		{tag: 33922, typ: 12, dbl: []float64{0, 0, 0, -84.5, 36.5, 0}},          // ModelTiepoint
		{tag: 34735, typ: typeShort, vals: []uint64{1, 1, 0, 1, 1024, 0, 1, 2}}, // GeoKeyDirectory: geographic
	}
	if s.pred != 1 {
		tags = append(tags, tiffTag{tag: tagPredictor, typ: typeShort, vals: []uint64{s.pred}})
	}
	if s.tileW > 0 {
		tags = append(tags,
			tiffTag{tag: tagTileWidth, typ: typeShort, vals: []uint64{uint64(s.tileW)}},
			tiffTag{tag: tagTileLength, typ: typeShort, vals: []uint64{uint64(s.tileH)}},
			tiffTag{tag: tagTileOffsets, typ: long, vals: offsets},
			tiffTag{tag: tagTileByteCounts, typ: long, vals: counts})
	} else {
		rps := s.rps
		if rps == 0 {
			rps = s.h
		}
		tags = append(tags,
			tiffTag{tag: tagRowsPerStrip, typ: typeLong, vals: []uint64{uint64(rps)}},
			tiffTag{tag: tagStripOffsets, typ: long, vals: offsets},
			tiffTag{tag: tagStripByteCounts, typ: long, vals: counts})
	}
	if s.nodata != "" {
		tags = append(tags, tiffTag{tag: tagGDALNoData, typ: typeASCII, ascii: s.nodata + "\x00"})
	}
	var kept []tiffTag
	for _, t := range tags {
		drop := false
		for _, k := range s.skip {
			drop = drop || k == t.tag
		}
		if v, ok := s.set[t.tag]; ok {
			t.vals = v
		}
		if !drop {
			kept = append(kept, t)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].tag < kept[j].tag })

	// Values that do not fit in an entry go before the IFD.
	field := 4
	if s.big {
		field = 8
	}
	fields := make([][]byte, len(kept))
	counts2 := make([]uint64, len(kept))
	for i, t := range kept {
		var v []byte
		switch {
		case t.typ == typeASCII:
			v, counts2[i] = []byte(t.ascii), uint64(len(t.ascii))
		case t.dbl != nil:
			for _, d := range t.dbl {
				v = bo.AppendUint64(v, math.Float64bits(d))
			}
			counts2[i] = uint64(len(t.dbl))
		default:
			for _, x := range t.vals {
				switch t.typ {
				case typeShort:
					v = bo.AppendUint16(v, uint16(x))
				case typeLong:
					v = bo.AppendUint32(v, uint32(x))
				case typeLong8:
					v = bo.AppendUint64(v, x)
				}
			}
			counts2[i] = uint64(len(t.vals))
		}
		if len(v) > field {
			if len(out)%2 == 1 {
				out = append(out, 0)
			}
			off := uint64(len(out))
			out = append(out, v...)
			v = nil
			if s.big {
				v = bo.AppendUint64(v, off)
			} else {
				v = bo.AppendUint32(v, uint32(off))
			}
		}
		fields[i] = append(v, make([]byte, field-len(v))...)
	}
	if len(out)%2 == 1 {
		out = append(out, 0)
	}
	ifd := uint64(len(out))
	if s.big {
		out = bo.AppendUint64(out, uint64(len(kept)))
	} else {
		out = bo.AppendUint16(out, uint16(len(kept)))
	}
	for i, t := range kept {
		out = bo.AppendUint16(out, t.tag)
		out = bo.AppendUint16(out, t.typ)
		if s.big {
			out = bo.AppendUint64(out, counts2[i])
		} else {
			out = bo.AppendUint32(out, uint32(counts2[i]))
		}
		out = append(out, fields[i]...)
	}
	if s.big {
		out = bo.AppendUint64(out, 0)
	} else {
		out = bo.AppendUint32(out, 0) // no next IFD
	}

	if bo.String() == binary.BigEndian.String() {
		copy(out, "MM")
	} else {
		copy(out, "II")
	}
	if s.big {
		bo.PutUint16(out[2:], 43)
		bo.PutUint16(out[4:], 8)
		bo.PutUint64(out[8:], ifd)
	} else {
		bo.PutUint16(out[2:], 42)
		bo.PutUint32(out[4:], uint32(ifd))
	}
	return out
}

func appendSample(b []byte, st sampleType, v float64, bo byteOrder) []byte {
	switch st {
	case sampleType{1, 'u'}:
		return append(b, uint8(v))
	case sampleType{1, 'i'}:
		return append(b, uint8(int8(v)))
	case sampleType{2, 'u'}:
		return bo.AppendUint16(b, uint16(v))
	case sampleType{2, 'i'}:
		return bo.AppendUint16(b, uint16(int16(v)))
	case sampleType{4, 'u'}:
		return bo.AppendUint32(b, uint32(v))
	case sampleType{4, 'i'}:
		return bo.AppendUint32(b, uint32(int32(v)))
	case sampleType{4, 'f'}:
		return bo.AppendUint32(b, math.Float32bits(float32(v)))
	case sampleType{8, 'f'}:
		return bo.AppendUint64(b, math.Float64bits(v))
	}
	panic("appendSample: " + st.String())
}

// predictHorizontal applies predictor 2 to one row of w samples.
func predictHorizontal(row []byte, w, size int, bo binary.ByteOrder) []byte {
	for i := w - 1; i >= 1; i-- {
		switch size {
		case 1:
			row[i] -= row[i-1]
		case 2:
			bo.PutUint16(row[2*i:], bo.Uint16(row[2*i:])-bo.Uint16(row[2*i-2:]))
		case 4:
			bo.PutUint32(row[4*i:], bo.Uint32(row[4*i:])-bo.Uint32(row[4*i-4:]))
		}
	}
	return row
}

// predictFloat applies predictor 3 to one row of w samples: byte planes,
// most significant first, then byte differences.
func predictFloat(row []byte, w, size int, bo binary.ByteOrder) []byte {
	out := make([]byte, len(row))
	for i := 0; i < w; i++ {
		var u uint64
		if size == 4 {
			u = uint64(bo.Uint32(row[4*i:]))
		} else {
			u = bo.Uint64(row[8*i:])
		}
		for p := 0; p < size; p++ {
			out[p*w+i] = byte(u >> (8 * (size - 1 - p)))
		}
	}
	for j := len(out) - 1; j >= 1; j-- {
		out[j] -= out[j-1]
	}
	return out
}

// lzwEncode compresses src with TIFF's LZW (MSB-first codes of 9..12 bits,
// code width switching one code early).
func lzwEncode(src []byte) []byte {
	const clear, eoi = 256, 257
	var (
		out   []byte
		acc   uint32
		nacc  uint
		width uint = 9
		k     int  // codes written since the last clear
		dict  map[string]int
	)
	emit := func(code int) {
		acc = acc<<width | uint32(code)
		nacc += width
		for nacc >= 8 {
			out = append(out, byte(acc>>(nacc-8)))
			nacc -= 8
		}
		acc &= 1<<nacc - 1
	}
	reset := func() {
		emit(clear)
		width, k, dict = 9, 0, map[string]int{}
	}
	code := func(s string) int {
		if len(s) == 1 {
			return int(s[0])
		}
		return dict[s]
	}
	// count mirrors the decoder: after each code its table grows by one, and
	// it reads wider codes once the next free code plus one reaches 2^width.
	count := func() {
		k++
		if 257+k+1 >= 1<<width && width < 12 {
			width++
		}
	}
	reset()
	if len(src) > 0 {
		w := string(src[:1])
		for _, c := range src[1:] {
			wc := w + string([]byte{c})
			if _, ok := dict[wc]; ok {
				w = wc
				continue
			}
			emit(code(w))
			count()
			dict[wc] = 257 + k
			w = string([]byte{c})
			if 257+k >= 4093 {
				reset()
			}
		}
		emit(code(w))
		count()
	}
	emit(eoi)
	if nacc > 0 {
		out = append(out, byte(acc<<(8-nacc)))
	}
	return out
}

// packBitsEncode compresses src with PackBits: runs of 3 or more equal
// bytes as repeats, the rest as literals.
func packBitsEncode(src []byte) []byte {
	var out []byte
	for i := 0; i < len(src); {
		j := i + 1
		for j < len(src) && src[j] == src[i] && j-i < 128 {
			j++
		}
		if j-i >= 3 {
			out = append(out, byte(int8(1-(j-i))), src[i])
			i = j
			continue
		}
		// A literal run up to the next repeat of 3.
		j = i
		for j < len(src) && j-i < 128 && !(j+2 < len(src) && src[j] == src[j+1] && src[j] == src[j+2]) {
			j++
		}
		out = append(out, byte(j-i-1))
		out = append(out, src[i:j]...)
		i = j
	}
	return out
}
