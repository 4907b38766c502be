package pipeline

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/gobuild"
)

// These tests fingerprint scratch modules as the binary does: the go
// command lists a real build (gobuild), the fingerprinter reads its files
// and type-checks against the compiler's export data. No stand-in.

var floorBase = map[string]string{
	"go.mod":        "module example.com/m\n\ngo 1.24\n",
	"cmd/x/main.go": "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.F(), lib.G[lib.A]()) }\n",
	"lib/lib.go": `package lib

import (
	"slices"
	"strconv"
)

type T struct{ n int }

func (t T) M() int { return t.n + 1 }

func F() int {
	ts := []T{{1}, {2}}
	n, _ := strconv.Atoi("3")
	return slices.Clip(ts)[0].M() + n
}

type Valuer interface{ Val() int }

type A struct{}

func (A) Val() int { return 1 }

func G[V Valuer]() int { var v V; return v.Val() }
`,
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if src == "" {
			os.Remove(p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// floorCode lists the scratch module in dir as built with flags and
// fingerprints root (a runtime function name in package lib).
func floorCode(t *testing.T, dir, root string, flags ...string) *Code {
	t.Helper()
	b, err := gobuild.Load(context.Background(), gobuild.Config{Dir: dir, Target: "./cmd/x", Flags: flags, Env: []string{"GOFLAGS=-mod=mod"}})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := NewFingerprinterForBuild(b, CurrentBuild(), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := fp.Reach("example.com/m/lib." + root)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFloorKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("lists real builds")
	}
	type tc struct {
		name    string
		root    string            // function fingerprinted (default F)
		edit    map[string]string // applied after the first fingerprint
		flags   []string          // build flags of the second build
		moves   bool              // the fingerprint or the floors must change
		ambient string            // a refusal the edited code must have
		floor   string            // a Floors entry (key: value prefix) the edited code must have
	}
	cases := []tc{
		{name: "a method on the result of an outside generic function", moves: true,
			edit: map[string]string{"lib/lib.go": strings.Replace(floorBase["lib/lib.go"], "return t.n + 1", "return t.n + 2", 1)}},
		{name: "a comment", moves: false,
			edit: map[string]string{"lib/lib.go": strings.Replace(floorBase["lib/lib.go"], "func F() int {", "// F sums.\nfunc F() int {", 1)}},
		{name: "an ignored _old.go file", moves: false, edit: map[string]string{"lib/_old.go": "package lib\n\nfunc Old() int { return 1 }\n"}},
		{name: "a build-tag twin not in this build", moves: false, edit: map[string]string{"lib/twin.go": "//go:build ignore_me\n\npackage lib\n\nfunc init() { println(1) }\n"}},
		{name: "a file only -race builds compile", moves: true, flags: []string{"-race"},
			edit: map[string]string{"lib/race.go": "//go:build race\n\npackage lib\n\nvar extra = F2()\n\nfunc F2() int { return 1 }\n"}},
		{name: "a type argument chosen outside the stage", root: "G[...]", moves: true,
			edit: map[string]string{"lib/lib.go": strings.Replace(floorBase["lib/lib.go"], "func (A) Val() int { return 1 }", "func (A) Val() int { return 2 }", 1)}},
		{name: "an init in package main writing an outside variable", moves: true,
			edit: map[string]string{"cmd/x/w.go": "package main\n\nimport (\n\t\"errors\"\n\t\"strconv\"\n)\n\nfunc init() { strconv.ErrRange = errors.New(\"r\") }\n"}},
		{name: "a run-time write of an outside variable", moves: true, ambient: "strconv.ErrRange, an outside variable",
			edit: map[string]string{"cmd/x/w.go": "package main\n\nimport (\n\t\"errors\"\n\t\"strconv\"\n)\n\nfunc set() { strconv.ErrRange = errors.New(\"r\") }\n\nvar _ = set\n"}},
		{name: "an unaliased /v2 import of the global random source", moves: true, ambient: "math/rand/v2.Float64",
			edit: map[string]string{"lib/r.go": "package lib\n\nimport \"math/rand/v2\"\n\nfunc init() { _ = rand.Float64() }\n"}},
		{name: "a map iterated into a float sum", moves: true, ambient: "map iteration order into the floating-point sum s",
			edit: map[string]string{"lib/m.go": "package lib\n\nvar weights = map[string]float64{\"a\": 0.1, \"b\": 0.2}\n\nvar total = sum()\n\nfunc sum() float64 {\n\ts := 0.0\n\tfor _, w := range weights {\n\t\ts += w\n\t}\n\treturn s\n}\n"}},
		{name: "a pointer handed out and written at run time", moves: true, ambient: "lib.cfg, which lib.Cfg assigns at run time",
			edit: map[string]string{"lib/c.go": "package lib\n\ntype Config struct{ X int }\n\nvar cfg = &Config{}\n\nfunc Cfg() *Config { return cfg }\n\nvar y = cfg.X + one()\n\nfunc one() int { return 1 }\n"}},
		{name: "an atomic.Value stored at run time", moves: true, ambient: "lib.v, which lib.Set assigns at run time",
			edit: map[string]string{"lib/a.go": "package lib\n\nimport \"sync/atomic\"\n\nvar v atomic.Value\n\nfunc Set(x int) { v.Store(x) }\n\nvar z = load()\n\nfunc load() any { return v.Load() }\n"}},
		{name: "an embedded file", moves: true, floor: "example.com/m/lib: //go:embed",
			edit: map[string]string{"lib/e.go": "package lib\n\nimport _ \"embed\"\n\n//go:embed data.txt\nvar data string\n\nvar n = len(data) + one2()\n\nfunc one2() int { return 1 }\n", "lib/data.txt": "x\n"}},
		{name: "a linkname", moves: true, floor: "(all packages)",
			edit: map[string]string{"lib/l.go": "package lib\n\nimport _ \"unsafe\"\n\n//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n"}},
	}
	if _, err := exec.LookPath("gcc"); err == nil {
		cases = append(cases, tc{name: "a cgo preamble", moves: true, floor: "example.com/m/lib: cgo", flags: []string{},
			edit: map[string]string{"lib/c.go": "package lib\n\n// static int two(void) { return 2; }\nimport \"C\"\n\nvar two = int(C.two())\n"}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, floorBase)
			root := c.root
			if root == "" {
				root = "F"
			}
			before := floorCode(t, dir, root)
			if len(before.Ambient) > 0 {
				t.Fatalf("the base is refused: %v", before.Ambient)
			}
			writeFiles(t, dir, c.edit)
			after := floorCode(t, dir, root, c.flags...)
			moved := after.Fingerprint != before.Fingerprint || !equalMaps(after.Floors, before.Floors)
			if moved != c.moves {
				t.Errorf("moved %v, want %v (decls %d -> %d, floors %v -> %v)", moved, c.moves, len(before.Decls), len(after.Decls), before.Floors, after.Floors)
			}
			if c.ambient != "" && !strings.Contains(strings.Join(after.Ambient, "\n"), c.ambient) {
				t.Errorf("refusals %q, want one containing %q", after.Ambient, c.ambient)
			}
			if c.ambient == "" && len(after.Ambient) > 0 {
				t.Errorf("refused: %v", after.Ambient)
			}
			if c.floor != "" {
				k, v, _ := strings.Cut(c.floor, ": ")
				if got, ok := after.Floors[k]; !ok || !strings.HasPrefix(got, v) {
					t.Errorf("floors %v, want %s starting %q", after.Floors, k, v)
				}
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
