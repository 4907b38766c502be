package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/pipeline"
)

// The reliability tests (issue 8): crashes, interrupts, corruption,
// concurrency, bad configuration, bad data, numerical trouble, paths, the
// determinism check and housekeeping, each through the real binary on the
// quick profile. Set RELIABILITY_STRESS=1 (make stress) for many more kill
// moments and concurrent runs (not REPRO_...: the binary reads those as
// parameters).

var stress = os.Getenv("RELIABILITY_STRESS") != ""

// snapshot is the outcome of one clean, uninterrupted quick run.
type snapshot struct {
	lock   []byte            // repro.quick.lock
	report []byte            // artifacts/report.html without its run-specific parts
	files  map[string][]byte // every file under artifacts/, by slash path from the project
	stages int               // stages in the quick graph
}

var (
	refOnce sync.Once
	ref     *snapshot
)

// reference runs the quick profile once per test binary, cold, and keeps
// what it made in memory.
func reference(t *testing.T) *snapshot {
	t.Helper()
	refOnce.Do(func() {
		dir := copyProject(t)
		runQuick(t, dir)
		s := &snapshot{files: map[string][]byte{}}
		s.lock = readFile(t, dir, "repro.quick.lock")
		s.report = runSpecific.ReplaceAll(readFile(t, dir, "artifacts/report.html"), nil)
		err := filepath.WalkDir(filepath.Join(dir, "artifacts"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			b, err := os.ReadFile(p)
			s.files[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		l, err := pipeline.ParseLock("repro.quick.lock", s.lock)
		if err != nil {
			t.Fatal(err)
		}
		s.stages = len(l.Stages)
		ref = s
	})
	if ref == nil {
		t.Fatal("the reference run failed (see the first test that ran it)")
	}
	return ref
}

// warmProject is a copy of the project holding the reference run's store
// and lock, as if the quick profile had just run there.
func warmProject(t *testing.T) string {
	t.Helper()
	s := reference(t)
	dir := copyProject(t)
	for rel, b := range s.files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "repro.quick.lock"), s.lock, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readFile(t *testing.T, dir, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func objectRel(h string) string { return "artifacts/objects/" + h[:2] + "/" + h }

// lockOutput returns the object hash of output out of stage in dir's quick lock.
func lockOutput(t *testing.T, dir, stage, out string) string {
	t.Helper()
	l, err := pipeline.ParseLock("repro.quick.lock", readFile(t, dir, "repro.quick.lock"))
	if err != nil {
		t.Fatal(err)
	}
	ls, ok := l.Stages[stage]
	if !ok {
		t.Fatalf("the lock has no stage %s", stage)
	}
	h, ok := ls.Outputs[out]
	if !ok {
		t.Fatalf("stage %s has no output %s in the lock", stage, out)
	}
	return h
}

// sameAsReference checks that dir holds what an uninterrupted clean run
// makes: the same lock, the same bytes for every object it names, and the
// same exported report apart from the run's provenance.
func sameAsReference(t *testing.T, dir, when string) {
	t.Helper()
	s := reference(t)
	lock, err := os.ReadFile(filepath.Join(dir, "repro.quick.lock"))
	if err != nil || !bytes.Equal(lock, s.lock) {
		t.Errorf("%s: repro.quick.lock differs from an uninterrupted run's (%v)", when, err)
		return
	}
	l, err := pipeline.ParseLock("repro.quick.lock", lock)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, h := range l.ObjectHashes() {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(objectRel(h))))
		if err != nil || !bytes.Equal(b, s.files[objectRel(h)]) {
			bad++
			if bad <= 3 {
				t.Errorf("%s: object %s named by the lock differs from an uninterrupted run's (%v)", when, h[:12], err)
			}
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "artifacts/report.html"))
	if err != nil || !bytes.Equal(runSpecific.ReplaceAll(html, nil), s.report) {
		t.Errorf("%s: report.html differs from an uninterrupted run's beyond the run's provenance (%v)", when, err)
	}
}

func mustVerify(t *testing.T, dir, when string) {
	t.Helper()
	if v := runRepro(t, dir, "verify"); v.code != 0 {
		t.Errorf("%s: repro verify: exit %d\n%s%s", when, v.code, v.stdout, v.stderr)
	}
}

func parseSummary(t *testing.T, stdout string) runSummary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var s runSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("run --json: last line %q: %v", lines[len(lines)-1], err)
	}
	return s
}

// live is a repro process whose stderr is read line by line as it runs.
type live struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	lines  chan string
	mu     sync.Mutex
	stderr []string
}

func startRepro(t *testing.T, dir string, env []string, args ...string) *live {
	t.Helper()
	l := &live{lines: make(chan string, 1024)}
	l.cmd = exec.Command(reproBin, append([]string{"-C", dir}, args...)...)
	// The caller's REPRO_PROFILE and REPRO_STORE_REMOTE never leak in (an
	// empty parameter variable is an error, so they are left out).
	l.cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "REPRO_PROFILE=") || strings.HasPrefix(kv, "REPRO_STORE_REMOTE=")
	}), env...)
	l.cmd.Stdout = &l.stdout
	pipe, err := l.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			l.mu.Lock()
			l.stderr = append(l.stderr, sc.Text())
			l.mu.Unlock()
			l.lines <- sc.Text()
		}
		close(l.lines)
	}()
	return l
}

// until reads stderr lines until pred has held for n of them; false if the
// process closed stderr first.
func (l *live) until(n int, pred func(string) bool) bool {
	if n <= 0 {
		return true
	}
	for line := range l.lines {
		if pred(line) {
			if n--; n == 0 {
				return true
			}
		}
	}
	return false
}

// wait drains stderr and waits for the process.
func (l *live) wait(t *testing.T) result {
	t.Helper()
	for range l.lines {
	}
	err := l.cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return result{code, l.stdout.String(), strings.Join(l.stderr, "\n")}
}

func isStageLine(s string) bool { return strings.HasPrefix(s, "[") }

var ranLine = regexp.MustCompile(`(?m)^\[\d+/\d+ +[0-9.]+s\] ran +(\S+) \(`)

// ranStages lists the stages a run's plain progress output says it ran.
func ranStages(stderr string) []string {
	var out []string
	for _, m := range ranLine.FindAllStringSubmatch(stderr, -1) {
		out = append(out, m[1])
	}
	return out
}

// A killMoment is a point in a run: after n stage lines of the plain
// progress output (n = -1: after the closing summary line), then delay.
type killMoment struct {
	lines int
	delay time.Duration
}

func (m killMoment) String() string {
	if m.lines < 0 {
		return fmt.Sprintf("after the summary line +%v", m.delay)
	}
	return fmt.Sprintf("after %d stage lines +%v", m.lines, m.delay)
}

// TestCrashSafetySIGKILL kills a cold quick run with SIGKILL at eleven moments
// spread over the whole run: during start-up, after the first stage, at
// fractions of the stages, and just before and after the report stage
// (while the lock and the report are written). After each
// kill the store verifies clean, the next run completes (recovering the
// stale lock, reusing every stage that finished) and its artifacts are
// byte-identical to an uninterrupted run's.
func TestCrashSafetySIGKILL(t *testing.T) {
	t.Parallel()
	s := reference(t)
	n := s.stages
	// make test kills at four moments (during the start, mid-run, before
	// the last stage and after it); each costs two quick runs. make stress
	// (CI runs it) adds a sweep through the run and 50 random moments.
	moments := []killMoment{{0, 150 * time.Millisecond}, {int(0.4 * float64(n)), 0}, {n - 1, 0}, {n, 0}}
	if stress {
		moments = append(moments, killMoment{1, 0})
		for _, f := range []float64{0.1, 0.25, 0.55, 0.7, 0.85, 0.95} {
			moments = append(moments, killMoment{int(f * float64(n)), 0})
		}
		moments = append(moments, killMoment{0, 0}, killMoment{n, 5 * time.Millisecond}, killMoment{-1, 0})
		r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
		for range 40 {
			moments = append(moments, killMoment{r.IntN(n + 1), time.Duration(r.IntN(40)) * time.Millisecond})
		}
		for range 10 {
			moments = append(moments, killMoment{0, time.Duration(r.IntN(2500)) * time.Millisecond})
		}
	}
	dir := copyProject(t)
	killed := 0
	for _, m := range moments {
		os.RemoveAll(filepath.Join(dir, "artifacts"))
		os.Remove(filepath.Join(dir, "repro.quick.lock"))
		l := startRepro(t, dir, nil, "run", "--profile", "quick")
		var reached bool
		if m.lines < 0 {
			reached = l.until(1, func(s string) bool { return strings.Contains(s, " ran, ") })
		} else {
			reached = l.until(m.lines, isStageLine)
		}
		time.Sleep(m.delay)
		if reached {
			l.cmd.Process.Kill()
		}
		r := l.wait(t)
		if r.code != 128+int(syscall.SIGKILL) {
			t.Logf("%v: the run ended by itself (exit %d) before the kill", m, r.code)
			continue
		}
		killed++
		when := fmt.Sprintf("killed %v", m)
		mustVerify(t, dir, when+", before the next run")
		lockInfo, _ := os.ReadFile(filepath.Join(dir, "artifacts/LOCK"))
		next := runRepro(t, dir, "run", "--profile", "quick", "--json")
		if next.code != 0 {
			t.Fatalf("%s: the next run: exit %d\n%s", when, next.code, next.stderr)
		}
		if strings.Contains(string(lockInfo), fmt.Sprintf("pid %d\n", l.cmd.Process.Pid)) &&
			!strings.Contains(next.stderr, fmt.Sprintf("recovered a stale store lock left by process %d", l.cmd.Process.Pid)) {
			t.Errorf("%s: the next run did not say it recovered the dead process's lock:\n%s", when, next.stderr)
		}
		sum := parseSummary(t, next.stdout)
		for _, st := range ranStages(r.stderr) {
			if !slices.Contains(sum.Cached, st) {
				t.Errorf("%s: %s had finished before the kill but the next run did not reuse it", when, st)
			}
		}
		mustVerify(t, dir, when+", after the next run")
		sameAsReference(t, dir, when)
		if t.Failed() {
			t.Fatalf("stopping after the first failing moment (%v)", m)
		}
	}
	// Some moments may come after the run ended by itself (the last stage,
	// a random delay): most must land.
	if want := min(10, len(moments)-1); killed < want {
		t.Errorf("only %d of %d kills landed during a run; want at least %d", killed, len(moments), want)
	}
	t.Logf("%d kills", killed)
}

// TestInterruptSIGINT: Ctrl-C stops the run with exit code 130, keeps every
// stage that completed (the lock lists them, the next run reuses them) and
// leaves a clean store.
func TestInterruptSIGINT(t *testing.T) {
	t.Parallel()
	s := reference(t)
	dir := copyProject(t)
	l := startRepro(t, dir, nil, "run", "--profile", "quick")
	if !l.until(s.stages/4, isStageLine) {
		t.Fatalf("the run ended before %d stages: %+v", s.stages/4, l.wait(t))
	}
	l.cmd.Process.Signal(os.Interrupt)
	r := l.wait(t)
	if r.code != 130 {
		t.Fatalf("after SIGINT: exit %d, want 130\n%s", r.code, r.stderr)
	}
	done := ranStages(r.stderr)
	if len(done) < s.stages/4 || len(done) >= s.stages {
		t.Fatalf("after SIGINT %d of %d stages had run; want some but not all", len(done), s.stages)
	}
	lock, err := pipeline.ReadLock(filepath.Join(dir, "repro.quick.lock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range done {
		if lock.Stages[st] == nil {
			t.Errorf("the interrupted run's lock does not record %s, which completed", st)
		}
	}
	mustVerify(t, dir, "after SIGINT")
	sum := runQuick(t, dir)
	for _, st := range done {
		if !slices.Contains(sum.Cached, st) {
			t.Errorf("%s completed before SIGINT but the next run did not reuse it", st)
		}
	}
	if len(sum.Ran)+len(sum.Cached) != s.stages || len(sum.Ran) == 0 {
		t.Errorf("the next run ran %d and reused %d of %d stages", len(sum.Ran), len(sum.Cached), s.stages)
	}
	sameAsReference(t, dir, "after SIGINT and a rerun")
}

// TestCorruptionIsDetectedAndRecomputed flips a byte in one stored object,
// truncates another and flips a byte in the stored report: verify names all
// three and exits 1; the next run warns, discards them, recomputes exactly
// their stages, and the report is byte-identical to a clean one. A forced
// rerun over a corrupt object of the right size replaces it too.
func TestCorruptionIsDetectedAndRecomputed(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	type victim struct {
		stage, out string
		spoil      func([]byte) []byte
	}
	flip := func(b []byte) []byte { b[len(b)/2] ^= 0x20; return b }
	victims := []victim{
		{"terrain/split", "value", flip},
		{"figures/nn-terrain-heat", "figure.svg", func(b []byte) []byte { return b[:len(b)/2] }},
		{"report", "report.html", flip},
	}
	var hashes, stagesHit []string
	for _, v := range victims {
		h := lockOutput(t, dir, v.stage, v.out)
		p := filepath.Join(dir, filepath.FromSlash(objectRel(h)))
		b, _ := os.ReadFile(p)
		if err := os.WriteFile(p, v.spoil(b), 0o644); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
		stagesHit = append(stagesHit, v.stage)
	}
	sort.Strings(stagesHit)

	v := runRepro(t, dir, "verify")
	if v.code != 1 {
		t.Errorf("verify over corrupt objects: exit %d, want 1\n%s", v.code, v.stdout)
	}
	for _, h := range hashes {
		if !strings.Contains(v.stdout, "corrupt "+filepath.Join(dir, filepath.FromSlash(objectRel(h)))) {
			t.Errorf("verify does not name the corrupt object %s:\n%s", h[:12], v.stdout)
		}
	}
	if !strings.Contains(v.stdout, "3 problems") {
		t.Errorf("verify does not count 3 problems:\n%s", v.stdout)
	}

	r := runRepro(t, dir, "run", "--profile", "quick", "--json")
	if r.code != 0 {
		t.Fatalf("run over corrupt objects: exit %d\n%s", r.code, r.stderr)
	}
	sum := parseSummary(t, r.stdout)
	sort.Strings(sum.Ran)
	if !slices.Equal(sum.Ran, stagesHit) {
		t.Errorf("run over corrupt objects ran %v, want exactly %v", sum.Ran, stagesHit)
	}
	for _, st := range stagesHit {
		if !strings.Contains(r.stderr, "warning: "+st+": cache entry unusable, recomputing") || !strings.Contains(r.stderr, "corrupt object") {
			t.Errorf("no corruption warning for %s:\n%s", st, r.stderr)
		}
	}
	mustVerify(t, dir, "after recomputing corrupt objects")
	sameAsReference(t, dir, "after recomputing corrupt objects")

	// --force reruns stages without reading the cache; the corrupt object
	// of the right size must be replaced, not trusted by its size.
	h := lockOutput(t, dir, "terrain/split", "value")
	p := filepath.Join(dir, filepath.FromSlash(objectRel(h)))
	b, _ := os.ReadFile(p)
	os.WriteFile(p, flip(b), 0o644)
	if r := runRepro(t, dir, "run", "--profile", "quick", "--force", "terrain/scale"); r.code != 0 {
		t.Errorf("run --force over a corrupt object: exit %d\n%s", r.code, r.stderr)
	}
	mustVerify(t, dir, "after run --force over a corrupt object")
}

// TestConcurrentRuns: a second run started while the first holds the store
// waits for it (saying which process holds the lock), then reuses its work;
// both succeed and the store is consistent. In stress mode, several runs
// start at once, repeatedly.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	s := reference(t)
	dir := copyProject(t)
	a := startRepro(t, dir, nil, "run", "--profile", "quick", "--json", "-j", "1")
	if !a.until(1, isStageLine) {
		t.Fatalf("the first run printed no stage: %+v", a.wait(t))
	}
	b := startRepro(t, dir, nil, "run", "--profile", "quick", "--json")
	ra, rb := a.wait(t), b.wait(t)
	if ra.code != 0 || rb.code != 0 {
		t.Fatalf("concurrent runs: exit %d and %d\n%s\n---\n%s", ra.code, rb.code, ra.stderr, rb.stderr)
	}
	if want := fmt.Sprintf("waiting for the store lock %s, held by pid %d host ", filepath.Join(dir, "artifacts", "LOCK"), a.cmd.Process.Pid); !strings.Contains(rb.stderr, want) {
		t.Errorf("the second run did not say it waits for the first:\nwant %q in\n%s", want, rb.stderr)
	}
	sa, sb := parseSummary(t, ra.stdout), parseSummary(t, rb.stdout)
	if len(sa.Ran) != s.stages || len(sb.Ran) != 0 || len(sb.Cached) != s.stages {
		t.Errorf("first run ran %d, second ran %d and reused %d; want %d, 0, %d", len(sa.Ran), len(sb.Ran), len(sb.Cached), s.stages, s.stages)
	}
	mustVerify(t, dir, "after two concurrent runs")
	sameAsReference(t, dir, "after two concurrent runs")

	rounds := 0
	if stress {
		rounds = 5
	}
	for round := range rounds {
		os.RemoveAll(filepath.Join(dir, "artifacts"))
		os.Remove(filepath.Join(dir, "repro.quick.lock"))
		var ls []*live
		for range 4 {
			ls = append(ls, startRepro(t, dir, nil, "run", "--profile", "quick", "--json"))
		}
		// Kill one of them part-way: the others must still finish.
		ls[round%4].until(1+round*10, isStageLine)
		ls[round%4].cmd.Process.Kill()
		for i, l := range ls {
			if r := l.wait(t); i != round%4 && r.code != 0 {
				t.Fatalf("round %d: run %d: exit %d\n%s", round, i, r.code, r.stderr)
			}
		}
		if r := runRepro(t, dir, "run", "--profile", "quick"); r.code != 0 {
			t.Fatalf("round %d: final run: exit %d\n%s", round, r.code, r.stderr)
		}
		mustVerify(t, dir, fmt.Sprintf("round %d", round))
		sameAsReference(t, dir, fmt.Sprintf("round %d of concurrent runs", round))
	}
}

// TestStoreLockHolder: a lock left by a process that died is recovered with
// a message naming it; a lock held by a live process makes the run wait,
// naming the holder, and proceed when it is released.
func TestStoreLockHolder(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	lockPath := filepath.Join(dir, "artifacts", "LOCK")

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	pid := dead.Process.Pid
	os.WriteFile(lockPath, fmt.Appendf(nil, "pid %d\nhost elsewhere\nsince 2024-01-01T00:00:00Z\n", pid), 0o644)
	r := runRepro(t, dir, "run", "--profile", "quick")
	if r.code != 0 {
		t.Fatalf("run over a stale lock: exit %d\n%s", r.code, r.stderr)
	}
	if want := fmt.Sprintf("recovered a stale store lock left by process %d, which is no longer running", pid); !strings.Contains(r.stderr, want) {
		t.Errorf("run over a stale lock: want %q in\n%s", want, r.stderr)
	}

	fl := flock.New(lockPath)
	if ok, err := fl.TryLock(); !ok || err != nil {
		t.Fatalf("taking the store lock: %v %v", ok, err)
	}
	os.WriteFile(lockPath, fmt.Appendf(nil, "pid %d\n", os.Getpid()), 0o644)
	l := startRepro(t, dir, nil, "run", "--profile", "quick")
	want := fmt.Sprintf("held by pid %d", os.Getpid())
	saw := make(chan bool, 1)
	go func() { saw <- l.until(1, func(s string) bool { return strings.Contains(s, want) }) }()
	select {
	case ok := <-saw:
		if !ok {
			t.Errorf("the run did not say who holds the lock (%q)", want)
		}
	case <-time.After(slowLimit(60 * time.Second)):
		t.Errorf("the run did not report the lock holder within %v", slowLimit(60*time.Second))
	}
	fl.Unlock()
	if r := l.wait(t); r.code != 0 {
		t.Errorf("run after the lock was released: exit %d\n%s", r.code, r.stderr)
	}
}

// TestDivergingGridPoint: a learning rate far too high diverges; the run and
// the report complete, the diverged grid points are recorded as diverged,
// and the heat map and the report show them as such, never as a number.
func TestDivergingGridPoint(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	r := runRepro(t, dir, "run", "--profile", "quick", "--json", "--set", "neural_regression.learning_rates=[0.01, 100]")
	if r.code != 0 {
		t.Fatalf("run with a diverging learning rate: exit %d\n%s", r.code, r.stderr)
	}
	if sum := parseSummary(t, r.stdout); sum.Report == "" || len(sum.Failed) != 0 {
		t.Fatalf("run with a diverging learning rate: report %q, failed %v", sum.Report, sum.Failed)
	}
	l, err := pipeline.ReadLock(filepath.Join(dir, "repro.quick.lock"))
	if err != nil {
		t.Fatal(err)
	}
	object := func(stage, out string) []byte {
		ls := l.Stages[stage]
		if ls == nil {
			t.Fatalf("no stage %s in the lock", stage)
		}
		return readFile(t, dir, objectRel(ls.Outputs[out]))
	}
	points := 0
	for name := range l.Stages {
		if !strings.HasPrefix(name, "neural/regression/act=") {
			continue
		}
		var run struct{ Diverged bool }
		if err := json.Unmarshal(object(name, "value"), &run); err != nil {
			t.Fatal(err)
		}
		if want := strings.Contains(name, "/lr=100/"); run.Diverged != want {
			t.Errorf("%s: Diverged = %v, want %v", name, run.Diverged, want)
		}
		points++
	}
	if points == 0 {
		t.Fatal("no grid points in the lock")
	}
	var tune struct {
		Heat struct {
			LRs      []float64
			Diverged [][]bool
		}
	}
	if err := json.Unmarshal(object("neural/regression/tune/act=relu", "value"), &tune); err != nil {
		t.Fatal(err)
	}
	// The refinement may add a learning rate beyond the best edge: only
	// the lr=100 column diverged.
	for _, row := range tune.Heat.Diverged {
		for j, d := range row {
			if want := j < len(tune.Heat.LRs) && tune.Heat.LRs[j] == 100; d != want {
				t.Errorf("tune/act=relu: Heat.Diverged = %v for learning rates %v, want the lr=100 column diverged", tune.Heat.Diverged, tune.Heat.LRs)
			}
		}
	}
	svg := object("figures/nn-terrain-heat", "figure.svg")
	if n := bytes.Count(svg, []byte(">diverged</text>")); n < 6 {
		t.Errorf("the heat map labels %d cells \"diverged\", want 6 (3 activations x 2 architectures) and a legend", n)
	}
	html := readFile(t, dir, "artifacts/report.html")
	// The count is a marked number (its provenance span): read the text.
	text := regexp.MustCompile(`<span class="num[^>]*>([^<]*)</span>`).ReplaceAll(html, []byte("$1"))
	if !bytes.Contains(text, []byte("2 cells diverged for every seed")) || bytes.Count(html, []byte(">diverged</text>")) < 6 {
		t.Errorf("the report does not show the diverged cells as diverged: %q", regexp.MustCompile(`[^.]*diverged for every seed[^.]*`).Find(text))
	}
	mustVerify(t, dir, "after a diverging grid")
}

// TestNamesCannotEscapeTheStore: stage names given on the command line are
// looked up in the graph, never used as paths (pipeline.TestCheckName covers
// the names the graph itself may hold).
func TestNamesCannotEscapeTheStore(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	outside := filepath.Join(filepath.Dir(dir), "escaped")
	for _, args := range [][]string{
		{"show", "../escaped"},
		{"show", "../../../../etc/passwd"},
		{"show", "/etc/passwd"},
		{"show", "terrain/../../escaped"},
		{"run", "../escaped"},
		{"run", "/tmp"},
		{"status", "../.."},
		{"verify", "--recompute", "../escaped"},
	} {
		r := runRepro(t, dir, append(args, "--profile", "quick")...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(outside); err == nil {
		t.Errorf("%s was created outside the project", outside)
	}
}

func runReproEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return startRepro(t, dir, env, args...).wait(t)
}

// TestBadConfigurationAtTheCLI: bad parameters from every source exit 2
// before any stage runs, naming the key, the value and what is allowed
// (config.TestBadConfig holds the full table at the package level).
func TestBadConfigurationAtTheCLI(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	quick := readFile(t, dir, "params.quick.yaml")
	for _, tc := range []struct {
		name  string
		set   []string
		env   []string
		quick string // replaces params.quick.yaml
		want  []string
	}{
		{name: "negative learning rate", set: []string{"neural_regression.learning_rates=[0.01, -0.1]"}, want: []string{"neural_regression.learning_rates[1] = -0.1", "must be > 0"}},
		{name: "zero learning rate", set: []string{"logistic.learning_rate=0"}, want: []string{"logistic.learning_rate = 0", "must be > 0"}},
		{name: "empty grid", set: []string{"linear_sgd.momenta=[]"}, want: []string{"linear_sgd.momenta", "empty"}},
		{name: "mini-batch larger than the data", set: []string{"neural_classification.train.batch_size=5000"}, want: []string{"neural_classification.train.batch_size = 5000", "larger than"}},
		{name: "architecture input size", set: []string{"neural_regression.architectures=[3x8x1]"}, want: []string{"3x8x1", "input layer has 3 nodes but the data have 2 features"}},
		{name: "set of a missing key", set: []string{"terrain.colour=red"}, want: []string{"terrain.colour", "no such key"}},
		{name: "misspelled key", set: []string{"terrian.degree=3"}, want: []string{"terrian.degree", "did you mean terrain.degree"}},
		{name: "wrong type", set: []string{"terrain.degree=eight"}, want: []string{"terrain.degree", `"eight"`, "want an integer"}},
		{name: "set without =", set: []string{"terrain.degree"}, want: []string{"--set", "want key=value"}},
		{name: "bad environment value", env: []string{"REPRO_TERRAIN_DEGREE=high"}, want: []string{"REPRO_TERRAIN_DEGREE", `"high"`, "want an integer"}},
		{name: "malformed profile", quick: "terrain: [unclosed\n", want: []string{"params.quick.yaml", "malformed YAML"}},
		{name: "unknown key in profile", quick: "terain:\n  window: 100\n", want: []string{"params.quick.yaml", "terain", "did you mean terrain"}},
		{name: "x_sparsity < 2", set: []string{"terrain.x_sparsity=1"}, want: []string{"terrain.x_sparsity = 1", "must be >= 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.quick != "" {
				os.WriteFile(filepath.Join(dir, "params.quick.yaml"), []byte(tc.quick), 0o644)
				defer os.WriteFile(filepath.Join(dir, "params.quick.yaml"), quick, 0o644)
			}
			args := []string{"run", "--profile", "quick"}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			r := runReproEnv(t, dir, tc.env, args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2\n%s", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("error does not contain %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "] ran ") {
				t.Errorf("a stage ran:\n%s", r.stderr)
			}
		})
	}
	if n := len(storeObjects(t, dir)); n != 0 {
		t.Errorf("rejected configurations stored %d objects", n)
	}
}

// storeObjects maps every object file of dir's store to its bytes.
func storeObjects(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	objs := map[string][]byte{}
	filepath.WalkDir(filepath.Join(dir, "artifacts", "objects"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			objs[d.Name()] = b
		}
		return nil
	})
	return objs
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// npy builds a version 1.0 .npy file with the given header dict and body.
func npy(dict string, body []byte) []byte {
	h := dict
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	return append(append(b, h...), body...)
}

func f8s(vals ...float64) []byte {
	var b []byte
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func npzOf(members map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(members)) {
		w, _ := zw.Create(name)
		w.Write(members[name])
	}
	zw.Close()
	return buf.Bytes()
}

// geoTIFF builds a little-endian, uncompressed, single-strip TIFF of w x h
// samples: 16-bit signed integers (float32 false) or 32-bit floats, with an
// optional GDAL_NODATA tag.
func geoTIFF(w, h int, float32s bool, vals []float64, nodata string) []byte {
	var pix []byte
	bits, format := 16, 2
	if float32s {
		bits, format = 32, 3
	}
	for _, v := range vals {
		if float32s {
			pix = binary.LittleEndian.AppendUint32(pix, math.Float32bits(float32(v)))
		} else {
			pix = binary.LittleEndian.AppendUint16(pix, uint16(int16(v)))
		}
	}
	type entry struct {
		tag, typ uint16
		count    uint32
		value    uint32
	}
	entries := []entry{
		{256, 4, 1, uint32(w)}, {257, 4, 1, uint32(h)}, {258, 3, 1, uint32(bits)}, {259, 3, 1, 1},
		{262, 3, 1, 1}, {273, 4, 1, 0}, {277, 3, 1, 1}, {278, 4, 1, uint32(h)},
		{279, 4, 1, uint32(len(pix))}, {339, 3, 1, uint32(format)},
	}
	if nodata != "" {
		entries = append(entries, entry{42113, 2, uint32(len(nodata) + 1), 0})
	}
	ifdEnd := 8 + 2 + 12*len(entries) + 4
	extra := append([]byte(nodata), 0)
	pixAt := ifdEnd + len(extra)
	b := []byte("II*\x00")
	b = binary.LittleEndian.AppendUint32(b, 8)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		switch e.tag {
		case 273:
			e.value = uint32(pixAt)
		case 42113:
			e.value = uint32(ifdEnd)
		}
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.typ)
		b = binary.LittleEndian.AppendUint32(b, e.count)
		if e.typ == 3 {
			b = binary.LittleEndian.AppendUint16(b, uint16(e.value))
			b = append(b, 0, 0)
		} else {
			b = binary.LittleEndian.AppendUint32(b, e.value)
		}
	}
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = append(b, extra...)
	return append(b, pix...)
}

// TestBadDataFailsNamingTheFileAndPlace points terrain.file and digits.file
// at broken files: each run exits 1 naming the file and the row, column or
// field; nothing computed before is lost.
func TestBadDataFailsNamingTheFileAndPlace(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	before := storeObjects(t, dir)

	csv := readFile(t, dir, "data/digits.csv.gz")
	zr, err := gzip.NewReader(bytes.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(string(text), "\n")
	editRow := func(row int, edit func([]string) []string) []byte {
		rs := slices.Clone(rows)
		rs[row-1] = strings.Join(edit(strings.Split(rs[row-1], ",")), ",")
		return gzipped([]byte(strings.Join(rs, "\n")))
	}
	ramp := make([]float64, 16)
	for i := range ramp {
		ramp[i] = float64(100 + i)
	}
	withNaN := slices.Clone(ramp)
	withNaN[6] = math.NaN()
	withVoid := slices.Clone(ramp)
	withVoid[9] = -9999

	for _, tc := range []struct {
		name, key, file string
		b               []byte
		want            []string
	}{
		{"truncated gzip", "digits.file", "data/bad/truncated.csv.gz", csv[:len(csv)/2],
			[]string{"data/bad/truncated.csv.gz: truncated gzip stream"}},
		{"63 columns", "digits.file", "data/bad/cols.csv.gz", editRow(17, func(f []string) []string { return f[2:] }),
			[]string{"data/bad/cols.csv.gz: row 17: 63 columns, want 65"}},
		{"label 10", "digits.file", "data/bad/label.csv.gz", editRow(3, func(f []string) []string { f[64] = "10"; return f }),
			[]string{"data/bad/label.csv.gz: row 3, column 65: label 10 out of range 0..9"}},
		{"not a number", "digits.file", "data/bad/nan.csv.gz", editRow(5, func(f []string) []string { f[11] = "abc"; return f }),
			[]string{`data/bad/nan.csv.gz: row 5, column 12: "abc" is not a number`}},
		{"npy unsupported dtype", "terrain.file", "data/bad/complex.npy",
			npy("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 2), }", make([]byte, 64)),
			[]string{"data/bad/complex.npy: header: dtype '<c16' not supported"}},
		{"npy lying header", "terrain.file", "data/bad/lying.npy",
			npy("{'descr': '<f8', 'fortran_order': False, 'shape': (400, 400), }", f8s(1, 2, 3, 4)),
			[]string{"data/bad/lying.npy: header says shape (400, 400) = 160000 values of 8 bytes but the file holds 32 bytes"}},
		{"npz missing its array", "terrain.file", "data/bad/other.npz",
			npzOf(map[string][]byte{"dx.npy": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f8s(1, 2, 3, 4))}),
			[]string{`data/bad/other.npz: no array "elevation" (member elevation.npy); the archive holds: dx`}},
		{"GeoTIFF with NaN", "terrain.file", "data/bad/nan.tif", geoTIFF(4, 4, true, withNaN, ""),
			[]string{"data/bad/nan.tif", "1 of 16 cells", "row 1, column 2"}},
		{"GeoTIFF with nodata", "terrain.file", "data/bad/void.tif", geoTIFF(4, 4, false, withVoid, "-9999"),
			[]string{"data/bad/void.tif", "nodata value -9999", "row 2, column 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, filepath.FromSlash(tc.file))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, tc.b, 0o644); err != nil {
				t.Fatal(err)
			}
			r := runRepro(t, dir, "run", "--profile", "quick", "--set", tc.key+"="+tc.file)
			if r.code != 1 {
				t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			stage := strings.Split(tc.key, ".")[0] + "/load"
			if !strings.Contains(r.stderr, "stage "+stage+": ") {
				t.Errorf("the error does not name the stage %s:\n%s", stage, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("the error does not contain %q:\n%s", w, r.stderr)
				}
			}
		})
	}

	after := storeObjects(t, dir)
	for h, b := range before {
		if !bytes.Equal(after[h], b) {
			t.Errorf("object %s, stored before the bad data, was lost or changed", h[:12])
		}
	}
	mustVerify(t, dir, "after runs on bad data")
	if sum := runQuick(t, dir); len(sum.Ran) != 0 {
		t.Errorf("after runs on bad data, the good data reran %v", sum.Ran)
	}
	sameAsReference(t, dir, "after runs on bad data")
}

// TestVerifyRecompute: verify --recompute reruns stages without the cache
// and compares digests; it finds the whole quick profile reproducible, and
// names a stage whose stored output is not what the stage computes, which
// plain verify (re-hashing) cannot see.
func TestVerifyRecompute(t *testing.T) {
	t.Parallel()
	s := reference(t)
	dir := warmProject(t)
	objs := len(storeObjects(t, dir))
	r := runRepro(t, dir, "verify", "--recompute", "--profile", "quick")
	if want := fmt.Sprintf("recomputed %d stages: %d reproducible, 0 not reproducible, 0 failed", s.stages, s.stages); r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("verify --recompute: exit %d, want 0 and %q\n%s%s", r.code, want, r.stdout, r.stderr)
	}
	if n := len(storeObjects(t, dir)); n != objs {
		t.Errorf("verify --recompute changed the store: %d objects, want %d", n, objs)
	}

	figures := 0
	l, _ := pipeline.ParseLock("lock", s.lock)
	for name := range l.Stages {
		if strings.HasPrefix(name, "figures/") {
			figures++
		}
	}

	// Make the run cache claim that figures/terrain-split made other bytes,
	// as a stage that is not deterministic would have: a consistent store
	// (every object matches its name) whose record is not reproducible.
	stage := "figures/terrain-split"
	key := l.Stages[stage].Key
	runPath := filepath.Join(dir, "artifacts", "runs", key[:2], key)
	recHash := strings.TrimSpace(string(readFile(t, dir, "artifacts/runs/"+key[:2]+"/"+key)))
	var rec pipeline.Record
	if err := json.Unmarshal(readFile(t, dir, objectRel(recHash)), &rec); err != nil {
		t.Fatal(err)
	}
	orig := rec.Outputs["figure.svg"]
	other := append(readFile(t, dir, objectRel(orig)), "<!-- not what the stage makes -->\n"...)
	st, err := pipeline.OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outputs["figure.svg"], err = st.Put(other); err != nil {
		t.Fatal(err)
	}
	if err := st.PutRecord(&rec); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(runPath); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, dir, "after replacing a record consistently")
	// Only the stages matching the pattern are rerun (their inputs are
	// keyed from the run cache).
	r = runRepro(t, dir, "verify", "--recompute", "--profile", "quick", "figures/*")
	want := fmt.Sprintf("not reproducible %s: output figure.svg: stored %s, recomputed %s", stage, rec.Outputs["figure.svg"][:16], orig[:16])
	summary := fmt.Sprintf("recomputed %d stages: %d reproducible, 1 not reproducible, 0 failed", figures, figures-1)
	if r.code != 1 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, summary) {
		t.Errorf("verify --recompute 'figures/*' over an irreproducible record: exit %d, want 1, %q and %q\n%s%s", r.code, want, summary, r.stdout, r.stderr)
	}

	// Stages that never ran cannot be checked: say so.
	r = runRepro(t, dir, "verify", "--recompute", "--profile", "quick", "--set", "terrain.degree=4", "terrain/design")
	if r.code != 1 || !strings.Contains(r.stderr, "stage terrain/design") || !strings.Contains(r.stderr, "not in the run cache: run it first") {
		t.Errorf("verify --recompute of a stage never run: exit %d, want 1 and \"not in the run cache\"\n%s", r.code, r.stderr)
	}
	if r := runRepro(t, dir, "verify", "figures"); r.code != 2 {
		t.Errorf("verify PATTERN without --recompute: exit %d, want 2", r.code)
	}
}

// TestGCRemovesOnlyUnreferenced: gc --dry-run lists what gc would remove
// (objects neither a lock nor the run cache references, and temporary files
// of interrupted writes) with a size summary and removes nothing; gc removes
// exactly those; nothing a lock or the run cache needs is lost.
func TestGCRemovesOnlyUnreferenced(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	// An earlier parameter value, kept by the run cache only.
	if r := runRepro(t, dir, "run", "--profile", "quick", "--set", "terrain.degree=4", "terrain/design"); r.code != 0 {
		t.Fatalf("run terrain/design with degree 4: exit %d\n%s", r.code, r.stderr)
	}
	st, err := pipeline.OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	var strays []string
	for _, b := range [][]byte{bytes.Repeat([]byte("stray "), 200), []byte("another stray")} {
		h, _ := st.Put(b)
		strays = append(strays, h)
	}
	// A record whose run-cache entry is gone: its record object is
	// unreferenced, its outputs are still named by the lock.
	l, _ := pipeline.ParseLock("lock", readFile(t, dir, "repro.quick.lock"))
	key := l.Stages["figures/confusion"].Key
	recHash := strings.TrimSpace(string(readFile(t, dir, "artifacts/runs/"+key[:2]+"/"+key)))
	os.Remove(filepath.Join(dir, "artifacts", "runs", key[:2], key))
	strays = append(strays, recHash)
	sort.Strings(strays)
	temp := filepath.Join(dir, "artifacts", "objects", "ab", ".tmp-abcdef-123")
	os.MkdirAll(filepath.Dir(temp), 0o755)
	os.WriteFile(temp, []byte("half"), 0o644)
	objs := storeObjects(t, dir)
	delete(objs, ".tmp-abcdef-123")
	var total, straySize int64
	for h, b := range objs {
		total += int64(len(b))
		if slices.Contains(strays, h) {
			straySize += int64(len(b))
		}
	}

	dry := runRepro(t, dir, "gc", "--dry-run")
	summary := fmt.Sprintf("would remove 3 of %d objects (%s of %s); %d objects (%s) kept",
		len(objs), numfmt.Bytes(straySize), numfmt.Bytes(total), len(objs)-3, numfmt.Bytes(total-straySize))
	if dry.code != 0 || !strings.Contains(dry.stdout, summary) || !strings.Contains(dry.stdout, temp) {
		t.Errorf("gc --dry-run: exit %d, want 0 and %q and the temporary file\n%s%s", dry.code, summary, dry.stdout, dry.stderr)
	}
	for _, h := range strays {
		if !strings.Contains(dry.stdout, "would remove "+h) {
			t.Errorf("gc --dry-run does not list %s", h[:12])
		}
	}
	if n := len(storeObjects(t, dir)); n != len(objs)+1 {
		t.Errorf("gc --dry-run removed something: %d files, want %d", n, len(objs)+1)
	}

	r := runRepro(t, dir, "gc")
	if r.code != 0 || !strings.Contains(r.stdout, strings.Replace(summary, "would remove", "removed", 1)) ||
		!strings.Contains(r.stdout, "removed 1 temporary files left by interrupted runs (4 B)") {
		t.Errorf("gc: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	after := storeObjects(t, dir)
	for h := range objs {
		if _, ok := after[h]; ok == slices.Contains(strays, h) {
			t.Errorf("after gc, object %s present = %v", h[:12], ok)
		}
	}
	if _, err := os.Stat(temp); err == nil {
		t.Error("gc left the temporary file")
	}
	mustVerify(t, dir, "after gc")
	if sum := runQuick(t, dir); len(sum.Ran) != 1 || sum.Ran[0] != "figures/confusion" {
		t.Errorf("after gc the run reran %v, want only figures/confusion (whose run-cache entry was removed)", sum.Ran)
	}
	r = runRepro(t, dir, "run", "--profile", "quick", "--json", "--set", "terrain.degree=4", "terrain/design")
	if sum := parseSummary(t, r.stdout); len(sum.Ran) != 0 {
		t.Errorf("after gc an earlier parameter value reran %v", sum.Ran)
	}
	if r := runRepro(t, dir, "gc"); !strings.Contains(r.stdout, "removed 0 of") {
		t.Errorf("a second gc: %s", r.stdout)
	}
}

// gc --max-size bounds the store: entries no lock names go, least recently
// used first; what the lock names stays. (The run with degree 4 updated the
// lock, so the degree-5 entry of terrain/design is the one no lock names.)
func TestGCBoundsTheStore(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	if r := runRepro(t, dir, "run", "--profile", "quick", "--set", "terrain.degree=4", "terrain/design"); r.code != 0 {
		t.Fatalf("run terrain/design with degree 4: exit %d\n%s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"--max-size", "-3"}, {"--max-size", "lots"}, {"--keep-days", "-1"}} {
		if r := runRepro(t, dir, append([]string{"gc"}, args...)...); r.code != 2 {
			t.Errorf("gc %v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	r := runRepro(t, dir, "gc", "--max-size", "1B")
	if r.code != 0 || !strings.Contains(r.stdout, "removed 1 run-cache entries used least recently") {
		t.Fatalf("gc --max-size 1B: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustVerify(t, dir, "after gc --max-size")
	r = runRepro(t, dir, "run", "--profile", "quick", "--json", "--set", "terrain.degree=4", "terrain/design")
	if sum := parseSummary(t, r.stdout); len(sum.Ran) != 0 {
		t.Errorf("the entry the lock names (degree 4) reran: %v", sum.Ran)
	}
	if sum := runQuick(t, dir); len(sum.Ran) != 1 || sum.Ran[0] != "terrain/design" {
		t.Errorf("after gc the default degree reran %v, want only the dropped terrain/design", sum.Ran)
	}
}
