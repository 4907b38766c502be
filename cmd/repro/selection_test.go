package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

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
	t.Parallel()
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
