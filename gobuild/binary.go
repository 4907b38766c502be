package gobuild

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// BinaryID returns the Go build ID of the executable at path, as `go tool
// buildid` prints it: "link action ID/main action ID/main content
// ID/link content ID" for a binary the go command linked.
func BinaryID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if ef, err := elf.NewFile(f); err == nil {
		for _, sec := range ef.Sections {
			if sec.Name != ".note.go.buildid" || sec.Type != elf.SHT_NOTE {
				continue
			}
			data, err := sec.Data()
			if err != nil {
				return "", fmt.Errorf("%s: %w", path, err)
			}
			return noteID(data, ef.ByteOrder)
		}
	}
	// Other formats hold the ID near the start of the text, quoted.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	const marker = "\xff Go build ID: \""
	if i := bytes.Index(head, []byte(marker)); i >= 0 {
		rest := head[i+len(marker):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			return string(rest[:j]), nil
		}
	}
	return "", fmt.Errorf("%s: %w", path, ErrNoBuildID)
}

// noteID reads the build ID out of an ELF note section: namesz, descsz,
// type 4, name "Go\0\0", then the ID.
func noteID(data []byte, bo binary.ByteOrder) (string, error) {
	for len(data) >= 12 {
		namesz, descsz, typ := bo.Uint32(data), bo.Uint32(data[4:]), bo.Uint32(data[8:])
		data = data[12:]
		nameEnd := int(namesz+3) &^ 3
		descEnd := nameEnd + int(descsz+3)&^3
		if nameEnd > len(data) || nameEnd+int(descsz) > len(data) {
			break
		}
		name := string(bytes.TrimRight(data[:namesz], "\x00"))
		desc := data[nameEnd : nameEnd+int(descsz)]
		if name == "Go" && typ == 4 {
			return string(desc), nil
		}
		if descEnd > len(data) {
			break
		}
		data = data[descEnd:]
	}
	return "", ErrNoBuildID
}

// MainID is the main package's part of a binary's build ID (its action
// and content IDs), comparable with Build.TargetID; "" when id has another
// shape.
func MainID(id string) string {
	parts := strings.Split(id, "/")
	if len(parts) != 4 {
		return ""
	}
	return parts[1] + "/" + parts[2]
}
