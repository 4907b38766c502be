package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n--- got\n%s--- want\n%s", p, got, want)
	}
}

// A parameter change upstream of a grid: one group per shared reason.
func TestStatusGrouped(t *testing.T) {
	var sts []pipeline.StageStatus
	sts = append(sts, pipeline.StageStatus{Stage: "terrain/load", State: pipeline.StateFresh})
	sts = append(sts, pipeline.StageStatus{Stage: "terrain/design", State: pipeline.StateStale, Reasons: []string{"params: degree 5 -> 4"}})
	for i := range 7 {
		sts = append(sts, pipeline.StageStatus{Stage: fmt.Sprintf("linear/sgd/lr=0.0%d/seed=1", i+1), State: pipeline.StateMayRerun, Reasons: []string{"upstream terrain/design is stale"}})
	}
	sts = append(sts, pipeline.StageStatus{Stage: "report", State: pipeline.StateStale, Reasons: []string{"inputs: file templates/report.md changed", "upstream terrain/design is stale"}})
	for _, verbose := range []bool{false, true} {
		var b bytes.Buffer
		fmt.Fprintln(&b, statusSummary(sts, "quick"))
		printGroups(&b, groupStatus(sts), verbose)
		golden(t, fmt.Sprintf("status-verbose=%v.golden", verbose), b.Bytes())
	}
	fresh := []pipeline.StageStatus{{Stage: "a", State: pipeline.StateFresh}, {Stage: "b", State: pipeline.StateFresh}}
	if got := statusSummary(fresh, "quick"); got != "all 2 stages fresh (profile quick)" {
		t.Errorf("all fresh: %q", got)
	}
}
