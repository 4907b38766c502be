package data

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ReadNPZ reads one array of a NumPy .npz file (a zip archive of .npy
// files, stored or deflated). array names the member without its ".npy"
// suffix ("elevation" reads "elevation.npy"); the suffix may also be given.
// An empty array selects the archive's only array, and is an error when it
// holds several. A missing member is an error listing the arrays present.
// The member is parsed by ReadNPY's rules; its errors name the archive and
// the member ("dem.npz: elevation.npy: header: ...").
func ReadNPZ(name string, b []byte, array string) (Array, error) {
	a, _, err := readNPZ(name, b, array)
	return a, err
}

// readNPZ is ReadNPZ that also returns the member read.
func readNPZ(name string, b []byte, array string) (Array, string, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return Array{}, "", &Error{File: name, Msg: "not a readable .npz (zip) archive", Err: err}
	}
	var names []string
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".npy") {
			if _, dup := byName[f.Name]; !dup {
				names = append(names, strings.TrimSuffix(f.Name, ".npy"))
				byName[f.Name] = f
			}
		}
	}
	sort.Strings(names)
	present := "the archive holds no .npy members"
	if len(names) > 0 {
		present = "the archive holds: " + strings.Join(names, ", ")
	}

	member := array
	if member == "" {
		if len(names) != 1 {
			return Array{}, "", &Error{File: name, Msg: "no array named, and the archive does not hold exactly one (" + present + ")"}
		}
		member = names[0]
	}
	if !strings.HasSuffix(member, ".npy") {
		member += ".npy"
	}
	f := byName[member]
	if f == nil {
		return Array{}, "", &Error{File: name, Msg: fmt.Sprintf("no array %q (member %s); %s", strings.TrimSuffix(member, ".npy"), member, present)}
	}
	if f.UncompressedSize64 > maxInflated {
		return Array{}, "", &Error{File: name, Where: member, Msg: fmt.Sprintf("%d bytes uncompressed, more than the limit of %d", f.UncompressedSize64, maxInflated)}
	}
	if f.Method == zip.Deflate && f.UncompressedSize64 > maxDeflateRatio*f.CompressedSize64+1024 {
		return Array{}, "", &Error{File: name, Where: member, Msg: fmt.Sprintf("%d bytes uncompressed, more than its %d compressed bytes can inflate to", f.UncompressedSize64, f.CompressedSize64)}
	}
	rc, err := f.Open()
	if err != nil {
		return Array{}, "", &Error{File: name, Where: member, Msg: "cannot open member", Err: err}
	}
	defer rc.Close()
	readErr := func(err error) (Array, string, error) {
		msg := "corrupt member"
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			msg, err = "truncated member", io.ErrUnexpectedEOF
		}
		return Array{}, "", &Error{File: name, Where: member, Msg: msg, Err: err}
	}
	// The .npy header first: it says how many bytes the data take, and
	// nothing more than that is inflated.
	declared := int(f.UncompressedSize64)
	head := make([]byte, min(declared, maxNPYHead))
	if _, err := io.ReadFull(rc, head); err != nil {
		return readErr(err)
	}
	h, size, n, hdrEnd, perr := npyHead(name, head, declared)
	if perr != nil {
		return Array{}, "", perr.within(member)
	}
	if n*size != declared-hdrEnd {
		return Array{}, "", (&Error{File: name, Msg: fmt.Sprintf("header says shape %s = %d values of %d bytes but the file holds %d bytes after the header",
			shapeString(h.shape), n, size, declared-hdrEnd)}).within(member)
	}
	buf := make([]byte, declared)
	copy(buf, head)
	if _, err := io.ReadFull(rc, buf[len(head):]); err != nil {
		return readErr(err)
	}
	// The end of the stream, where the zip reader checks the size and CRC.
	var one [1]byte
	if k, err := rc.Read(one[:]); k > 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = zip.ErrFormat
		}
		return readErr(err)
	}
	a, perr := decodeNPY(name, h, n, buf[hdrEnd:])
	if perr != nil {
		return Array{}, "", perr.within(member)
	}
	return a, member, nil
}
