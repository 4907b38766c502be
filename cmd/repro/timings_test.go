package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	proj "github.com/repro-dev/repro/project"
)

// A fully cached rerun still reports the wall-clock times of every method:
// they were recorded by the run that computed each stage, beside the run
// cache, not by the run that exports the report.
func TestTimingsSurviveCachedRun(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	// Forget this run's own record of what ran and how long it took.
	if err := os.RemoveAll(filepath.Join(dir, "artifacts", "state")); err != nil {
		t.Fatal(err)
	}
	s := runQuick(t, dir)
	if len(s.Ran) != 0 || len(s.Failed) != 0 {
		t.Fatalf("rerun: ran %v, failed %v, want every stage cached", s.Ran, s.Failed)
	}
	b, err := os.ReadFile(filepath.Join(dir, "artifacts", "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	i := strings.Index(page, `id="method-timings"`)
	if i < 0 {
		t.Fatal("the exported report has no method timings table")
	}
	table := page[i:]
	table = table[:strings.Index(table, "</table>")]
	rows := regexp.MustCompile(`(?s)<tr><td>(digits|terrain)</td><td>(.*?)</td>(.*?)</tr>`).FindAllStringSubmatch(table, -1)
	if len(rows) < 6 {
		t.Fatalf("%d method rows, want the digits and terrain methods:\n%s", len(rows), table)
	}
	seconds := regexp.MustCompile(`>\d+\.\d\d</td>`)
	data := map[string]bool{}
	timed := 0
	for _, r := range rows {
		// Every method is timed, a best cell the refinement added too (its
		// steps are stages of their own).
		switch {
		case strings.Contains(r[3], "not measured") || strings.Contains(r[3], "not in this run") || len(seconds.FindAllString(r[3], -1)) < 2:
			t.Errorf("%s, %s: no wall time after a cached rerun: %s", r[1], r[2], r[3])
		default:
			timed++
			data[r[1]] = true
		}
	}
	if timed < len(rows) {
		t.Errorf("%d of %d methods timed", timed, len(rows))
	}
	if !data["digits"] || !data["terrain"] {
		t.Errorf("methods of %v, want digits and terrain", data)
	}

	// The table is kept between runs, keyed by the lock and the timing
	// files: a timing that changes shows at the next run.
	times, _ := filepath.Glob(filepath.Join(dir, "artifacts", "timings", "*", "*.json"))
	for _, f := range times {
		b, _ := os.ReadFile(f)
		b = regexp.MustCompile(`"seconds": [0-9.e-]+`).ReplaceAll(b, []byte(`"seconds": 4321`))
		os.WriteFile(f, b, 0o644)
	}
	runQuick(t, dir)
	if b, _ := os.ReadFile(filepath.Join(dir, "artifacts", "report.html")); !strings.Contains(string(b), ">4321.00</td>") {
		t.Error("a changed timing did not reach the next run's report")
	}
	if !regexp.MustCompile(`Measured on .+, \d+ cores`).MatchString(page) {
		t.Error("the provenance does not name the machine the times were measured on")
	}
}

// With REPRO_CACHE_DIR set, the module's fingerprints are kept there, not in
// the store, so that a new or deleted store does not type-check the module
// again; unset, they stay in the store's state directory.
func TestFingerprintCacheDir(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	for _, tc := range []struct {
		env  []string
		want string // where the fingerprints file must be, relative to the project or shared
	}{
		{env: []string{proj.CacheDirEnv + "=" + shared}, want: shared},
		{env: []string{proj.CacheDirEnv + "="}, want: "artifacts/state"},
	} {
		dir := warmProject(t)
		os.RemoveAll(filepath.Join(dir, "artifacts", "state"))
		r := runReproEnv(t, dir, tc.env, "run", "--profile", "quick")
		if r.code != 0 {
			t.Fatalf("%v: run: exit %d\n%s", tc.env, r.code, r.stderr)
		}
		want := tc.want
		if !filepath.IsAbs(want) {
			want = filepath.Join(dir, want)
		}
		inStore, _ := filepath.Glob(filepath.Join(dir, "artifacts", "state", "fingerprints-*.json"))
		there, _ := filepath.Glob(filepath.Join(want, "fingerprints-*.json"))
		if len(there) != 1 || (want != filepath.Join(dir, "artifacts/state") && len(inStore) != 0) {
			t.Errorf("%v: fingerprints in %s: %v, in the store: %v; want them in %s only", tc.env, want, there, inStore, want)
		}
	}
}
