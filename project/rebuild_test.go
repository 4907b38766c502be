package project

import (
	"bytes"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRebuildFlagsMatchMakeBuild: the self-rebuild builds with the flags
// BuildFlags reads from the binary's build information, into a temporary
// file renamed over the binary (rebuildAndExec). That must be the very
// build `make build` makes, so that the next `make build` (a plain `go
// build -o bin/repro ./cmd/repro`) finds it up to date rather than
// relinking it, 9 s on a loaded machine (issue 27 §8): with a real go
// build of a small main package, the rebuild's bytes equal the plain
// build's, and a plain build over it leaves the file alone. Flags a build
// did pass (-tags, -trimpath, -buildmode=pie) are passed again.
func TestRebuildFlagsMatchMakeBuild(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/selfbuild\n\ngo 1.22\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "cmd", "x"), 0o755)
	os.WriteFile(filepath.Join(dir, "cmd", "x", "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"x\") }\n"), 0o644)
	gobuild := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.Command(goBin, append([]string{"build"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, flags := range [][]string{
		nil, // make build
		{"-tags=repro_rebuild_test", "-trimpath"},
		{"-buildmode=pie"},
	} {
		t.Run(strings.Join(append([]string{"go build"}, flags...), " "), func(t *testing.T) {
			bin := filepath.Join(dir, "bin", "x")
			os.RemoveAll(filepath.Dir(bin))
			gobuild(nil, append(slices.Clone(flags), "-o", bin, "./cmd/x")...)
			want, _ := os.ReadFile(bin)
			bi, err := buildinfo.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			args, env := BuildFlags(bi)
			for _, f := range flags {
				if !slices.Contains(args, f) {
					t.Errorf("BuildFlags %q lost the build's %s", args, f)
				}
			}
			// As rebuildAndExec: another name, renamed over the binary.
			tmp := bin + ".rebuild-1"
			gobuild(env, append(args, "-o", tmp, "./cmd/x")...)
			if err := os.Rename(tmp, bin); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(bin)
			if !bytes.Equal(got, want) {
				t.Fatalf("the rebuild with %q %q differs from the build it repeats", args, env)
			}
			// The next build with the original command links nothing: the
			// go command only touches an up-to-date target (a relinked one
			// is moved into place, a new file).
			fi0, _ := os.Stat(bin)
			gobuild(nil, append(slices.Clone(flags), "-o", bin, "./cmd/x")...)
			if fi, err := os.Stat(bin); err != nil || !os.SameFile(fi, fi0) {
				t.Errorf("the next go build linked the binary again")
			}
		})
	}
}
