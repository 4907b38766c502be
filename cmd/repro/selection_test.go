package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

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
		printStatus(&b, sts, matched, []string{"figures/*"}, "default", verbose)
	}
	b.WriteString("$ repro run --dry-run 'figures/*'\n")
	printDryRun(&b, sts, matched, []string{"figures/*"}, false, false)
	b.WriteString("$ repro run --dry-run --force 'figures/*'\n")
	printDryRun(&b, sts, matched, []string{"figures/*"}, true, false)
	golden(t, "status-matched.golden", b.Bytes())
	if !strings.Contains(b.String(), "1 stale, 1 may rerun, 1 fresh (3 stages matching figures/*, profile default)\n") {
		t.Errorf("the summary does not count the matched stages alone:\n%s", b.String())
	}
}

// A suggestion never repeats the pattern it is for (issue 27: `status
// 'neural/*'` answered "did you mean neural/*?").
func TestSuggestNeverRepeatsInput(t *testing.T) {
	names := []string{"neural/regression/tune/act=relu", "neural/classification/tune", "linear/sgd/summary"}
	for _, pat := range []string{"neural/*", "neural", "neural/regression/*", "linear/sgd", "nueral/*"} {
		for _, s := range proj.SuggestStages(pat, names) {
			if s == pat {
				t.Errorf("proj.SuggestStages(%q) suggests the input itself: %v", pat, proj.SuggestStages(pat, names))
			}
		}
	}
	if got := proj.SuggestStages("nueral/*", names); strings.Join(got, ",") != "neural/*" {
		t.Errorf("proj.SuggestStages(nueral/*) = %v, want neural/*", got)
	}
}

// Every family completion offers ("neural/regression/*") selects the
// stages under it, as the label of repro dag's figure counts them.
func TestCompletedFamiliesMatch(t *testing.T) {
	names := []string{
		"terrain/load",
		"neural/regression/act=relu/arch=2x8x1/lr=1/seed=1",
		"neural/regression/act=relu/arch=2x8x1/lr=1/seed=2",
		"neural/regression/tune/act=relu",
		"logistic/sgd/seed=1",
		"logistic/sgd",
	}
	var walk func(prefix string)
	walk = func(prefix string) {
		for _, c := range completeFrom(names, prefix, true) {
			if strings.HasSuffix(c, "/*") {
				n := 0
				for _, name := range names {
					if pipeline.Match(c, name) {
						n++
						if !strings.HasPrefix(name, strings.TrimSuffix(c, "*")) {
							t.Errorf("%s matches %s, outside the family", c, name)
						}
					}
				}
				if n == 0 {
					t.Errorf("completion offers %s, which matches no stage", c)
				}
			}
			if strings.HasSuffix(c, "/") {
				walk(c)
			}
		}
	}
	walk("")
	if n := countMatches("neural/regression/*", names); n != 3 {
		t.Errorf("neural/regression/* matches %d stages, want 3", n)
	}
}

func countMatches(pat string, names []string) int {
	n := 0
	for _, name := range names {
		if pipeline.Match(pat, name) {
			n++
		}
	}
	return n
}

// repro run with a missing data file exits 2 before running anything.
func TestMissingDataFileExit(t *testing.T) {
	dir := copyProject(t)
	for _, cmd := range []string{"run", "status"} {
		r := runReproWithin(t, 3*time.Minute, dir, nil, cmd, "--profile", "quick", "--set", "digits.file=data/digit.csv.gz", "digits/load")
		if r.code != 2 || !strings.Contains(r.stderr, "digits.file") || !strings.Contains(r.stderr, "did you mean data/digits.csv.gz?") || strings.Contains(r.stderr, " ran, ") {
			t.Errorf("%s: exit %d, want 2 and a configuration error naming digits.file:\n%s", cmd, r.code, r.stderr)
		}
	}
}

// repro completion --help says that bash needs bash-completion (issue 27,
// item 8); completing still works.
func TestCompletionHelpNamesBashCompletion(t *testing.T) {
	cmd := newRoot()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"completion", "--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Bash needs the bash-completion package") {
		t.Errorf("repro completion --help:\n%s", out.String())
	}
	out.Reset()
	cmd = newRoot()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "bash needs bash-completion") {
		t.Errorf("repro --help does not say it:\n%s", out.String())
	}
}
