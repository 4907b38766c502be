package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// The key tests fingerprint a stand-in source for the test graph's stage
// functions (testSource, testDouble, testSquare, testSum): the real
// functions run, and the keys come from this source, which each case edits.
const keySource = `package pipeline

import (
	"text/template"

	"gonum.org/v1/plot"
)

type shape interface{ area() int }

type sq struct{}

func (sq) area() int { return 1 }

type tri struct{}

func (tri) area() int { return 5 }

type circ struct{}

type round = circ

func (round) perim() int { return 6 }

func testSource() int { return helper() }

func helper() int { return 1 }

func testDouble() { _ = template.New("x") }

func testSquare() { _ = plot.New() }

func testSum() int {
	var s shape = sq{}
	return s.area()
}
`

// keyCase is one version of the project: its source, modules and build.
type keyCase struct {
	src   string
	build []debug.BuildSetting
	extra map[string]string // more source files
	gomod string            // go.mod ("module github.com/repro-dev/repro\n" if empty)
}

func (k keyCase) engine(t *testing.T, dir string, g *Graph) *Engine {
	t.Helper()
	gomod := k.gomod
	if gomod == "" {
		gomod = "module github.com/repro-dev/repro\n"
	}
	fsys := fstest.MapFS{
		"go.mod":        {Data: []byte(gomod)},
		"go.sum":        {Data: []byte("sum\n")},
		"pipeline/x.go": {Data: []byte(k.src)},
	}
	for n, s := range k.extra {
		fsys[n] = &fstest.MapFile{Data: []byte(s)}
	}
	fp, err := NewFingerprinterFor(fsys, BuildFromSettings("linux", "amd64", k.build))
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{Graph: g, Store: st, Code: fp, Root: dir, Jobs: 1}
}

// staleAfter runs the test graph under base, then reports the state and
// reasons of every stage that is not fresh under changed.
func staleAfter(t *testing.T, base, changed keyCase, setup func(dir string)) map[string]StageStatus {
	t.Helper()
	dir := t.TempDir()
	if setup != nil {
		setup(dir)
	}
	env := &testEnv{t: t, dir: dir, engine: &Engine{}}
	g := env.graph(3, false)
	e0 := base.engine(t, dir, g)
	res, err := e0.Run(context.Background(), g.Stages())
	if err != nil {
		t.Fatal(err)
	}
	lock, _ := ReadLock(filepath.Join(dir, "none.lock"))
	if err := lock.Update(res, e0); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(dir)
	}
	e1 := changed.engine(t, dir, g)
	sts, err := e1.Status(g.Stages(), lock)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]StageStatus{}
	for _, s := range sts {
		if s.State != StateFresh {
			out[s.Stage] = s
		}
	}
	return out
}

func TestKeysSeeEveryChange(t *testing.T) {
	base := keyCase{src: keySource}
	labelled := strings.Replace(keySource, `template.New("x")`, `template.New(label)`, 1) + "\nvar label = \"a\"\n"
	edit := func(old, new string) keyCase {
		if !strings.Contains(keySource, old) {
			t.Fatalf("key source has no %q", old)
		}
		return keyCase{src: strings.Replace(keySource, old, new, 1)}
	}
	for _, tc := range []struct {
		name          string
		base, changed keyCase
		setup         func(dir string) // called before each engine is made, with a counter
		stale         string           // the stages that must rerun, sorted
		mayRerun      string           // the stages downstream of them
		reason        string           // in the first stale stage's reasons
	}{
		{name: "an import swapped for a look-alike", base: base, changed: edit(`"text/template"`, `"html/template"`),
			stale: "double", mayRerun: "sum", reason: "code: changed pipeline.testDouble"},
		{name: "build tags", base: base, changed: keyCase{src: keySource, build: []debug.BuildSetting{{Key: "-tags", Value: "purego"}}},
			stale: "double,source,square,sum", reason: "build: now -tags=purego"},
		{name: "the amd64 level", base: base, changed: keyCase{src: keySource, build: []debug.BuildSetting{{Key: "GOAMD64", Value: "v3"}}},
			stale: "double,source,square,sum", reason: "build: now GOAMD64=v3"},
		{name: "-ldflags -X of a variable no stage reaches", base: base, changed: keyCase{src: keySource, build: []debug.BuildSetting{{Key: "-ldflags", Value: "-s -w -X main.v=2"}}}},
		{name: "-ldflags -X of a variable one stage reaches", base: keyCase{src: labelled},
			changed: keyCase{src: labelled, build: []debug.BuildSetting{{Key: "-ldflags", Value: "-X github.com/repro-dev/repro/pipeline.label=b"}}},
			stale:   "double", mayRerun: "sum", reason: `package -X github.com/repro-dev/repro/pipeline.label: now reached ("b")`},
		{name: "-ldflags other than -X and -s -w", base: base, changed: keyCase{src: keySource, build: []debug.BuildSetting{{Key: "-ldflags", Value: "-s -w -linkmode=internal"}}},
			stale: "double,source,square,sum", reason: "build: now -ldflags=-linkmode=internal"},
		{name: "-race", base: base, changed: keyCase{src: keySource, build: []debug.BuildSetting{{Key: "-race", Value: "true"}}},
			stale: "double,source,square,sum", reason: "build: now -race=true"},
		{name: "cgo", base: keyCase{src: keySource, build: []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "1"}}},
			changed: keyCase{src: keySource, build: []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "0"}}},
			stale:   "double,source,square,sum", reason: "build: now CGO_ENABLED=0, was CGO_ENABLED=1"},
		{name: "GOEXPERIMENT", base: base, changed: keyCase{src: keySource, build: []debug.BuildSetting{{Key: "GOEXPERIMENT", Value: "greenteagc"}}},
			stale: "double,source,square,sum", reason: "build: now GOEXPERIMENT=greenteagc"},
		{name: "the language version (go.mod's go line)", base: keyCase{src: keySource, gomod: "module github.com/repro-dev/repro\n\ngo 1.21.3\n"},
			changed: keyCase{src: keySource, gomod: "module github.com/repro-dev/repro\n\ngo 1.22\n"},
			stale:   "double,source,square,sum", reason: "language version (go.mod's go line): go1.21 -> go1.22"},
		{name: "a file's own language version (//go:build go1.N)", base: base, changed: keyCase{src: "//go:build go1.21\n\n" + keySource},
			stale: "double,source,square,sum", reason: "code: changed pipeline.testDouble"},
		{name: "a package-level initialiser", base: edit("func helper", "var _ = register()\n\nfunc register() int { return 1 }\n\nfunc helper"),
			changed: edit("func helper", "var _ = register()\n\nfunc register() int { return 2 }\n\nfunc helper"),
			stale:   "double,source,square,sum", reason: "code: changed pipeline.register"},
		{name: "an init function", base: edit("func helper", "func init() { println(1) }\n\nfunc helper"),
			changed: edit("func helper", "func init() { println(2) }\n\nfunc helper"),
			stale:   "double,source,square,sum", reason: "code: changed pipeline.init#0"},
		{name: "a method declared through a type alias", base: edit("return s.area()", "return s.area() + circ{}.perim()"),
			changed: keyCase{src: strings.Replace(strings.Replace(keySource, "return s.area()", "return s.area() + circ{}.perim()", 1), "return 6", "return 7", 1)},
			stale:   "sum", reason: "code: changed pipeline.circ.perim"},
		{name: "a method reached through an interface", base: base, changed: edit("func (sq) area() int { return 1 }", "func (sq) area() int { return 2 }"),
			stale: "sum", reason: "code: changed pipeline.sq.area"},
		{name: "an exported method of a reached type (outside code may call it)", base: base, changed: edit("type tri struct{}", "type tri struct{}\n\nfunc (sq) String() string { return \"\" }"),
			stale: "sum", reason: "code: now reaches pipeline.sq.String"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := staleAfter(t, tc.base, tc.changed, tc.setup)
			var stale, may []string
			for _, name := range sortedKeys(got) {
				if got[name].State == StateMayRerun {
					may = append(may, name)
				} else {
					stale = append(stale, name)
				}
			}
			if strings.Join(stale, ",") != tc.stale || strings.Join(may, ",") != tc.mayRerun {
				t.Fatalf("stale %v, may rerun %v; want stale [%s], may rerun [%s]\n%v", stale, may, tc.stale, tc.mayRerun, got)
			}
			first := got[strings.Split(tc.stale, ",")[0]]
			if r := strings.Join(first.Reasons, "; "); !strings.Contains(r, tc.reason) {
				t.Errorf("%s reasons = %q, want %q", first.Stage, r, tc.reason)
			}
			for _, name := range may {
				if r := strings.Join(got[name].Reasons, "; "); !strings.Contains(r, "upstream ") {
					t.Errorf("%s (may rerun) reasons = %q, want the stale upstream named", name, r)
				}
			}
		})
	}
}

// Harmless changes rerun nothing.
func TestKeysIgnoreHarmlessChanges(t *testing.T) {
	base := keyCase{src: keySource}
	for name, changed := range map[string]keyCase{
		"a method nobody calls":                           {src: strings.Replace(keySource, "type tri struct{}", "type tri struct{}\n\nfunc (sq) unused() int { return 0 }", 1)},
		"a method of a type never constructed":            {src: strings.Replace(keySource, "func (tri) area() int { return 5 }", "func (tri) area() int { return 6 }", 1)},
		"a comment in assembly":                           {src: keySource, extra: map[string]string{"pipeline/k_amd64.s": "TEXT ·k(SB),4,$0 // a comment\n\tRET\n"}},
		"assembly for another platform":                   {src: keySource, extra: map[string]string{"pipeline/k_arm64.s": "TEXT ·k(SB),4,$0\n\tRET\n"}},
		"a file for another build tag":                    {src: keySource, extra: map[string]string{"pipeline/slow.go": "//go:build purego\n\npackage pipeline\n\nfunc init() { println(1) }\n"}},
		"a stripped binary, -trimpath and another commit": {src: keySource, build: []debug.BuildSetting{{Key: "-ldflags", Value: "-s -w"}, {Key: "-trimpath", Value: "true"}, {Key: "vcs.revision", Value: "abc"}}},
	} {
		t.Run(name, func(t *testing.T) {
			b := base
			if strings.HasPrefix(name, "a comment in assembly") {
				b = keyCase{src: keySource, extra: map[string]string{"pipeline/k_amd64.s": "// header\nTEXT ·k(SB),4,$0\n\tRET\n"}}
			}
			if got := staleAfter(t, b, changed, nil); len(got) != 0 {
				t.Errorf("not fresh: %v", got)
			}
		})
	}
}

func TestAnonymousStageFunctionsAreRejected(t *testing.T) {
	g := NewGraph()
	closure := Func(func(c *Context) (int, error) { return 1, nil })
	var s sumOut
	method := Func(func(c *Context) (map[string]float64, error) { return s.Metrics(), nil })
	for name, r := range map[string]Runner{"closure": closure, "method-ish": method, "method value": {name: "repro/pipeline.sumOut.Metrics-fm", fn: closure.fn}} {
		err := g.Add(Stage{Name: "x", Run: r})
		if err == nil || !strings.Contains(err.Error(), "stage x") || !strings.Contains(err.Error(), "named function") || !strings.Contains(err.Error(), "Params") {
			t.Errorf("%s: Add error = %v, want one naming the stage and saying to use a named function with Params", name, err)
		}
	}
	if err := g.Add(Stage{Name: "y", Run: Func(testSource)}); err != nil {
		t.Errorf("a named function: %v", err)
	}
}

func TestMissingPackageIsAnError(t *testing.T) {
	fs := fixture(fixtureA, fixtureB)
	delete(fs, "b/b.go")
	_, err := NewFingerprinter(fs)
	if err == nil || !strings.Contains(err.Error(), "example.com/m/b") || !strings.Contains(err.Error(), "a/a.go") {
		t.Errorf("NewFingerprinter without package b: %v, want an error naming b and its importer", err)
	}
}

func TestBuildMatches(t *testing.T) {
	linux := BuildFromSettings("linux", "amd64", []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "1"}, {Key: "GOAMD64", Value: "v2"}})
	purego := BuildFromSettings("linux", "amd64", []debug.BuildSetting{{Key: "-tags", Value: "purego,x"}, {Key: "CGO_ENABLED", Value: "0"}})
	for _, tc := range []struct {
		name, src     string
		linux, purego bool
	}{
		{"k.go", "package k", true, true},
		{"k_amd64.go", "package k", true, true},
		{"k_arm64.go", "package k", false, false},
		{"k_linux_amd64.s", "TEXT x", true, true},
		{"k_windows.go", "package k", false, false},
		{"k_other.go", "//go:build !amd64 || purego\n\npackage k", false, true},
		{"k_fast.go", "// Copyright\n\n//go:build amd64 && !purego\n\npackage k", true, false},
		{"k_cgo.go", "//go:build cgo\n\npackage k", true, false},
		{"k_v2.go", "//go:build amd64.v2\n\npackage k", true, false},
		{"k_v3.go", "//go:build amd64.v3\n\npackage k", false, false},
		{"k_ignore.go", "//go:build ignore\n\npackage k", false, false},
		{"k_unix.go", "//go:build unix\n\npackage k", true, true},
		{"k_go1.go", "//go:build go1.21\n\npackage k", true, true},
		{"k_asm.s", "//go:build amd64 && !purego\n\n#include \"textflag.h\"\n", true, false},
		{"k_late.go", "package k\n\n//go:build ignore\n", true, true},
	} {
		if got := linux.Matches(tc.name, []byte(tc.src)); got != tc.linux {
			t.Errorf("linux: Matches(%s) = %v", tc.name, got)
		}
		if got := purego.Matches(tc.name, []byte(tc.src)); got != tc.purego {
			t.Errorf("purego: Matches(%s) = %v", tc.name, got)
		}
	}
}

// moduleSource copies this module's source from disk, with edits applied
// (file -> old -> new).
func moduleSource(t *testing.T, edits map[string][2]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("..", p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" || d.Name() == "artifacts" || d.Name() == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !(strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, ".s") || rel == "go.mod" || rel == "go.sum") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if e, ok := edits[rel]; ok {
			if !strings.Contains(string(b), e[0]) {
				t.Fatalf("%s has no %q", rel, e[0])
			}
			b = []byte(strings.Replace(string(b), e[0], e[1], 1))
		}
		fsys[rel] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// The engine's code that turns results into stored bytes is in every key.
func TestEngineEncodingIsInEveryKey(t *testing.T) {
	engineCode := func(edits map[string][2]string) string {
		fp, err := NewFingerprinter(moduleSource(t, edits))
		if err != nil {
			t.Fatal(err)
		}
		return (&Engine{Code: fp}).engineCode()
	}
	base := engineCode(nil)
	if base == EncodingVersion {
		t.Fatal("the engine's encoding code was not found in the module's source")
	}
	for file, e := range map[string][2]string{
		"pipeline/stage.go": {`r.Outputs["value"] = b`, `r.Outputs["value"] = append(b, '\n')`},
		"pipeline/store.go": {`fmt.Fprintf(&b, "%s %s\n", n, r.Outputs[n])`, `fmt.Fprintf(&b, "%s=%s\n", n, r.Outputs[n])`},
		// The decode path: what hands stored bytes back to stages.
		"pipeline/typed.go": {`func (in *In[O]) decode(b []byte) error { return decodeStrict(b, &in.Value) }`,
			`func (in *In[O]) decode(b []byte) error { return decodeStrict(bytes.TrimSpace(b), &in.Value) }`},
	} {
		if engineCode(map[string][2]string{file: e}) == base {
			t.Errorf("editing %s (%s) did not change the engine fingerprint", file, e[0])
		}
	}
	for what, e := range map[string][2]string{
		"decodeStrict": {"	d.DisallowUnknownFields()\n", "	d.DisallowUnknownFields()\n	d.UseNumber()\n"},
		"fillInputs":   {"	v := reflect.New(reflect.TypeOf(in)).Elem()\n", "	v := reflect.New(reflect.TypeOf(in)).Elem()\n	_ = v.NumField() + 1\n"},
	} {
		if engineCode(map[string][2]string{"pipeline/typed.go": e}) == base {
			t.Errorf("editing %s did not change the engine fingerprint", what)
		}
	}
	if got := engineCode(map[string][2]string{"pipeline/stage.go": {"func encodeOutput(o any) (*Result, error) {", "func encodeOutput(o any) (*Result, error) { // a comment"}}); got != base {
		t.Error("a comment changed the engine fingerprint")
	}
}

// planted is read by testPlanted behind the fingerprint's back: a stage
// whose key misses something, which verify --recompute must catch.
var planted = 2

func testPlanted(c *Context) (int, error) { return planted, nil }

func TestRecomputeFindsMisKeyedStage(t *testing.T) {
	defer func(p int) { planted = p }(planted)
	dir := t.TempDir()
	g := NewGraph()
	for _, s := range []Stage{{Name: "source", Params: numParams{N: 3}, Run: Func(testSource)}, {Name: "planted", Deps: []string{"source"}, Run: Func(testPlanted)}} {
		if err := g.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	e := keyCase{src: keySource + "\nfunc testPlanted() {}\n"}.engine(t, dir, g)
	if _, err := e.Run(context.Background(), g.Stages()); err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	res, err := e.Recompute(context.Background(), g.Stages(), all, 0)
	if err != nil || len(res) != 2 || !res[0].Reproducible() || !res[1].Reproducible() {
		t.Fatalf("before the plant: %+v, %v", res, err)
	}
	planted = 3
	res, err = e.Recompute(context.Background(), g.Stages(), func(n string) bool { return n == "planted" }, 0)
	if err != nil || len(res) != 1 || res[0].Reproducible() {
		t.Fatalf("after the plant: %+v, %v; want planted not reproducible", res, err)
	}
	if d := res[0].Diffs; len(d) != 1 || d[0].Name != "value" {
		t.Errorf("diffs = %v, want the value output", d)
	}
	if lines := strings.Join(res[0].KeyLines, "\n"); !strings.Contains(lines, "stage planted") || !strings.Contains(lines, "input source ") {
		t.Errorf("key lines = %q, want the decoded key", lines)
	}
	// A budget already spent starts nothing.
	res, err = e.Recompute(context.Background(), g.Stages(), all, time.Nanosecond)
	if err != nil || len(res) != 2 || !res[0].Skipped || res[0].Reproducible() {
		t.Errorf("with a spent budget: %+v, %v; want every stage skipped", res, err)
	}
}

func TestSampleIsDeterministic(t *testing.T) {
	var names []string
	for i := range 100 {
		names = append(names, fmt.Sprintf("grid/k=%d", i))
	}
	a, b := Sample(names, 10, 7), Sample(names, 10, 7)
	if len(a) != 10 || strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("Sample(10, seed 7) = %v then %v", a, b)
	}
	if c := Sample(names, 10, 8); strings.Join(a, ",") == strings.Join(c, ",") {
		t.Error("another seed picked the same sample")
	}
	if !slices.IsSorted(slices.Collect(func(yield func(int) bool) {
		for _, x := range a {
			if !yield(slices.Index(names, x)) {
				return
			}
		}
	})) {
		t.Errorf("sample %v is not in the order of names", a)
	}
	if got := Sample(names, 0, 1); len(got) != 100 {
		t.Errorf("Sample(0) kept %d, want all", len(got))
	}
}

func TestCheckVerifiesTheLockChain(t *testing.T) {
	dir := t.TempDir()
	env := &testEnv{t: t, dir: dir, engine: &Engine{}}
	g := env.graph(3, false)
	e := keyCase{src: keySource}.engine(t, dir, g)
	res, err := e.Run(context.Background(), g.Stages())
	if err != nil {
		t.Fatal(err)
	}
	lock, _ := ReadLock(filepath.Join(dir, "none.lock"))
	if err := lock.Update(res, e); err != nil {
		t.Fatal(err)
	}
	if bad, err := e.Check(g.Stages(), lock); err != nil || len(bad) != 0 {
		t.Fatalf("a fresh lock: %v, %v", bad, err)
	}
	// A badly merged lock: double's outputs from one side, sum's inputs
	// from the other.
	lock.Stages["double"].Outputs = map[string]string{"value": HashBytes([]byte("other"))}
	bad, err := e.Check(g.Stages(), lock)
	if err != nil || len(bad) != 1 || bad[0].Stage != "sum" {
		t.Fatalf("Check = %v, %v; want sum's chain broken", bad, err)
	}
	if r := strings.Join(bad[0].Reasons, ";"); !strings.Contains(r, "chain: input double is recorded as") {
		t.Errorf("reasons = %q, want the broken link named", r)
	}
	delete(lock.Stages["sum"].Inputs, "square")
	bad, _ = e.Check(g.Stages(), lock)
	if r := strings.Join(bad[0].Reasons, ";"); !strings.Contains(r, "chain: the lock records no input square") {
		t.Errorf("reasons = %q, want the missing input named", r)
	}
}

// A stage whose code reads the environment, the clock, a global random
// source or a package variable that code assigns at run time (directly or
// through what it calls) is refused, naming what and where: what it reads
// is in no key. A random source made from a seed, a variable set only when
// its package initialises, and a cache marked //repro:memo are fine.
func TestAmbientReadsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           string // "" for no refusal
	}{
		{"the environment", `func testSource() int { return helper() }`, `func testSource() int { _ = os.Getenv("X"); return helper() }`,
			`stage source: its code reads what no key records: os.Getenv (in pipeline.testSource`},
		{"the clock, two calls away", `func helper() int { return 1 }`, `func helper() int { return time.Now().Second() }`,
			`time.Now (in pipeline.helper`},
		{"the global random source", `func helper() int { return 1 }`, `func helper() int { return rand.Intn(3) }`,
			`math/rand.Intn (in pipeline.helper`},
		{"a seeded random source", `func helper() int { return 1 }`, `func helper() int { return rand.New(rand.NewSource(1)).Intn(3) }`, ""},
		{"a file not declared as an input", `func helper() int { return 1 }`, `func helper() int { b, _ := os.ReadFile("x"); return len(b) }`,
			`os.ReadFile (in pipeline.helper`},
		{"a package variable assigned at run time", `func helper() int { return 1 }`,
			"var setting = 1\n\nfunc setSetting(v int) { setting = v }\n\nfunc helper() int { return setting }",
			`pipeline.setting, which pipeline.setSetting assigns at run time (in pipeline.helper)`},
		{"a field of one, through its address", `func helper() int { return 1 }`,
			"var conf struct{ n int }\n\nfunc configure() { p := &conf; p.n = 2 }\n\nfunc helper() int { return conf.n }",
			`pipeline.conf, which pipeline.configure assigns at run time (in pipeline.helper)`},
		{"a package variable set only by its initialiser and init", `func helper() int { return 1 }`,
			"var setting = 1\n\nfunc init() { setting = 2 }\n\nfunc helper() int { return setting }", ""},
		{"a cache of a pure function, marked //repro:memo", `func helper() int { return 1 }`,
			"// squares caches x*x.\n//\n//repro:memo\nvar squares = map[int]int{}\n\nfunc helper() int { squares[3] = 9; return squares[3] }", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(keySource, tc.old, tc.new, 1)
			src = strings.Replace(src, `import (`, "import (\n\t\"math/rand\"\n\t\"os\"\n\t\"time\"\n", 1)
			src += "\nvar _ = os.Args\nvar _ = time.Second\nvar _ = rand.New\n" // the imports are used either way
			dir := t.TempDir()
			env := &testEnv{t: t, dir: dir, engine: &Engine{}}
			g := env.graph(3, false)
			e := keyCase{src: src}.engine(t, dir, g)
			_, err := e.Run(context.Background(), g.Stages())
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "parameters") {
				t.Fatalf("run: %v, want a refusal containing %q", err, tc.want)
			}
			sts, err := e.Status(g.Stages(), &Lock{Stages: map[string]*LockStage{}})
			if err == nil {
				t.Errorf("status: no error; states %v", sts)
			}
		})
	}
}
