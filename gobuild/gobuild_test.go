package gobuild

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// scratch writes a module of files into a new directory.
func scratch(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goBuild builds ./cmd/x of dir into a binary and returns its path.
func goBuild(t *testing.T, dir string, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "x")
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, "./cmd/x")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func load(t *testing.T, dir, cache string, flags ...string) *Build {
	t.Helper()
	b, err := Load(context.Background(), Config{Dir: dir, Target: "./cmd/x", Flags: flags, CacheDir: cache, Env: []string{"GOFLAGS=-mod=mod"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var base = map[string]string{
	"go.mod":         "module example.com/m\n\ngo 1.24\n",
	"cmd/x/main.go":  "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.F()) }\n",
	"lib/lib.go":     "package lib\n\nfunc F() int { return 1 }\n",
	"lib/asm.go":     "package lib\n\nfunc G() int\n",
	"lib/g_amd64.s":  "#include \"textflag.h\"\n\nTEXT ·G(SB),NOSPLIT,$0-8\n\tMOVQ $2, ret+0(FP)\n\tRET\n",
	"lib/g_other.go": "//go:build !amd64\n\npackage lib\n\nfunc G() int { return 2 }\n",
}

// A real binary's build ID holds the ID go list gives its main package,
// for the same files and flags; an edit anywhere the build reads moves it.
func TestTargetIDIsTheBinarys(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	dir := scratch(t, base)
	bin := goBuild(t, dir)
	b := load(t, dir, t.TempDir())
	id, err := BinaryID(bin)
	if err != nil {
		t.Fatal(err)
	}
	if MainID(id) != b.TargetID {
		t.Fatalf("binary %s (main part %q); go list says %s", id, MainID(id), b.TargetID)
	}
	lib := b.Packages["example.com/m/lib"]
	if lib == nil || !lib.Main || lib.Opaque != "" {
		t.Fatalf("lib: %+v", lib)
	}
	// -race changes the build: another ID, the same as a -race binary's.
	raced := load(t, dir, t.TempDir(), "-race")
	if raced.TargetID == b.TargetID {
		t.Error("-race lists the same main package ID")
	}
	if bin := goBuild(t, dir, "-race"); mustID(t, bin) != raced.TargetID {
		t.Error("the -race binary's ID is not go list -race's")
	}
}

func mustID(t *testing.T, bin string) string {
	t.Helper()
	id, err := BinaryID(bin)
	if err != nil {
		t.Fatal(err)
	}
	return MainID(id)
}

// The floor of a package moves for every kind of edit the go command
// compiles, and the cached listing sees each of them.
func TestFloorSeesWhatTheCompilerReads(t *testing.T) {
	cases := []struct {
		name   string
		edit   map[string]string // files written (content "" removes)
		opaque string            // lib's Opaque after the edit
		same   bool              // the edit changes nothing compiled
	}{
		{name: "a function body", edit: map[string]string{"lib/lib.go": "package lib\n\nfunc F() int { return 3 }\n"}},
		{name: "an ignored file", edit: map[string]string{"lib/_old.go": "package lib\n\nfunc F() int { return 4 }\n"}, same: true},
		{name: "a new file", edit: map[string]string{"lib/h.go": "package lib\n\nfunc H() int { return 5 }\n"}},
		{name: "an embedded file", edit: map[string]string{
			"lib/e.go":     "package lib\n\nimport _ \"embed\"\n\n//go:embed data.txt\nvar Data string\n",
			"lib/data.txt": "one\n"}, opaque: "//go:embed"},
		{name: "a linkname", edit: map[string]string{"lib/l.go": "package lib\n\nimport _ \"unsafe\"\n\n//go:linkname nano runtime.nanotime\nfunc nano() int64\n"}, opaque: "//go:linkname"},
		{name: "an assembly header", edit: map[string]string{
			"lib/g_amd64.s": "#include \"textflag.h\"\n#include \"consts.h\"\n\nTEXT ·G(SB),NOSPLIT,$0-8\n\tMOVQ $TWO, ret+0(FP)\n\tRET\n",
			"lib/consts.h":  "#define TWO 2\n"}, opaque: "header files"},
		{name: "a build-tag twin", edit: map[string]string{"lib/g_other.go": "//go:build !amd64\n\npackage lib\n\nfunc G() int { return 7 }\n"}, same: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := scratch(t, base)
			cache := t.TempDir()
			before := load(t, dir, cache)
			for name, src := range c.edit {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			after := load(t, dir, cache)
			lib, lib0 := after.Packages["example.com/m/lib"], before.Packages["example.com/m/lib"]
			if moved := lib.Floor != lib0.Floor; moved == c.same {
				t.Errorf("lib's floor moved: %v, want %v", moved, !c.same)
			}
			if main, main0 := after.Packages["example.com/m/cmd/x"], before.Packages["example.com/m/cmd/x"]; (main.Floor != main0.Floor) == c.same {
				t.Errorf("the importer's floor moved: %v, want %v", main.Floor != main0.Floor, !c.same)
			}
			if lib.Opaque != c.opaque {
				t.Errorf("lib is opaque for %q, want %q", lib.Opaque, c.opaque)
			}
			if fresh := load(t, dir, ""); fresh.Packages["example.com/m/lib"].Floor != lib.Floor {
				t.Error("the cached listing differs from a fresh one")
			}
		})
	}
}

// A module replaced by a local directory (with a space in its path, read
// through a symbolic link) counts by content; vendor/ likewise.
func TestReplacedAndVendoredCountByContent(t *testing.T) {
	files := map[string]string{
		"go.mod":        "module example.com/m\n\ngo 1.24\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ./my dep\n",
		"cmd/x/main.go": "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.F()) }\n",
		"my dep/go.mod": "module example.com/dep\n\ngo 1.24\n",
		"real/dep.go":   "package dep\n\nfunc F() int { return 1 }\n",
	}
	files["go.mod"] = "module example.com/m\n\ngo 1.24\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => \"./my dep\"\n"
	dir := scratch(t, files)
	if err := os.Symlink(filepath.Join(dir, "real", "dep.go"), filepath.Join(dir, "my dep", "dep.go")); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	before := load(t, dir, cache)
	dep := before.Packages["example.com/dep"]
	if dep == nil || dep.Opaque != "outside the module" || dep.Version != "" {
		t.Fatalf("dep: %+v", dep)
	}
	os.WriteFile(filepath.Join(dir, "real", "dep.go"), []byte("package dep\n\nfunc F() int { return 2 }\n"), 0o644)
	after := load(t, dir, cache)
	if after.Packages["example.com/dep"].Floor == dep.Floor {
		t.Error("an edit through the symbolic link of a replaced module left its floor")
	}
	if after.Packages["example.com/m/cmd/x"].Floor == before.Packages["example.com/m/cmd/x"].Floor {
		t.Error("the importer's floor did not move")
	}
}

// A module of a go.work workspace, and a vendored copy, count by content.
func TestWorkspaceAndVendorCountByContent(t *testing.T) {
	t.Run("go.work", func(t *testing.T) {
		dir := scratch(t, map[string]string{
			"go.work":       "go 1.24\n\nuse (\n\t.\n\t./dep\n)\n",
			"go.mod":        "module example.com/m\n\ngo 1.24\n",
			"cmd/x/main.go": "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.F()) }\n",
			"dep/go.mod":    "module example.com/dep\n\ngo 1.24\n",
			"dep/dep.go":    "package dep\n\nfunc F() int { return 1 }\n",
		})
		cache := t.TempDir()
		before, err := Load(context.Background(), Config{Dir: dir, Target: "./cmd/x", CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		dep := before.Packages["example.com/dep"]
		if before.Module != "example.com/m" || dep == nil || dep.Main || dep.Opaque != "outside the module" {
			t.Fatalf("module %q, dep %+v", before.Module, dep)
		}
		os.WriteFile(filepath.Join(dir, "dep", "dep.go"), []byte("package dep\n\nfunc F() int { return 2 }\n"), 0o644)
		after, err := Load(context.Background(), Config{Dir: dir, Target: "./cmd/x", CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		if after.Packages["example.com/dep"].Floor == dep.Floor {
			t.Error("an edit of a go.work module left its floor")
		}
	})
	t.Run("vendor", func(t *testing.T) {
		dir := scratch(t, map[string]string{
			"go.mod":        "module example.com/m\n\ngo 1.24\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ./depsrc\n",
			"cmd/x/main.go": "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.F()) }\n",
			"depsrc/go.mod": "module example.com/dep\n\ngo 1.24\n",
			"depsrc/dep.go": "package dep\n\nfunc F() int { return 1 }\n",
		})
		vendor := exec.Command("go", "mod", "vendor")
		vendor.Dir = dir
		if out, err := vendor.CombinedOutput(); err != nil {
			t.Fatalf("go mod vendor: %v\n%s", err, out)
		}
		cache := t.TempDir()
		before, err := Load(context.Background(), Config{Dir: dir, Target: "./cmd/x", CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		dep := before.Packages["example.com/dep"]
		if dep == nil || filepath.Base(filepath.Dir(dep.Dir)) != "example.com" {
			t.Fatalf("dep is not read from vendor/: %+v", dep)
		}
		os.WriteFile(filepath.Join(dir, "vendor", "example.com", "dep", "dep.go"), []byte("package dep\n\nfunc F() int { return 2 }\n"), 0o644)
		after, err := Load(context.Background(), Config{Dir: dir, Target: "./cmd/x", CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		if after.Packages["example.com/dep"].Floor == dep.Floor {
			t.Error("an edit under vendor/ left the package's floor")
		}
	})
}
