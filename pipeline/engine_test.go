package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

// The stages of the test graph: source -> double -> sum <- square(source).

type numParams struct {
	N    int  `json:"n"`
	Fail bool `json:"fail"`
}

func testSource(c *Context) ([]int, error) {
	p, err := Params[numParams](c)
	if err != nil {
		return nil, err
	}
	out := make([]int, p.N)
	for i := range out {
		out[i] = i + 1
	}
	return out, nil
}

func testDouble(c *Context) ([]int, error) {
	xs, err := Input[[]int](c, "source")
	for i := range xs {
		xs[i] *= 2
	}
	return xs, err
}

func testSquare(c *Context) ([]int, error) {
	p, err := Params[numParams](c)
	if err != nil {
		return nil, err
	}
	if p.Fail {
		return nil, errors.New("square failed on purpose")
	}
	xs, err := Input[[]int](c, "source")
	for i := range xs {
		xs[i] *= xs[i]
	}
	return xs, err
}

type sumOut struct{ Total int }

func (s sumOut) Metrics() map[string]float64 {
	return map[string]float64{"test.total": float64(s.Total)}
}
func (s sumOut) Artifacts() map[string][]byte {
	return map[string][]byte{"total.txt": []byte(strings.Repeat("x", s.Total%7))}
}

func testSum(c *Context) (sumOut, error) {
	var s sumOut
	for _, d := range []string{"double", "square"} {
		xs, err := Input[[]int](c, d)
		if err != nil {
			return s, err
		}
		for _, x := range xs {
			s.Total += x
		}
	}
	return s, nil
}

func testPanic(c *Context) (int, error) { panic("boom") }

type testEnv struct {
	t      *testing.T
	dir    string
	engine *Engine
}

func newTestEnv(t *testing.T) *testEnv {
	src, err := os.ReadFile("engine_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fp, err := NewFingerprinter(fstest.MapFS{
		"go.mod":             {Data: []byte("module github.com/repro-dev/repro\n")},
		"pipeline/stages.go": {Data: src},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, dir: dir, engine: &Engine{Store: st, Code: fp, Root: dir, Jobs: 2}}
}

func (e *testEnv) graph(n int, fail bool) *Graph {
	g := NewGraph()
	must := func(err error) {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(g.Add(Stage{Name: "source", Params: numParams{N: n}, Run: Func(testSource)}))
	must(g.Add(Stage{Name: "double", Deps: []string{"source"}, Run: Func(testDouble)}))
	must(g.Add(Stage{Name: "square", Deps: []string{"source"}, Params: numParams{Fail: fail}, Run: Func(testSquare)}))
	must(g.Add(Stage{Name: "sum", Deps: []string{"double", "square"}, Run: Func(testSum), Exports: map[string]string{"total.txt": "total.txt"}}))
	e.engine.Graph = g
	return g
}

func (e *testEnv) run(g *Graph) (*RunResult, error) {
	return e.engine.Run(context.Background(), g.Stages())
}

func sorted(xs []string) string {
	ys := append([]string(nil), xs...)
	sort.Strings(ys)
	return strings.Join(ys, ",")
}

func TestEngineRunAndCache(t *testing.T) {
	e := newTestEnv(t)
	g := e.graph(3, false)
	res, err := e.run(g)
	if err != nil {
		t.Fatal(err)
	}
	if got := sorted(res.Ran); got != "double,source,square,sum" {
		t.Errorf("first run ran %s", got)
	}
	if got := res.Outcomes["sum"].Record.Metrics["test.total"]; got != 2+4+6+1+4+9 {
		t.Errorf("total = %v, want 26", got)
	}
	if b, err := os.ReadFile(filepath.Join(e.dir, "artifacts/total.txt")); err != nil || string(b) != strings.Repeat("x", 26%7) {
		t.Errorf("export: %q, %v", b, err)
	}
	res, err = e.run(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Ran) != 0 || len(res.Cached) != 4 {
		t.Errorf("second run ran %v, cached %v; want everything cached", res.Ran, res.Cached)
	}

	// Change the source's parameter: everything downstream reruns.
	lock := &Lock{}
	res0, _ := e.run(g)
	if err := lock.Update(res0, e.engine); err != nil {
		t.Fatal(err)
	}
	g = e.graph(4, false)
	sts, err := e.engine.Status(g.Stages(), lock)
	if err != nil {
		t.Fatal(err)
	}
	if sts[0].State != "stale" || !strings.Contains(strings.Join(sts[0].Reasons, ";"), "params: n 3 -> 4") {
		t.Errorf("source status = %+v, want stale with params: n 3 -> 4", sts[0])
	}
	if sts[3].State != StateMayRerun || !strings.Contains(strings.Join(sts[3].Reasons, ";"), "upstream source is stale") {
		t.Errorf("sum status = %+v, want may rerun: upstream source is stale", sts[3])
	}
	res, err = e.run(g)
	if err != nil {
		t.Fatal(err)
	}
	if got := sorted(res.Ran); got != "double,source,square,sum" {
		t.Errorf("after a parameter change ran %s", got)
	}
	// Going back to the earlier value costs nothing: the run cache keeps it.
	res, _ = e.run(e.graph(3, false))
	if len(res.Ran) != 0 {
		t.Errorf("returning to n=3 ran %v; want all cached", res.Ran)
	}
}

func TestEngineFailureKeepsCompletedWork(t *testing.T) {
	e := newTestEnv(t)
	g := e.graph(3, true)
	res, err := e.run(g)
	var se *StageError
	if !errors.As(err, &se) || se.Stage != "square" || !strings.Contains(err.Error(), "on purpose") {
		t.Fatalf("err = %v, want a StageError for square", err)
	}
	if sorted(res.Failed) != "square" || !strings.Contains(sorted(res.Skipped), "sum") {
		t.Errorf("failed %v skipped %v", res.Failed, res.Skipped)
	}
	// The completed stages are cached for the next run.
	res, err = e.run(e.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if got := sorted(res.Cached); !strings.Contains(got, "source") {
		t.Errorf("after the failure, cached = %s; want source kept", got)
	}
}

func TestEnginePanicIsAnError(t *testing.T) {
	e := newTestEnv(t)
	g := NewGraph()
	if err := g.Add(Stage{Name: "p", Run: Func(testPanic)}); err != nil {
		t.Fatal(err)
	}
	e.engine.Graph = g
	_, err := e.run(g)
	if err == nil || !strings.Contains(err.Error(), "stage p: panic: boom") {
		t.Errorf("err = %v, want stage p: panic: boom", err)
	}
}

func TestEngineRecomputesCorruptObject(t *testing.T) {
	e := newTestEnv(t)
	g := e.graph(3, false)
	res, err := e.run(g)
	if err != nil {
		t.Fatal(err)
	}
	h := res.Outcomes["double"].Record.Outputs["value"]
	p := e.engine.Store.objectPath(h)
	b, _ := os.ReadFile(p)
	b[0] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	probs, err := e.engine.Store.Verify()
	if err != nil || len(probs) != 1 || !strings.Contains(probs[0].Path, h) {
		t.Errorf("Verify = %v, %v; want one problem naming %s", probs, err, h[:12])
	}
	var warned []string
	e.engine.Observe = func(ev Event) {
		if ev.Kind == EventWarning {
			warned = append(warned, ev.Stage)
		}
	}
	res, err = e.run(g)
	if err != nil {
		t.Fatal(err)
	}
	if sorted(res.Ran) != "double" || sorted(warned) != "double" {
		t.Errorf("ran %v, warned %v; want double recomputed with a warning", res.Ran, warned)
	}
	if probs, _ := e.engine.Store.Verify(); len(probs) != 0 {
		t.Errorf("after recompute, Verify = %v", probs)
	}
}

func TestCheckName(t *testing.T) {
	for _, bad := range []string{"", "../x", "a/../../b", "/abs", "a//b", "a/./b", "a\x00b", `a\b`, "a/"} {
		if CheckName("stage", bad) == nil {
			t.Errorf("CheckName(%q) = nil, want an error", bad)
		}
	}
	for _, good := range []string{"terrain/load", "neural/regression/arch=2x8x1/lr=0.01/seed=1", "report"} {
		if err := CheckName("stage", good); err != nil {
			t.Errorf("CheckName(%q) = %v", good, err)
		}
	}
	g := NewGraph()
	if err := g.Add(Stage{Name: "../escape", Run: Func(testSource)}); err == nil {
		t.Error("Graph.Add accepted ../escape")
	}
	if err := g.Add(Stage{Name: "ok", Run: Func(testSource), Exports: map[string]string{"value": "../../etc/passwd"}}); err == nil {
		t.Error("Graph.Add accepted an export escaping the project")
	}
}

func TestSelect(t *testing.T) {
	e := newTestEnv(t)
	g := e.graph(3, false)
	sel, err := g.Select([]string{"double"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sel {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "source,double" {
		t.Errorf("Select(double) = %v, want source,double", names)
	}
	if _, err := g.Select([]string{"nope/*"}); err == nil {
		t.Error("Select of a pattern matching nothing: no error")
	}
	for _, tc := range []struct {
		pat, name string
		want      bool
	}{
		{"neural", "neural/regression/x", true},
		{"neural/*", "neural/regression", true},
		{"neural/*", "neural/regression/x", true}, // a family, as repro dag labels it
		{"neural/...", "neural/regression/x", true},
		{"terrain", "terrainx/y", false},
	} {
		if got := Match(tc.pat, tc.name); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pat, tc.name, got, tc.want)
		}
	}
}

func TestLockRoundTripIsCanonical(t *testing.T) {
	e := newTestEnv(t)
	g := e.graph(3, false)
	res, err := e.run(g)
	if err != nil {
		t.Fatal(err)
	}
	l := &Lock{}
	if err := l.Update(res, e.engine); err != nil {
		t.Fatal(err)
	}
	b1, _ := l.Encode()
	l2, err := ParseLock("x", b1)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := l2.Encode()
	if string(b1) != string(b2) {
		t.Error("lock encoding is not stable across a round trip")
	}
	if l.Metrics()["test.total"] != 26 {
		t.Errorf("lock metrics = %v", l.Metrics())
	}
}

func TestGC(t *testing.T) {
	e := newTestEnv(t)
	res, err := e.run(e.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	stray, _ := e.engine.Store.Put([]byte("nobody references me"))
	removed, _, err := e.engine.Store.GC(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != stray {
		t.Errorf("GC removed %v, want only the stray object", removed)
	}
	res2, _ := e.run(e.graph(3, false))
	if len(res2.Ran) != 0 || len(res.Ran) != 4 {
		t.Errorf("after GC, the run cache lost entries: ran %v", res2.Ran)
	}
}
