package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	proj "github.com/repro-dev/repro/project"
)

// The end-to-end tests build the real binary once and run it on the quick
// profile in temporary copies of the project. Tests that need a project
// after one quick run start from warmProject (a copy holding the store and
// lock of the one reference run of the test binary), not from a run of
// their own.
//
// Tests that need only their own project copy call t.Parallel (go test
// runs two at a time on two cores: a quick run keeps about 1.5 cores busy,
// so pairs fill the machine); so do the interrupt and live-preview tests,
// whose time limits scale with the load (slowLimit: run one at a time,
// they passed at load 12-15).
// Those that change the test process's environment (the browser tests,
// S3) or check that something happens at once (a second Ctrl-C) run
// alone, before them.

var reproBin string

func TestMain(m *testing.M) {
	if os.Getenv(stuckHelperEnv) != "" {
		stuckHelper()
	}
	dir, err := os.MkdirTemp("", "repro-e2e-bin")
	if err != nil {
		panic(err)
	}
	reproBin = filepath.Join(dir, "repro")
	// The tests share this binary: a project copy whose source differs
	// (an edit in progress) must not rebuild it (TestRebuildOnEdit does,
	// on its own binary).
	os.Setenv(proj.RebuiltEnv, "the tests' shared binary")
	// The tests' projects share the module's fingerprints, as a user's
	// projects do with REPRO_CACHE_DIR set: each new store would
	// otherwise parse and type-check the module again, about a second of
	// CPU (TestFingerprintCacheDir checks that the variable is obeyed).
	os.Setenv(proj.CacheDirEnv, filepath.Join(dir, "fingerprints"))
	// -trimpath: the go command's ID of the main package then does not
	// depend on the directory, so the binary is verified (see project.openCode)
	// against each unedited copy of the project, as a user's binary is
	// against their checkout.
	out, err := exec.Command("go", "build", "-trimpath", "-o", reproBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building repro: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	for _, w := range warm {
		os.RemoveAll(w.dir) // the benchmarks' projects
	}
	os.Exit(code)
}

// slowLimit scales a time limit of the tests by how busy the machine is:
// d times the load average per core (the last minute's), at least d, so
// that a check that something happens "at once, not never" does not fail
// because other processes share the cores (issue 28).
func slowLimit(d time.Duration) time.Duration {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return d
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return d
	}
	load, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return d
	}
	return time.Duration(float64(d) * max(1, load/float64(runtime.NumCPU())))
}

// moduleRoot is the repository root (two levels up from cmd/repro).
func moduleRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// copyProject copies what a user's checkout holds (source, data, templates,
// parameters) into a new temporary directory; node_modules is linked.
func copyProject(t *testing.T) string {
	t.Helper()
	src := moduleRoot(t)
	dst := t.TempDir()
	skip := map[string]bool{".git": true, "artifacts": true, "bin": true, "node_modules": true, ".ci": true}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if skip[rel] || (rel != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(rel, ".lock") && !strings.Contains(rel, "/") {
			return nil // start without the committed locks
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(src, "node_modules")); err == nil {
		os.Symlink(filepath.Join(src, "node_modules"), filepath.Join(dst, "node_modules"))
	}
	return dst
}

type result struct {
	code           int
	stdout, stderr string
}

func runRepro(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return runReproEnv(t, dir, nil, args...)
}

type runSummary struct {
	Ran, Cached, Failed []string
	Report              string
}

func runQuick(t *testing.T, dir string, args ...string) runSummary {
	t.Helper()
	r := runRepro(t, dir, append([]string{"run", "--profile", "quick", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("repro run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var s runSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("run --json: last line %q: %v", lines[len(lines)-1], err)
	}
	return s
}

var runSpecific = regexp.MustCompile(`(?s)<section id="run-provenance".*?</section>|[0-9a-f]{40}( \(with uncommitted changes\))?|\(not a git checkout\)`)

func TestEndToEndQuick(t *testing.T) {
	t.Parallel()
	a := copyProject(t)
	s := runQuick(t, a)
	if len(s.Failed) != 0 || len(s.Cached) != 0 || len(s.Ran) < 8 {
		t.Fatalf("cold run: ran %d, cached %d, failed %v", len(s.Ran), len(s.Cached), s.Failed)
	}
	if s.Report != "artifacts/report.html" {
		t.Errorf("report = %q", s.Report)
	}
	html, err := os.ReadFile(filepath.Join(a, "artifacts/report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<figure", "Table 1", "run-provenance", "<svg"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if bytes.Contains(html, []byte("@@REPRO_")) {
		t.Error("report.html still holds a placeholder")
	}
	if _, err := os.Stat(filepath.Join(a, "artifacts/report/split.csv")); err != nil {
		t.Errorf("table CSV not exported: %v", err)
	}

	// A warm run runs nothing and status says everything is fresh.
	s2 := runQuick(t, a)
	if len(s2.Ran) != 0 || len(s2.Cached) != len(s.Ran) {
		t.Errorf("warm run ran %v", s2.Ran)
	}
	st := runRepro(t, a, "status", "--profile", "quick", "--json")
	var sts []struct{ Stage, State string }
	if err := json.Unmarshal([]byte(st.stdout), &sts); err != nil {
		t.Fatalf("status --json: %v\n%s", err, st.stdout)
	}
	for _, x := range sts {
		if x.State != "fresh" {
			t.Errorf("after a run, %s is %s", x.Stage, x.State)
		}
	}
	if strings.Contains(st.stderr, "differs from the source") {
		t.Errorf("spurious source-drift warning: %s", st.stderr)
	}

	// Another clean run elsewhere (the tests' reference run) gives
	// byte-identical artifacts.
	b := warmProject(t)
	la, _ := os.ReadFile(filepath.Join(a, "repro.quick.lock"))
	lb, _ := os.ReadFile(filepath.Join(b, "repro.quick.lock"))
	if len(la) == 0 || !bytes.Equal(la, lb) {
		t.Error("two clean runs wrote different locks")
	}
	objs := func(dir string) []string {
		var out []string
		filepath.WalkDir(filepath.Join(dir, "artifacts/objects"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, d.Name())
			}
			return nil
		})
		sort.Strings(out)
		return out
	}
	if oa, ob := objs(a), objs(b); strings.Join(oa, ",") != strings.Join(ob, ",") {
		t.Errorf("two clean runs stored different objects (%d vs %d)", len(oa), len(ob))
	}
	hb, _ := os.ReadFile(filepath.Join(b, "artifacts/report.html"))
	if !bytes.Equal(runSpecific.ReplaceAll(html, nil), runSpecific.ReplaceAll(hb, nil)) {
		t.Error("exported reports differ beyond the run's provenance")
	}

	// metrics --json is one flat object of numbers.
	m := runRepro(t, a, "metrics", "--profile", "quick", "--json")
	var metrics map[string]float64
	if err := json.Unmarshal([]byte(m.stdout), &metrics); err != nil {
		t.Fatalf("metrics --json: %v", err)
	}
	if _, ok := metrics["terrain.ridge.test_mse"]; !ok {
		t.Errorf("metrics lack terrain.ridge.test_mse: %v", metrics)
	}
	if v := runRepro(t, a, "verify"); v.code != 0 {
		t.Errorf("verify: exit %d: %s", v.code, v.stdout)
	}
}

func TestBadConfigurationRunsNothing(t *testing.T) {
	t.Parallel()
	a := copyProject(t)
	for _, args := range [][]string{
		{"run", "--profile", "quick", "--set", "terrain.x_sparsity=1"},
		{"run", "--profile", "quick", "--set", "terrain.degre=3"},
		{"run", "--profile", "nosuch"},
		{"run", "--profile", "quick", "-j", "-3"},
		{"run", "--profile", "quick", "no/such/stage"},
		{"dag", "--format", "png"},
	} {
		r := runRepro(t, a, args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "repro:") {
			t.Errorf("%v: no error message", args)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(a, "artifacts/objects")); len(ents) != 0 {
		t.Errorf("a rejected configuration stored %d objects", len(ents))
	}
}

// TestOldBinaryKeepsItsFingerprint: a binary built from older source must
// never store results under the newer source's fingerprint. The binary
// fingerprints its own embedded source, so after an edit on disk it still
// computes the old keys (and says the source differs).
func TestOldBinaryKeepsItsFingerprint(t *testing.T) {
	t.Parallel()
	a := warmProject(t)
	lock1, _ := os.ReadFile(filepath.Join(a, "repro.quick.lock"))
	p := filepath.Join(a, "stages/placement.go")
	src, _ := os.ReadFile(p)
	edited := strings.Replace(string(src), "off := xs / 2", "off := xs/2 + 0*xs", 1)
	if edited == string(src) {
		t.Fatal("edit did not apply")
	}
	os.WriteFile(p, []byte(edited), 0o644)
	r := runRepro(t, a, "run", "--profile", "quick", "--json")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	if !strings.Contains(r.stderr, "differs from the source this binary was built from (stages/placement.go)") {
		t.Errorf("no source-drift warning: %s", r.stderr)
	}
	if !strings.Contains(r.stdout, `"ran":[]`) {
		t.Errorf("the old binary ran stages after a source edit: %s", r.stdout)
	}
	lock2, _ := os.ReadFile(filepath.Join(a, "repro.quick.lock"))
	if !bytes.Equal(lock1, lock2) {
		t.Error("the old binary wrote different fingerprints after a source edit")
	}
}

// TestStatusCheck: `status --check` compares the committed lock with the
// code and parameters without the store: it fails on a forgotten lock
// update, and a lock written by another Go release is only a note.
func TestStatusCheck(t *testing.T) {
	t.Parallel()
	a := copyProject(t)
	if r := runRepro(t, a, "status", "--check", "--profile", "quick"); r.code != 1 || !strings.Contains(r.stdout, "no lock") {
		t.Errorf("without a lock: exit %d, %q", r.code, r.stdout)
	}
	// The lock of a run (the reference run's); no store needed.
	if err := os.WriteFile(filepath.Join(a, "repro.quick.lock"), reference(t).lock, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runRepro(t, a, "status", "--check", "--profile", "quick"); r.code != 0 {
		t.Fatalf("after a run: exit %d\n%s", r.code, r.stdout)
	}
	lockPath := filepath.Join(a, "repro.quick.lock")
	lock, _ := os.ReadFile(lockPath)
	other := strings.Replace(string(lock), `"toolchain": "go`, `"toolchain": "go0.0-other go`, 1)
	os.WriteFile(lockPath, []byte(other), 0o644)
	if r := runRepro(t, a, "status", "--check", "--profile", "quick"); r.code != 0 || !strings.Contains(r.stdout, "note") {
		t.Errorf("another Go release: exit %d, want 0 with a note\n%s", r.code, r.stdout)
	}
	// A badly merged lock: terrain/load's outputs from one side, its
	// downstream's inputs from the other.
	var l map[string]any
	json.Unmarshal(lock, &l)
	l["stages"].(map[string]any)["terrain/load"].(map[string]any)["outputs"].(map[string]any)["value"] = strings.Repeat("ab", 32)
	merged, _ := json.MarshalIndent(l, "", "  ")
	os.WriteFile(lockPath, merged, 0o644)
	if r := runRepro(t, a, "status", "--check", "--profile", "quick"); r.code != 1 || !strings.Contains(r.stdout, "terrain/split") || !strings.Contains(r.stdout, "chain: input terrain/load is recorded as") {
		t.Errorf("a broken chain: exit %d, want 1 naming terrain/split and terrain/load\n%s", r.code, r.stdout)
	}
	os.WriteFile(lockPath, lock, 0o644)
	r := runRepro(t, a, "status", "--check", "--profile", "quick", "--set", "terrain.degree=4")
	if r.code != 1 || !strings.Contains(r.stdout, "stale   terrain/design") || !strings.Contains(r.stdout, "params: degree 5 -> 4") {
		t.Errorf("after a parameter change: exit %d\n%s", r.code, r.stdout)
	}
}

func TestVersion(t *testing.T) {
	r := runRepro(t, t.TempDir(), "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "repro ") || !strings.Contains(r.stdout, "go     go1.") || !strings.Contains(r.stdout, "build  ") {
		t.Errorf("version: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
