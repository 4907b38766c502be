package project

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	repro "github.com/repro-dev/repro"
	"github.com/repro-dev/repro/gitrev"
)

// The code's commit, as `repro version` and `repro publish` report it.

// BuildCommit is the commit the go command stamped into the binary bi
// describes, and whether its tree had uncommitted changes; "" when the
// binary carries no stamp (-buildvcs=false, go run, a build outside a git
// checkout).
func BuildCommit(bi *debug.BuildInfo) (commit string, modified bool) {
	if bi == nil {
		return "", false
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return commit, modified
}

// Commit finds the code's commit: this binary's build stamp, else git in
// the checkout at root (a checkout whose state git cannot tell counts as
// modified). source says which of the two; all are empty when neither
// knows.
func Commit(root string) (commit string, modified bool, source string) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if commit, modified = BuildCommit(bi); commit != "" {
			return commit, modified, "the binary's build stamp"
		}
	}
	repo := gitrev.Repo{Dir: root}
	head, err := repo.Commit("HEAD")
	if err != nil {
		return "", false, ""
	}
	m, err := repo.Modified()
	return head, err != nil || m, "git in the checkout"
}

// SourceDiffers counts the files of this binary's embedded module source
// (repro.Source) whose bytes differ from (or are missing in) dir, of all
// of them; total is 0 when dir holds no go.mod (not the module's checkout).
func SourceDiffers(dir string) (n, total int) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return 0, 0
	}
	fs.WalkDir(repro.Source, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		total++
		want, _ := fs.ReadFile(repro.Source, p)
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			n++
		}
		return nil
	})
	return n, total
}
