package main

import (
	"context"
	"debug/buildinfo"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/gobuild"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// staleSet runs `status` in-process against the project copy dir, with code
// fingerprints taken from the source on disk there (as a rebuilt binary
// would), and returns the stale stages with their reasons.
func staleSet(t *testing.T, dir string) map[string][]string {
	t.Helper()
	p, err := config.Load(config.Options{Dir: dir, Profile: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := stages.Build(p, stages.Env{Profile: "quick", KaTeX: stages.KaTeXFiles(os.DirFS(dir))})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	// The fingerprints a binary rebuilt from the edited copy would make.
	b, err := gobuild.Load(context.Background(), gobuild.Config{Dir: dir, Target: "./cmd/repro", Flags: []string{"-trimpath"}})
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(reproBin)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := pipeline.NewFingerprinterForBuild(b, pipeline.BuildFromSettings(runtime.GOOS, runtime.GOARCH, bi.Settings), "")
	if err != nil {
		t.Fatal(err)
	}
	lock, err := pipeline.ReadLock(filepath.Join(dir, "repro.quick.lock"))
	if err != nil {
		t.Fatal(err)
	}
	e := &pipeline.Engine{Graph: g, Store: st, Code: fp, Root: dir, Debug: os.Stderr}
	sts, err := e.Status(g.Stages(), lock)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, s := range sts {
		if s.State != "fresh" {
			out[s.Stage] = s.Reasons
		}
	}
	return out
}

// downstream returns stage and everything that depends on it.
func downstream(t *testing.T, dir string, stage string) []string {
	p, _ := config.Load(config.Options{Dir: dir, Profile: "quick"})
	g, _ := stages.Build(p, stages.Env{Profile: "quick", KaTeX: stages.KaTeXFiles(os.DirFS(dir))})
	down := g.Downstream()
	seen := map[string]bool{}
	var walk func(string)
	walk = func(s string) {
		if seen[s] {
			return
		}
		seen[s] = true
		for _, d := range down[s] {
			walk(d)
		}
	}
	walk(stage)
	var out []string
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func keysOf(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func edit(t *testing.T, dir, file, old, new string) (undo func()) {
	t.Helper()
	p := filepath.Join(dir, file)
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), old) {
		t.Fatalf("%s has no %q", file, old)
	}
	os.WriteFile(p, []byte(strings.Replace(string(src), old, new, 1)), 0o644)
	return func() { os.WriteFile(p, src, 0o644) }
}

func TestStaleness(t *testing.T) {
	t.Parallel()
	a := warmProject(t)
	if s := staleSet(t, a); len(s) != 0 {
		t.Fatalf("after a run, stale: %v", s)
	}

	t.Run("comments and formatting make nothing stale", func(t *testing.T) {
		u1 := edit(t, a, "stages/terrain.go", "// gridSplit computes the training and validation cells for spacing xs.",
			"// gridSplit computes the training and validation cells for spacing xs,\n// now with a longer comment.")
		defer u1()
		u2 := edit(t, a, "stages/placement.go", "off := xs / 2", "off := xs/2 // half a step")
		defer u2()
		u3 := edit(t, a, "models/doc.go", "package models", "// An extra comment.\npackage models")
		defer u3()
		if s := staleSet(t, a); len(s) != 0 {
			t.Errorf("stale after comment edits: %v", s)
		}
	})

	t.Run("a terrain-only function makes only the terrain stages and downstream stale", func(t *testing.T) {
		defer edit(t, a, "stages/placement.go", "off := xs / 2", "off := xs / 2 * 1")()
		s := staleSet(t, a)
		want := downstream(t, a, "terrain/split")
		if got := keysOf(s); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("stale = %v\nwant %v", got, want)
		}
		if r := strings.Join(s["terrain/split"], ";"); !strings.Contains(r, "code: changed stages.gridSplitAt") {
			t.Errorf("terrain/split reasons = %q, want the changed declaration named", r)
		}
		for _, r := range s["report"] {
			if strings.HasPrefix(r, "code:") {
				t.Errorf("report is stale for its code: %q", r)
			}
		}
	})

	t.Run("a template makes only the report stale", func(t *testing.T) {
		defer edit(t, a, "templates/report.md", "## Introduction", "## Introduction\n\nOne more sentence.")()
		s := staleSet(t, a)
		if got := keysOf(s); strings.Join(got, ",") != "report" {
			t.Errorf("stale = %v, want [report]", got)
		}
		if r := strings.Join(s["report"], ";"); !strings.Contains(r, "inputs: file templates/report.md changed") {
			t.Errorf("report reasons = %q", r)
		}
	})

	t.Run("a comment in assembly makes nothing stale", func(t *testing.T) {
		defer edit(t, a, "models/kernels_amd64.s", "// func hasAVX() bool", "// func hasAVX() bool: reports AVX support\n// (one more line)")()
		if s := staleSet(t, a); len(s) != 0 {
			t.Errorf("stale after an assembly comment: %v", keysOf(s))
		}
	})

	t.Run("a method nobody calls makes nothing stale", func(t *testing.T) {
		defer edit(t, a, "models/linear.go", "func (t *linTrainer) nTrain() int       { return t.nt }",
			"func (t *linTrainer) nTrain() int       { return t.nt }\n\nfunc (t *linTrainer) unused() int { return 0 }")()
		if s := staleSet(t, a); len(s) != 0 {
			t.Errorf("stale after adding an uncalled method: %v", keysOf(s))
		}
	})

	t.Run("a method reached through an interface reruns only the stages whose types flow into it", func(t *testing.T) {
		defer edit(t, a, "models/linear.go", "func (t *linTrainer) gradient(idx []int) []float64 {", "func (t *linTrainer) gradient(idx []int) []float64 {\n\t_ = len(idx)")()
		s := staleSet(t, a)
		if len(s) == 0 {
			t.Fatal("nothing stale after editing linTrainer.gradient")
		}
		for name, rs := range s {
			if strings.HasPrefix(name, "neural/") && strings.Contains(strings.Join(rs, ";"), "code:") {
				t.Errorf("%s (which trains networks, not linear models) is stale for its code: %v", name, rs)
			}
		}
		linear := 0
		for name, rs := range s {
			if strings.HasPrefix(name, "linear/sgd/batch=") && strings.Contains(strings.Join(rs, ";"), "code: changed models.linTrainer.gradient") {
				linear++
			}
		}
		if linear == 0 {
			t.Errorf("no linear SGD stage is stale for linTrainer.gradient: %v", s)
		}
	})

	t.Run("the polynomial degree does not rerun the networks", func(t *testing.T) {
		defer edit(t, a, "params.quick.yaml", "degree: 5", "degree: 4")()
		s := staleSet(t, a)
		if _, ok := s["terrain/design"]; !ok {
			t.Fatalf("terrain/design is not stale after a degree change: %v", keysOf(s))
		}
		for name := range s {
			if strings.HasPrefix(name, "neural/regression/") {
				t.Errorf("%s is not fresh after a degree change: %v", name, s[name])
			}
		}
	})

	t.Run("a parameter names the key with old and new values", func(t *testing.T) {
		defer edit(t, a, "params.quick.yaml", "x_sparsity: 10", "x_sparsity: 12")()
		s := staleSet(t, a)
		if r := strings.Join(s["terrain/split"], ";"); !strings.Contains(r, "params: x_sparsity 10 -> 12") {
			t.Errorf("terrain/split reasons = %q, want params: x_sparsity 10 -> 12", r)
		}
		if _, ok := s["terrain/load"]; ok {
			t.Error("terrain/load is stale after a split parameter changed")
		}
	})
}
