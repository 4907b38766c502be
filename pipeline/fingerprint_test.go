package pipeline

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

const fixtureA = `package a

import (
	"fmt"
	"example.com/m/b"
	"gonum.org/v1/gonum/mat"
)

// Shape is implemented by Square and Circle.
type Shape interface{ Area() float64 }

type Square struct{ S float64 }

func (s Square) Area() float64 { return s.S * s.S }

type Circle struct{ R float64 }

func (c Circle) Area() float64 { return 3 * c.R * c.R }

func (c Circle) Unused() int { return 1 }

const k = 2

var table = []int{1, 2}

func helper(x float64) float64 { return x * k }

// Terrain reaches helper and b.Only.
func Terrain(x float64) float64 {
	m := mat.NewDense(1, 1, nil)
	_ = m.At(0, 0)
	return helper(x) + b.Only()
}

// Digits reaches shapes through an interface.
func Digits(s Shape) string {
	return fmt.Sprint(s.Area(), table[0])
}

// Squares passes a Square through the interface.
func Squares() string { return Digits(Square{2}) }

func Closure() func() int {
	return func() int { return k }
}
`

const fixtureB = `package b

func Only() float64 { return 1 }

type T struct{}

// Area has the name of an interface method, but package b cannot be
// behind a's interface: a imports b, yes, so it is visible.
func (T) Area() float64 { return 0 }
`

func fixture(a, b string) fstest.MapFS {
	return fstest.MapFS{
		"go.mod":      {Data: []byte("module example.com/m\n\ngo 1.26\n")},
		"a/a.go":      {Data: []byte(a)},
		"b/b.go":      {Data: []byte(b)},
		"a/a_test.go": {Data: []byte("package a\n\nfunc TestX() { Terrain(1) }\n")},
	}
}

func reach(t *testing.T, fsys fstest.MapFS, fn string) *Code {
	t.Helper()
	fp, err := NewFingerprinter(fsys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := fp.Reach(fn)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReachDeclarations(t *testing.T) {
	fs := fixture(fixtureA, fixtureB)
	terrain := reach(t, fs, "example.com/m/a.Terrain")
	for _, want := range []string{"example.com/m/a.Terrain", "example.com/m/a.helper", "example.com/m/a.k", "example.com/m/b.Only"} {
		if _, ok := terrain.Decls[want]; !ok {
			t.Errorf("Terrain does not reach %s; reaches %v", want, keys(terrain.Decls))
		}
	}
	for _, not := range []string{"example.com/m/a.Digits", "example.com/m/a.Square.Area", "example.com/m/a.table"} {
		if _, ok := terrain.Decls[not]; ok {
			t.Errorf("Terrain reaches %s, which it does not use", not)
		}
	}
	if strings.Join(terrain.Imports, ",") != "gonum.org/v1/gonum/mat" {
		t.Errorf("Terrain imports = %v, want [gonum.org/v1/gonum/mat]", terrain.Imports)
	}
	// An interface call reaches the methods of the types that can flow
	// into the interface: those the reached code mentions.
	digits := reach(t, fs, "example.com/m/a.Squares")
	for _, want := range []string{"example.com/m/a.Square.Area", "example.com/m/a.Shape", "example.com/m/a.table"} {
		if _, ok := digits.Decls[want]; !ok {
			t.Errorf("Squares does not reach %s through the interface; reaches %v", want, keys(digits.Decls))
		}
	}
	for _, not := range []string{"example.com/m/a.Circle.Area", "example.com/m/b.T.Area", "example.com/m/a.Circle"} {
		if _, ok := digits.Decls[not]; ok {
			t.Errorf("Squares reaches %s, whose type never flows into the interface", not)
		}
	}
	// Closures map to their enclosing function.
	cl := reach(t, fs, "example.com/m/a.Closure.func1")
	if _, ok := cl.Decls["example.com/m/a.k"]; !ok {
		t.Errorf("closure does not reach k: %v", keys(cl.Decls))
	}
}

func TestFingerprintIgnoresCommentsAndFormatting(t *testing.T) {
	base := reach(t, fixture(fixtureA, fixtureB), "example.com/m/a.Terrain").Fingerprint
	edits := map[string]string{
		"comment":     strings.Replace(fixtureA, "// Terrain reaches helper and b.Only.", "// Terrain: a different comment.\n// Two lines now.", 1),
		"inner":       strings.Replace(fixtureA, "return helper(x) + b.Only()", "// a comment inside\n\treturn helper(x) + /* here too */ b.Only()", 1),
		"formatting":  strings.Replace(fixtureA, "func helper(x float64) float64 { return x * k }", "func helper(x float64) float64 {\n\treturn x*k\n}", 1),
		"unreached":   strings.Replace(fixtureA, "return fmt.Sprint(s.Area(), table[0])", "return fmt.Sprint(s.Area(), table[1])", 1),
		"other types": strings.Replace(fixtureA, "return 3 * c.R * c.R", "return 3.14 * c.R * c.R", 1),
	}
	for name, src := range edits {
		if src == fixtureA {
			t.Fatalf("edit %s did not apply", name)
		}
		got := reach(t, fixture(src, fixtureB), "example.com/m/a.Terrain").Fingerprint
		if got != base {
			t.Errorf("edit %s changed Terrain's fingerprint", name)
		}
	}
	changes := map[string]string{
		"helper body": strings.Replace(fixtureA, "return x * k", "return x * k * 1", 1),
		"const":       strings.Replace(fixtureA, "const k = 2", "const k = 3", 1),
	}
	for name, src := range changes {
		got := reach(t, fixture(src, fixtureB), "example.com/m/a.Terrain").Fingerprint
		if got == base {
			t.Errorf("edit %s did not change Terrain's fingerprint", name)
		}
	}
	got := reach(t, fixture(fixtureA, strings.Replace(fixtureB, "return 1", "return 2", 1)), "example.com/m/a.Terrain").Fingerprint
	if got == base {
		t.Errorf("editing b.Only did not change Terrain's fingerprint")
	}
}

func TestFuncID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"repro/stages.split", "repro/stages.split"},
		{"repro/stages.Build.func1", "repro/stages.Build"},
		{"repro/stages.Build.func1.2", "repro/stages.Build"},
		{"repro/stages.(*T).Run", "repro/stages.T.Run"},
		{"repro/stages.T.Run-fm", "repro/stages.T.Run"},
		{"repro/pipeline.Func[...].func1", "repro/pipeline.Func"},
		{"example.com/m/a.F", "example.com/m/a.F"},
	} {
		if got := funcID(tc.in); got != tc.want {
			t.Errorf("funcID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReachUnknown(t *testing.T) {
	fp, err := NewFingerprinter(fixture(fixtureA, fixtureB))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fp.Reach("example.com/m/a.Nope"); err == nil || !strings.Contains(err.Error(), "a.Nope") {
		t.Errorf("Reach(unknown) error = %v, want one naming the function", err)
	}
}

func keys[V any](m map[string]V) []string { return sortedKeys(m) }

// Two processes sharing a cache directory (project.CacheDirEnv), each
// asking for other functions, leave a file that holds both; files of other
// sources unused for days are removed, others kept.
func TestCachedFingerprinterSharedDir(t *testing.T) {
	dir := t.TempDir()
	fs := fixture(fixtureA, fixtureB)
	bc := BuildFromSettings("linux", "amd64", nil)
	a, _ := NewCachedFingerprinter(fs, bc, dir)
	b, _ := NewCachedFingerprinter(fs, bc, dir)
	terrain, err := a.Reach("example.com/m/a.Terrain")
	if err != nil {
		t.Fatal(err)
	}
	squares, err := b.Reach("example.com/m/a.Squares")
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "fingerprints-00000000000000000000000000000000.json")
	recent := filepath.Join(dir, "fingerprints-11111111111111111111111111111111.json")
	for _, p := range []string{stale, recent} {
		os.WriteFile(p, []byte("{}"), 0o644)
	}
	old := time.Now().Add(-codeCacheMaxAge - time.Hour)
	os.Chtimes(stale, old, old)
	a.Flush()
	b.Flush()
	c, _ := NewCachedFingerprinter(fs, bc, dir)
	for root, want := range map[string]*Code{"example.com/m/a.Terrain": terrain, "example.com/m/a.Squares": squares} {
		if got, err := c.Reach(root); err != nil || got.Fingerprint != want.Fingerprint {
			t.Errorf("%s: %v, %v", root, got, err)
		}
	}
	if c.decls != nil {
		t.Error("the merged cache lacked one process's results: the source was type-checked")
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a cache file unused for more than five days was kept")
	}
	if _, err := os.Stat(recent); err != nil {
		t.Error("a recent cache file of another source was removed")
	}
}

func TestAssemblyCountsWithItsPackage(t *testing.T) {
	fs := fixture(fixtureA, fixtureB)
	fs["b/add_amd64.s"] = &fstest.MapFile{Data: []byte("TEXT ·add(SB),4,$0\n\tRET\n")}
	base := reach(t, fs, "example.com/m/a.Terrain")
	if _, ok := base.Decls["example.com/m/b.asm:add_amd64.s"]; !ok {
		t.Fatalf("Terrain (which reaches package b) does not reach b's assembly: %v", keys(base.Decls))
	}
	fs["b/add_amd64.s"] = &fstest.MapFile{Data: []byte("TEXT ·add(SB),4,$0\n\tNOP\n\tRET\n")}
	if reach(t, fs, "example.com/m/a.Terrain").Fingerprint == base.Fingerprint {
		t.Error("editing b's assembly did not change Terrain's fingerprint")
	}
}

func TestCachedFingerprinter(t *testing.T) {
	dir := t.TempDir()
	fs := fixture(fixtureA, fixtureB)
	bc := BuildFromSettings("linux", "amd64", nil)
	first, err := NewCachedFingerprinter(fs, bc, dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := first.Reach("example.com/m/a.Terrain")
	if err != nil {
		t.Fatal(err)
	}
	first.Flush()
	// The same source: nothing is parsed, the result is the cached one.
	second, err := NewCachedFingerprinter(fs, bc, dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := second.Reach("example.com/m/a.Terrain")
	if err != nil || got.Fingerprint != want.Fingerprint || len(got.Decls) != len(want.Decls) {
		t.Fatalf("cached Reach = %+v, %v; want %+v", got, err, want)
	}
	if second.decls != nil {
		t.Error("a cached fingerprint type-checked the source anyway")
	}
	// A function the cache does not hold loads the source then.
	if _, err := second.Reach("example.com/m/a.Squares"); err != nil || second.decls == nil {
		t.Errorf("Reach of an uncached function: %v (loaded %v)", err, second.decls != nil)
	}
	// Another source or another build: another cache.
	edited := fixture(strings.Replace(fixtureA, "return x * k", "return x * k * 2", 1), fixtureB)
	third, _ := NewCachedFingerprinter(edited, bc, dir)
	if c, _ := third.Reach("example.com/m/a.Terrain"); c.Fingerprint == want.Fingerprint {
		t.Error("an edited source reused the cached fingerprint")
	}
	tagged, _ := NewCachedFingerprinter(fs, BuildFromSettings("linux", "amd64", []debug.BuildSetting{{Key: "-tags", Value: "purego"}}), dir)
	if tagged.SourceHash == first.SourceHash || tagged.decls == nil {
		t.Error("another build configuration shared the cache")
	}
	// A damaged cache file is ignored.
	files, _ := filepath.Glob(filepath.Join(dir, "fingerprints-*.json"))
	for _, f := range files {
		os.WriteFile(f, []byte("{not json"), 0o644)
	}
	fourth, err := NewCachedFingerprinter(fs, bc, dir)
	if err != nil || fourth.decls == nil {
		t.Errorf("a damaged cache: %v, loaded %v", err, fourth.decls != nil)
	}
	// A broken source is an error at once when nothing is cached.
	broken := fixture(fixtureA, fixtureB)
	delete(broken, "b/b.go")
	if _, err := NewCachedFingerprinter(broken, bc, t.TempDir()); err == nil {
		t.Error("a source missing a package: no error")
	}
}
