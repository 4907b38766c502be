package repro

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourceEmbedsEveryPackage: the fingerprints are computed from the
// embedded source, so a package missing from the embed pattern would make
// its code invisible to every key.
func TestSourceEmbedsEveryPackage(t *testing.T) {
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "artifacts" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".s")) || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		disk, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		emb, err := fs.ReadFile(Source, filepath.ToSlash(p))
		if err != nil {
			t.Errorf("%s is not embedded: add its directory to the //go:embed line of source.go", p)
			return nil
		}
		if string(emb) != string(disk) {
			t.Errorf("%s: embedded copy differs from the file (rebuild)", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
