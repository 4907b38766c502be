package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

// `repro diff` completes revisions (HEAD~N as far as the history goes,
// branches, tags, recent commits) for its two arguments, and the metric
// names of the profile's lock, one "." segment at a time, for --fail-on
// (issue 27, item 8).
func TestDiffCompletion(t *testing.T) {
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	h := strings.Repeat("ab", 32)
	l := &pipeline.Lock{Version: 1, Profile: "quick", Declarations: map[string]string{}, Stages: map[string]*pipeline.LockStage{
		"fit": {Key: h, Func: "github.com/repro-dev/repro/stages.fit", Code: h, Params: json.RawMessage(`{}`), Outputs: map[string]string{"value": h},
			Metrics: map[string]float64{"terrain.ols.test_mse": 0.1, "terrain.ols.test_mse.sd": 0.01, "terrain.nn.relu.test_mse": 0.2, "digits.nn.test_accuracy": 0.9}},
	}}
	if err := l.Write(filepath.Join(dir, "repro.quick.lock")); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", "repro.quick.lock")
	gitIn(t, dir, "commit", "-q", "-m", "first")
	gitIn(t, dir, "tag", "v1")
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "second")
	// "topic", not a name starting with hex digits: an abbreviated
	// commit hash can start with "fe" too (it did, once in 256 runs).
	gitIn(t, dir, "branch", "topic")
	head := gitIn(t, dir, "rev-parse", "--short", "HEAD")

	got := complete(t, dir, "diff", "")
	if !contains(got, "HEAD", "HEAD~1", "main", "topic", "v1", head) || contains(got, "HEAD~2") {
		t.Errorf("diff <TAB>: %v; want HEAD, HEAD~1 (not HEAD~2: two commits), main, topic, v1, %s", got, head)
	}
	if got := complete(t, dir, "diff", "HEAD", "to"); strings.Join(got, ",") != "topic" {
		t.Errorf("diff HEAD to<TAB>: %v, want topic", got)
	}
	if got := complete(t, dir, "diff", "HEAD", "v1", ""); len(got) != 0 {
		t.Errorf("diff HEAD v1 <TAB>: %v, want nothing (two revisions)", got)
	}
	if got := complete(t, dir, "diff", "--against-computed", "HEAD", ""); len(got) != 0 {
		t.Errorf("diff --against-computed HEAD <TAB>: %v, want nothing", got)
	}
	if got := complete(t, t.TempDir(), "diff", ""); len(got) != 0 {
		t.Errorf("diff <TAB> outside a repository: %v, want nothing", got)
	}

	if got := complete(t, dir, "diff", "--profile", "quick", "--fail-on", ""); strings.Join(got, ",") != "digits.,digits.*,terrain.,terrain.*" {
		t.Errorf("--fail-on <TAB>: %v", got)
	}
	if got := complete(t, dir, "diff", "--profile", "quick", "--fail-on", "terrain.ols.t"); strings.Join(got, ",") != "terrain.ols.test_mse,terrain.ols.test_mse.,terrain.ols.test_mse.*" {
		t.Errorf("--fail-on terrain.ols.t<TAB>: %v", got)
	}
	if got := complete(t, dir, "diff", "--profile", "quick", "--fail-on", "terrain.ols.test_mse >"); len(got) != 0 {
		t.Errorf("--fail-on after the name: %v, want nothing", got)
	}
	// The default profile has no lock here: no names, no error.
	if got := complete(t, dir, "diff", "--fail-on", "t"); len(got) != 0 {
		t.Errorf("--fail-on without a lock: %v", got)
	}
}
