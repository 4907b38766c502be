package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// HashBytes returns the content hash of b, as the store names objects.
func HashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// keyHasher builds a key from labelled lines, like the Go build cache's
// action IDs. Every line is kept so that REPRO_DEBUG_KEY can print them.
type keyHasher struct {
	lines []string
}

func (h *keyHasher) add(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if strings.ContainsRune(line, '\n') {
		line = strings.ReplaceAll(line, "\n", `\n`)
	}
	h.lines = append(h.lines, line)
}

func (h *keyHasher) sum() string {
	s := sha256.New()
	io.WriteString(s, "repro key v1\n")
	for _, l := range h.lines {
		io.WriteString(s, l)
		io.WriteString(s, "\n")
	}
	return hex.EncodeToString(s.Sum(nil))
}

// debugKey prints the lines of a key when REPRO_DEBUG_KEY is set.
func debugKey(w io.Writer, stage, key string, h *keyHasher) {
	if os.Getenv("REPRO_DEBUG_KEY") == "" || w == nil {
		return
	}
	fmt.Fprintf(w, "REPRO_DEBUG_KEY %s = %s\n", stage, key)
	for _, l := range h.lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// HashDir hashes the regular files under dir (their slash-separated relative
// paths and contents), skipping version-control and hidden directories: the
// content of a module replaced by a local directory.
func HashDir(dir string) (string, error) {
	s := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(s, "%s %d %s\n", filepath.ToSlash(rel), len(b), HashBytes(b))
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(s.Sum(nil)), nil
}
