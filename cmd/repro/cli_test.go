package main

import (
	"bytes"
	"strings"
	"testing"

	proj "github.com/repro-dev/repro/project"
)

// Bad usage exits 2, as documented: an unknown command, a missing
// argument, a stage name that matches nothing (with a "did you mean"). On
// a copy of the project: the working tree's parameter files may be
// half-saved or ahead of the binary while a developer edits them.
func TestUsageExitCodes(t *testing.T) {
	t.Parallel()
	root := copyProject(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"statsu"}, `unknown command "statsu"`},
		{[]string{"show"}, "accepts 1 arg"},
		{[]string{"diff", "a", "b", "c"}, "at most two revisions"},
		{[]string{"run", "--no-such-flag"}, "unknown flag"},
		{[]string{"run", "--profile", "quick", "--dry-run", "nueral/regresion/*"}, "did you mean neural/regression/*?"},
		{[]string{"status", "--profile", "quick", "linear/sdg"}, "did you mean linear/sgd?"},
		{[]string{"show", "--profile", "quick", "reprot"}, "did you mean report?"},
	} {
		r := runRepro(t, root, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("repro %s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}
	if s := proj.SuggestStages("zzzzzz", []string{"report", "linear/ols"}); s != nil {
		t.Errorf("a far-off name got suggestions: %v", s)
	}
}

// complete runs cobra's completion command in-process on the project in
// dir (a copy, for the reason TestUsageExitCodes gives).
func complete(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	cmd := newRoot()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs(append([]string{"__complete", "-C", dir}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatalf("__complete %v: %v", args, err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "Completion ended") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
	}
	return got
}

func contains(xs []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, x := range xs {
			found = found || x == w
		}
		if !found {
			return false
		}
	}
	return true
}

// Shell completion: stage names segment by segment (with family patterns
// for run and status), profiles, parameter keys and flag values.
func TestCompletion(t *testing.T) {
	dir := copyProject(t)
	if got := complete(t, dir, "run", "--profile", "quick", "neural/regression/"); !contains(got, "neural/regression/act=relu/", "neural/regression/act=relu/*", "neural/regression/tune/") {
		t.Errorf("run neural/regression/<TAB>: %v", got)
	}
	if got := complete(t, dir, "show", "--profile", "quick", "rep"); !contains(got, "report") || contains(got, "report/*") {
		t.Errorf("show rep<TAB>: %v", got)
	}
	if got := complete(t, dir, "show", "--profile", "quick", "report", ""); len(got) != 0 {
		t.Errorf("show report <TAB>: %v, want nothing (one stage)", got)
	}
	if got := complete(t, dir, "status", "--profile", "quick", "linear/sgd/batch=10/lr=0.03/s"); !contains(got, "linear/sgd/batch=10/lr=0.03/seed=1", "linear/sgd/batch=10/lr=0.03/seed=2") {
		t.Errorf("status linear/sgd/...<TAB>: %v", got)
	}
	if got := complete(t, dir, "run", "--profile", ""); !contains(got, "quick", "default") {
		t.Errorf("--profile <TAB>: %v", got)
	}
	if got := complete(t, dir, "dag", "--format", ""); !contains(got, "text", "dot", "mermaid") {
		t.Errorf("--format <TAB>: %v", got)
	}
	if got := complete(t, dir, "run", "--set", "store.rem"); !contains(got, "store.remote=", "store.remote_mode=") {
		t.Errorf("--set store.rem<TAB>: %v", got)
	}
	if got := complete(t, dir, "sta"); !contains(got, "status") {
		t.Errorf("sta<TAB>: %v", got)
	}
}

// A no-op run outside a terminal (a CI log) prints a summary and no line
// per cached stage; -v lists them, -q prints nothing on standard error.
func TestRunOutputInLogs(t *testing.T) {
	t.Parallel()
	a := warmProject(t)
	r := runRepro(t, a, "run", "--profile", "quick")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 0 || strings.Contains(r.stderr, "] cached ") || !strings.HasPrefix(lines[len(lines)-1], "repro: 0 ran, ") {
		t.Errorf("no-op run: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r := runRepro(t, a, "run", "--profile", "quick", "-v"); r.code != 0 || strings.Count(r.stderr, "] cached ") < 100 {
		t.Errorf("-v: exit %d, %d cached lines", r.code, strings.Count(r.stderr, "] cached "))
	}
	if r := runRepro(t, a, "run", "--profile", "quick", "-q"); r.code != 0 || strings.Contains(r.stderr, "] ") || strings.Contains(r.stderr, " ran, ") {
		t.Errorf("-q: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
