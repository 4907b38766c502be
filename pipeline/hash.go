package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
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
