package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
)

// noisyCalls makes testNoisy a stage that is not reproducible: its output
// depends on how many times it ran, as if it read a clock or an unseeded
// random source.
var noisyCalls atomic.Int64

type noisyOut struct{ N int64 }

func (o noisyOut) Metrics() map[string]float64 { return map[string]float64{"test.noisy": float64(o.N)} }

func testNoisy(c *Context) (noisyOut, error) {
	xs, err := Input[[]int](c, "source")
	return noisyOut{N: int64(len(xs)) + noisyCalls.Add(1)}, err
}

// recomputeEnv is the engine test graph plus a stage that is not
// reproducible, fingerprinted from this file and engine_test.go.
func recomputeEnv(t *testing.T) (*testEnv, *Graph) {
	t.Helper()
	e := newTestEnv(t)
	fs := fstest.MapFS{"go.mod": {Data: []byte("module repro\n")}}
	for _, f := range []string{"engine_test.go", "reliability_test.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fs["pipeline/"+strings.TrimSuffix(f, "_test.go")+".go"] = &fstest.MapFile{Data: src}
	}
	fp, err := NewFingerprinter(fs)
	if err != nil {
		t.Fatal(err)
	}
	e.engine.Code = fp
	g := e.graph(3, false)
	if err := g.Add(Stage{Name: "noisy", Deps: []string{"source"}, Run: Func(testNoisy)}); err != nil {
		t.Fatal(err)
	}
	return e, g
}

func storeFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestRecomputeNamesIrreproducibleStages(t *testing.T) {
	e, g := recomputeEnv(t)
	ctx := context.Background()
	all := func(string) bool { return true }

	// Nothing has run: the stages cannot be keyed or compared.
	if _, err := e.engine.Recompute(ctx, g.Stages(), all); err == nil || !strings.Contains(err.Error(), "not in the run cache: run it first") {
		t.Fatalf("Recompute before any run: err = %v, want \"not in the run cache: run it first\"", err)
	}
	if _, err := e.run(g); err != nil {
		t.Fatal(err)
	}
	files := storeFiles(t, e.engine.Store.Dir)

	res, err := e.engine.Recompute(ctx, g.Stages(), all)
	if err != nil {
		t.Fatal(err)
	}
	var names, bad []string
	for _, r := range res {
		names = append(names, r.Stage)
		if !r.Reproducible() {
			bad = append(bad, r.Stage)
		}
	}
	if got := strings.Join(names, ","); got != "source,double,square,sum,noisy" {
		t.Errorf("recomputed %s, want every stage in order", got)
	}
	if got := strings.Join(bad, ","); got != "noisy" {
		t.Errorf("not reproducible: %q, want only noisy", got)
	}
	noisy := res[len(res)-1]
	var kinds []string
	for _, d := range noisy.Diffs {
		kinds = append(kinds, d.Kind+" "+d.Name)
	}
	if got := strings.Join(kinds, ","); got != "output value,metric test.noisy" {
		t.Errorf("noisy diffs = %q (%v), want its value output and its metric", got, noisy.Diffs)
	}
	if got := storeFiles(t, e.engine.Store.Dir); got != files {
		t.Errorf("Recompute wrote to the store: %d files, want %d", got, files)
	}

	// A pattern reruns only the matching stages; the others only key them.
	calls := noisyCalls.Load()
	res, err = e.engine.Recompute(ctx, g.Stages(), func(n string) bool { return n == "double" })
	if err != nil || len(res) != 1 || res[0].Stage != "double" || !res[0].Reproducible() {
		t.Errorf("Recompute(double) = %v, %v; want double, reproducible", res, err)
	}
	if noisyCalls.Load() != calls {
		t.Error("Recompute(double) ran noisy")
	}

	// A cancelled context stops it.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.engine.Recompute(cctx, g.Stages(), all); err == nil {
		t.Error("Recompute with a cancelled context returned no error")
	}
}
