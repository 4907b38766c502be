package project

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		fmt.Fprintln(&b, StatusSummary(sts, "quick"))
		PrintGroups(&b, GroupStatus(sts), verbose)
		golden(t, fmt.Sprintf("status-verbose=%v.golden", verbose), b.Bytes())
	}
	fresh := []pipeline.StageStatus{{Stage: "a", State: pipeline.StateFresh}, {Stage: "b", State: pipeline.StateFresh}}
	if got := StatusSummary(fresh, "quick"); got != "all 2 stages fresh (profile quick)" {
		t.Errorf("all fresh: %q", got)
	}
}

// status 'figures/*' counts the figures it matched, and the upstream
// stages they need on a line of their own (issue 27, item 3); run --dry-run
// says the same in groups rather than a line per stage (item 8).
func TestStatusMatchedApartFromUpstream(t *testing.T) {
	sts := []pipeline.StageStatus{
		{Stage: "terrain/load", State: pipeline.StateStale, Reasons: []string{"missing output: not in the run cache"}},
		{Stage: "terrain/split", State: pipeline.StateMayRerun, Reasons: []string{"upstream terrain/load is stale"}},
		{Stage: "digits/load", State: pipeline.StateFresh},
	}
	matched := map[string]bool{}
	for _, f := range []string{"schedule", "terrain-split", "digit-samples"} {
		st := pipeline.StageStatus{Stage: "figures/" + f, State: pipeline.StateMayRerun, Reasons: []string{"upstream terrain/load is stale"}}
		if f == "schedule" {
			st.State, st.Reasons = pipeline.StateStale, []string{"params: schedule.lr0 0.1 -> 0.2"}
		}
		if f == "digit-samples" {
			st.State, st.Reasons = pipeline.StateFresh, nil
		}
		sts = append(sts, st)
		matched[st.Stage] = true
	}
	var b bytes.Buffer
	for _, verbose := range []bool{false, true} {
		fmt.Fprintf(&b, "$ repro status 'figures/*' (verbose %v)\n", verbose)
		PrintStatus(&b, sts, matched, []string{"figures/*"}, "default", verbose)
	}
	b.WriteString("$ repro run --dry-run 'figures/*'\n")
	PrintDryRun(&b, sts, matched, []string{"figures/*"}, false, false)
	b.WriteString("$ repro run --dry-run --force 'figures/*'\n")
	PrintDryRun(&b, sts, matched, []string{"figures/*"}, true, false)
	golden(t, "status-matched.golden", b.Bytes())
	if !strings.Contains(b.String(), "1 stale, 1 may rerun, 1 fresh (3 stages matching figures/*, profile default)\n") {
		t.Errorf("the summary does not count the matched stages alone:\n%s", b.String())
	}
}
