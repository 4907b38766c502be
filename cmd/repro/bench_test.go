package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/gobuild"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// BenchmarkNoopRun measures a warm run in-process, on the quick and on the
// default profile: every stage's key computed (the source read and hashed,
// its fingerprints taken from the store's cache, as in a new process), found
// in the run cache and its outputs re-hashed, the report exported. The go
// command's listing is read from the store's state as repro run reads it. This is what a second `make report`
// costs beyond building the binary. The default profile's store is filled
// once per benchmark binary (a cold run: a minute or two).
func BenchmarkNoopRun(b *testing.B) {
	for _, profile := range []string{"quick", "default"} {
		b.Run("profile="+profile, func(b *testing.B) {
			g, st, dir := warmStore(b, profile)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// A fresh engine per iteration, as in a new process: the
				// source is read and hashed, its fingerprints come from
				// the store's cache, as `repro run` does.
				fp := benchCode(b, st)
				e := &pipeline.Engine{Graph: g, Store: st, Code: fp, Root: dir}
				res, err := e.Run(context.Background(), g.Stages())
				if err != nil || len(res.Ran) != 0 {
					b.Fatalf("warm run ran %v: %v", res.Ran, err)
				}
			}
		})
	}
}

// benchCode makes the fingerprinter as repro run does: the go command's
// listing of the module (reused from the store's state while no file it
// depends on changed), its fingerprints from the store's cache.
func benchCode(b *testing.B, st *pipeline.Store) *pipeline.Fingerprinter {
	root, _ := filepath.Abs("../..")
	state := filepath.Join(st.Dir, "state")
	bl, err := gobuild.Load(context.Background(), gobuild.Config{Dir: root, Target: "./cmd/repro", CacheDir: state})
	if err != nil {
		b.Fatal(err)
	}
	fp, err := pipeline.NewFingerprinterForBuild(bl, pipeline.CurrentBuild(), state)
	if err != nil {
		b.Fatal(err)
	}
	return fp
}

var warm = map[string]*warmed{}

type warmed struct {
	g   *pipeline.Graph
	st  *pipeline.Store
	dir string
}

// warmStore builds the graph of profile in a temporary project and runs it
// once, the first time a benchmark asks for it.
func warmStore(b *testing.B, profile string) (*pipeline.Graph, *pipeline.Store, string) {
	if w, ok := warm[profile]; ok {
		return w.g, w.st, w.dir
	}
	dir, err := os.MkdirTemp("", "repro-bench-")
	if err != nil {
		b.Fatal(err)
	}
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
	p, err := config.Load(config.Options{Dir: dir, Profile: profile})
	if err != nil {
		b.Fatal(err)
	}
	g, err := stages.Build(p, stages.Env{Profile: profile})
	if err != nil {
		b.Fatal(err)
	}
	st, err := pipeline.OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		b.Fatal(err)
	}
	fp := benchCode(b, st)
	if _, err := (&pipeline.Engine{Graph: g, Store: st, Code: fp, Root: dir}).Run(context.Background(), g.Stages()); err != nil {
		b.Fatal(err)
	}
	warm[profile] = &warmed{g, st, dir}
	return g, st, dir
}
