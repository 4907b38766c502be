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
	rc, err := f.Open()
	if err != nil {
		return Array{}, "", &Error{File: name, Where: member, Msg: "cannot open member", Err: err}
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		msg := "corrupt member"
		if errors.Is(err, io.ErrUnexpectedEOF) {
			msg = "truncated member"
		}
		return Array{}, "", &Error{File: name, Where: member, Msg: msg, Err: err}
	}
	a, perr := readNPY(name, body)
	if perr != nil {
		return Array{}, "", perr.within(member)
	}
	return a, member, nil
}
