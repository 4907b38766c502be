package project

import (
	"fmt"
	"strings"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// Status names the key of params.yaml a user edited, not the stage's own
// parameter: "logistic.learning_rate 0.05 -> 0.1", not "train.lr" (issue
// 27, item 6); the report's table of settings names the key it shows.
func TestStatusNamesParamsKeys(t *testing.T) {
	root := ".."
	p, err := config.Load(config.Options{Dir: root, Profile: "quick", Set: []string{"logistic.learning_rate=0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	build := func(p *config.Params) (*pipeline.Graph, error) {
		return stages.Build(p, stages.Env{Profile: "quick"})
	}
	g, err := build(p)
	if err != nil {
		t.Fatal(err)
	}
	// The report's row of settings for logistic regression, as it was.
	report := stageParamPaths(g.Stage("report"))
	grid := ""
	for path, v := range report {
		if strings.HasSuffix(path, ".grid") && strings.Contains(v, "64x10") {
			grid = path
			report[path] = v
		}
	}
	if grid == "" {
		t.Fatal("the report stage has no row of settings for logistic regression")
	}
	newGrid := report[grid]
	oldGrid := strings.Replace(newGrid, "0.1", "0.05", 1)
	sts := []pipeline.StageStatus{
		{Stage: "logistic/sgd/seed=1", State: pipeline.StateStale, Reasons: []string{"params: train.lr 0.05 -> 0.1"}},
		{Stage: "report", State: pipeline.StateStale, Reasons: []string{fmt.Sprintf("params: %s %s -> %s", grid, oldGrid, newGrid), "inputs: logistic/sgd changed"}},
		{Stage: "digits/load", State: pipeline.StateFresh},
	}
	UserParamNames(sts, p, build)
	if got, want := sts[0].Reasons[0], "params: logistic.learning_rate 0.05 -> 0.1"; got != want {
		t.Errorf("logistic/sgd/seed=1: %q, want %q", got, want)
	}
	if got, want := sts[1].Reasons[0], "params: logistic.learning_rate ("+grid+") "; !strings.HasPrefix(got, want) {
		t.Errorf("report: %q, want it to begin %q", got, want)
	}
	if sts[1].Reasons[1] != "inputs: logistic/sgd changed" {
		t.Errorf("another reason changed: %q", sts[1].Reasons[1])
	}
}

// The items of a reason are renamed one by one, longer paths first; a
// path many keys move is left as it is.
func TestRenameParams(t *testing.T) {
	paths := map[string][]string{
		"train.lr":     {"logistic.learning_rate"},
		"train.l":      {"logistic.l2"},
		"settings[4]":  {"logistic.learning_rate", "logistic.l2"},
		"params_yaml":  {"a", "b", "c", "d", "e"},
		"train.epochs": {"logistic.train.epochs"},
	}
	values := map[string]string{"logistic.learning_rate": "0.1", "logistic.l2": "0", "logistic.train.epochs": "20", "a": "1"}
	for _, tc := range []struct{ in, want string }{
		{"train.lr 0.05 -> 0.1, train.epochs 10 -> 20", "logistic.learning_rate 0.05 -> 0.1, logistic.train.epochs 10 -> 20"},
		{`settings[4] "γ0 0.05, L2 0" -> "γ0 0.1, L2 0"`, `logistic.learning_rate (settings[4]) "γ0 0.05, L2 0" -> "γ0 0.1, L2 0"`},
		{`params_yaml (lines "a: 1")`, `params_yaml (lines "a: 1")`},
		{"train.lr (new) -> 0.1", "logistic.learning_rate (new) -> 0.1"},
		{"other 1 -> 2", "other 1 -> 2"},
	} {
		if got := renameParams(tc.in, paths, values); got != tc.want {
			t.Errorf("renameParams(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
