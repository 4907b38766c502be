package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"repro"
	"repro/config"
	"repro/pipeline"
	"repro/stages"
)

// BenchmarkNoopRun measures a warm run of the quick profile in-process:
// every stage's key computed, found in the run cache and its outputs
// re-hashed, the report exported. This is what a second `make report` costs
// beyond building the binary.
func BenchmarkNoopRun(b *testing.B) {
	dir := b.TempDir()
	root, _ := filepath.Abs("../..")
	for _, f := range []string{"params.yaml", "params.quick.yaml", "data/digits.csv.gz", "data/jacksboro_fault_dem.npz", "data/published.json",
		"templates/report.md", "templates/layout.html", "templates/style.css"} {
		src, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			b.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), src, 0o644)
	}
	p, err := config.Load(config.Options{Dir: dir, Profile: "quick"})
	if err != nil {
		b.Fatal(err)
	}
	g, err := stages.Build(p, stages.Env{Profile: "quick"})
	if err != nil {
		b.Fatal(err)
	}
	st, err := pipeline.OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		b.Fatal(err)
	}
	newEngine := func() *pipeline.Engine {
		fp, err := pipeline.NewFingerprinter(repro.Source)
		if err != nil {
			b.Fatal(err)
		}
		return &pipeline.Engine{Graph: g, Store: st, Code: fp, Root: dir}
	}
	if _, err := newEngine().Run(context.Background(), g.Stages()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A fresh engine per iteration: the fingerprints are recomputed, as
		// in a new process.
		res, err := newEngine().Run(context.Background(), g.Stages())
		if err != nil || len(res.Ran) != 0 {
			b.Fatalf("warm run ran %v: %v", res.Ran, err)
		}
	}
}
