package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/serve"
)

// serveProc is a `repro serve` started by a test, on any free loopback port.
type serveProc struct {
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:PORT/
	mu   sync.Mutex
	log  []string // each line after the time it was read
	done chan struct{}
	err  error
}

var serveURLRE = regexp.MustCompile(`^repro serve: (http://127\.0\.0\.1:\d+/) `)

// startServe starts repro serve in dir and waits for its address. The
// server is stopped (Ctrl-C) when the test ends, and its log printed if the
// test failed.
func startServe(tb testing.TB, dir string, args ...string) *serveProc {
	tb.Helper()
	sp := &serveProc{done: make(chan struct{})}
	sp.cmd = exec.Command(reproBin, append([]string{"-C", dir, "serve", "--addr", "127.0.0.1:0"}, args...)...)
	sp.cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "REPRO_PROFILE=") || strings.HasPrefix(kv, "REPRO_STORE_REMOTE=")
	})
	pipe, err := sp.cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	sp.cmd.Stdout = io.Discard
	if err := sp.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			sp.mu.Lock()
			sp.log = append(sp.log, time.Now().Format("15:04:05.000 ")+line)
			sp.mu.Unlock()
			if m := serveURLRE.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		sp.err = sp.cmd.Wait()
		close(sp.done)
	}()
	tb.Cleanup(func() {
		sp.stop(tb)
		if tb.Failed() {
			tb.Logf("repro serve's log:\n%s", sp.logText())
		}
	})
	select {
	case sp.url = <-urls:
	case <-sp.done:
		tb.Fatalf("repro serve exited: %v", sp.err)
	case <-time.After(slowLimit(60 * time.Second)):
		tb.Fatalf("repro serve did not say its address in %v", slowLimit(60*time.Second))
	}
	return sp
}

func (sp *serveProc) logText() string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return strings.Join(sp.log, "\n")
}

// stop sends Ctrl-C (SIGINT) and waits for the exit; it returns the exit
// code, -1 if it had to kill.
func (sp *serveProc) stop(tb testing.TB) int {
	select {
	case <-sp.done:
	default:
		sp.cmd.Process.Signal(os.Interrupt)
		select {
		case <-sp.done:
		case <-time.After(slowLimit(60 * time.Second)):
			sp.cmd.Process.Kill()
			<-sp.done
			tb.Errorf("repro serve did not stop %v after Ctrl-C: killed", slowLimit(60*time.Second))
			return -1
		}
	}
	return sp.cmd.ProcessState.ExitCode()
}

// serveStatusDoc is /_repro/status.json.
type serveStatusDoc struct {
	Profile string            `json:"profile"`
	View    serve.LiveView    `json:"view"`
	Stages  []serve.StageView `json:"stages"`
	History []serve.RunRecord `json:"history"`
	Source  string            `json:"source"`
}

func (sp *serveProc) status(tb testing.TB) serveStatusDoc {
	tb.Helper()
	resp, err := http.Get(sp.url + "_repro/status.json")
	if err != nil {
		tb.Fatalf("status: %v", err) // the cleanup prints the server's log
	}
	defer resp.Body.Close()
	var d serveStatusDoc
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		tb.Fatalf("status: %s: %v", resp.Status, err)
	}
	return d
}

// waitFor polls the status until ok holds.
func (sp *serveProc) waitFor(tb testing.TB, what string, limit time.Duration, ok func(serveStatusDoc) bool) serveStatusDoc {
	tb.Helper()
	limit = slowLimit(limit)
	deadline := time.Now().Add(limit)
	for {
		d := sp.status(tb)
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(d.View, "", "  ")
			tb.Fatalf("%s: not after %v; view %s", what, limit, b)
		}
		select {
		case <-sp.done:
			tb.Fatalf("%s: repro serve exited: %v", what, sp.err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitRuns waits until n runs are done and none is running.
func (sp *serveProc) waitRuns(tb testing.TB, n int, limit time.Duration) serveStatusDoc {
	tb.Helper()
	return sp.waitFor(tb, "run "+strconv.Itoa(n), limit, func(d serveStatusDoc) bool {
		return len(d.History) >= n && d.View.Phase == "idle"
	})
}

// editFile replaces old by new in a project file (exactly once).
func editFile(tb testing.TB, dir, rel, old, new string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	if strings.Count(string(b), old) != 1 {
		tb.Fatalf("%s: %q occurs %d times, want once", rel, old, strings.Count(string(b), old))
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func appendFile(tb testing.TB, dir, rel, text string) {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(dir, filepath.FromSlash(rel)), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

type statusEntry struct {
	Stage string `json:"stage"`
	State string `json:"state"`
}

// TestServeParamEditRunsWhatStatusLists: after a parameter edit, serve runs
// exactly what `repro status` lists: every stale stage, and of the stages
// that may rerun only those whose inputs came out different. The test holds
// the store's lock while it asks `repro status`, so that serve's run waits
// until the answer is in.
func TestServeParamEditRunsWhatStatusLists(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	sp := startServe(t, dir, "--profile", "quick")
	d := sp.waitRuns(t, 1, 2*time.Minute)
	if r := d.History[0]; len(r.Ran) != 0 || len(r.Failed) != 0 {
		t.Fatalf("first run after repro run: ran %v, failed %v", r.Ran, r.Failed)
	}

	st, err := pipeline.OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := st.Lock(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	editFile(t, dir, "params.quick.yaml", "  degree: 5\n", "  degree: 4\n")
	sp.waitFor(t, "a run waiting for the store", time.Minute, func(d serveStatusDoc) bool { return d.View.Phase == "running" && d.View.Run == 2 })
	r := runRepro(t, dir, "status", "--profile", "quick", "--json")
	unlock()
	if r.code != 0 {
		t.Fatalf("repro status: exit %d\n%s", r.code, r.stderr)
	}
	var sts []statusEntry
	if err := json.Unmarshal([]byte(r.stdout), &sts); err != nil {
		t.Fatal(err)
	}
	var stale, may []string
	for _, s := range sts {
		switch s.State {
		case pipeline.StateStale:
			stale = append(stale, s.Stage)
		case pipeline.StateMayRerun:
			may = append(may, s.Stage)
		}
	}
	if len(stale) == 0 {
		t.Fatalf("repro status lists no stale stage after the degree changed")
	}
	d = sp.waitRuns(t, 2, 3*time.Minute)
	run := d.History[1]
	if run.Error != "" || len(run.Failed) > 0 {
		t.Fatalf("run 2 failed: %s %v", run.Error, run.Failed)
	}
	if !slices.Equal(run.Stale, stale) || !slices.Equal(run.MayRerun, may) {
		t.Errorf("serve's plan differs from repro status:\nserve stale %v\nstatus stale %v\nserve may rerun %v\nstatus may rerun %v", run.Stale, stale, run.MayRerun, may)
	}
	var ran []string
	for _, x := range run.Ran {
		ran = append(ran, x.Stage)
		if !slices.Contains(stale, x.Stage) && !slices.Contains(may, x.Stage) {
			t.Errorf("ran %s, which repro status did not list", x.Stage)
		}
		if len(x.Why) == 0 {
			t.Errorf("ran %s without a reason", x.Stage)
		}
	}
	for _, s := range stale {
		if !slices.Contains(ran, s) {
			t.Errorf("did not run %s, which repro status lists as stale", s)
		}
	}
	if slices.Contains(ran, "report") == false {
		t.Errorf("the report did not run: ran %v", ran)
	}
	for _, x := range run.Ran {
		if strings.HasPrefix(x.Stage, "neural/") {
			t.Errorf("ran %s: the degree of the polynomial does not reach the networks", x.Stage)
		}
	}
	sort.Strings(ran)
	t.Logf("ran %d stages: %v; repro status listed %d stale, %d may rerun", len(ran), ran, len(stale), len(may))

	// Afterwards repro status agrees that everything is fresh, and the lock
	// is the one repro run would have written.
	r = runRepro(t, dir, "status", "--profile", "quick", "--check")
	if r.code != 0 {
		t.Errorf("status --check after serve's run: exit %d\n%s", r.code, r.stdout)
	}
}

// TestServeInterrupt: Ctrl-C during a run stops it as repro run does (the
// stages that finished are kept, the store is unlocked), and the server
// exits 0.
func TestServeInterrupt(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	sp := startServe(t, dir, "--profile", "quick", "-j", "1")
	sp.waitFor(t, "a stage running", time.Minute, func(d serveStatusDoc) bool { return d.View.Done >= 5 })
	t0 := time.Now()
	if code := sp.stop(t); code != 0 {
		t.Fatalf("exit %d after Ctrl-C, want 0", code)
	}
	if el := time.Since(t0); el > slowLimit(20*time.Second) {
		t.Errorf("took %v to stop", el)
	}
	log := sp.logText()
	if !strings.Contains(log, "interrupted") || !strings.Contains(log, "repro serve: stopped") {
		t.Errorf("log does not say the run was interrupted and the server stopped:\n%s", log)
	}
	// What finished is kept: a new run finds it cached, and the store is
	// not locked.
	s := runQuick(t, dir)
	if len(s.Cached) < 5 {
		t.Errorf("after the interrupted run, %d stages cached, want the ones that finished", len(s.Cached))
	}
}

// TestServeRebuildsAfterGoEdit: an edit of the Go source that stales a
// stage is shown on /status (from the source on disk) while serve rebuilds
// itself; the rebuilt binary takes over the same address and runs the
// stage. A source that does not compile shows the compiler's error and the
// old binary keeps serving; undoing the edit withdraws the error.
func TestServeRebuildsAfterGoEdit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds repro twice")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := warmProject(t)
	sp := startServe(t, dir, "--profile", "quick")
	d0 := sp.waitRuns(t, 1, 2*time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	views := sseViews(t, ctx, strings.TrimSuffix(sp.url, "/"))

	// A compile error: shown, and nothing else changes.
	src := "stages/terrain.go"
	orig, err := os.ReadFile(filepath.Join(dir, src))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, src), append(append([]byte{}, orig...), []byte("\nfunc broken() { undefinedThing() }\n")...), 0o644)
	sp.waitFor(t, "the compiler's error", 3*time.Minute, func(d serveStatusDoc) bool {
		return d.View.Error != nil && d.View.Error.Stage == "go build" && strings.Contains(d.View.Error.Message, "undefinedThing")
	})
	// Undone: the source is the binary's again, the error goes.
	os.WriteFile(filepath.Join(dir, src), orig, 0o644)
	sp.waitFor(t, "the error withdrawn", time.Minute, func(d serveStatusDoc) bool { return d.View.Error == nil && d.View.Notice == "" })

	// A real change of a stage's code: terrain/load reruns in the new binary.
	// Requests keep coming all along, on keep-alive connections and on new
	// ones: none may be cut off while serve hands its socket over.
	cutOff := pollDuringHandoff(t, sp.url+"_repro/status.json")
	os.WriteFile(filepath.Join(dir, src), append(append([]byte{}, orig...), []byte("\nfunc init() { _ = len(\"serve rebuild test\") }\n")...), 0o644)
	sawRebuilding, sawStale := false, false
	deadline := time.After(slowLimit(4 * time.Minute))
	for !sawRebuilding {
		select {
		case v, ok := <-views:
			if !ok {
				t.Fatal("the event stream ended before the rebuilding phase")
			}
			if v.Phase == "rebuilding" {
				sawRebuilding = true
			}
		case <-deadline:
			t.Fatal("no rebuilding phase")
		}
	}
	d := sp.waitFor(t, "a restart in place", 4*time.Minute, func(d serveStatusDoc) bool {
		if d.View.Phase == "rebuilding" {
			for _, s := range d.Stages {
				if s.Stage == "terrain/load" && s.State == pipeline.StateStale {
					sawStale = true
				}
			}
		}
		return d.Source != d0.Source && len(d.History) >= 2 && d.View.Phase == "idle"
	})
	if errs := cutOff(); len(errs) > 0 {
		t.Errorf("%d requests failed across the restart, the first: %v", len(errs), errs[0])
	}
	last := d.History[len(d.History)-1]
	if !slices.Contains(last.Trigger, src) {
		t.Errorf("the run after the restart says it was triggered by %v, want %s", last.Trigger, src)
	}
	var ran []string
	for _, x := range last.Ran {
		ran = append(ran, x.Stage)
	}
	if !slices.Contains(ran, "terrain/load") {
		t.Errorf("after the rebuild ran %v, want terrain/load among them", ran)
	}
	if !sawStale {
		t.Logf("did not see terrain/load stale on /status during the rebuild (it may have been quick)")
	}
	if !strings.Contains(sp.logText(), "restarted after the rebuild") {
		t.Error("log does not say it restarted")
	}
	// The same process id: replaced in place, not a new process.
	if sp.cmd.ProcessState != nil {
		t.Fatal("the process exited")
	}
	if err := sp.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the server's process is gone: %v", err)
	}
}

// TestServeShowsARunFromAnotherTerminal: a repro run of the same profile in
// another process writes a new report; serve shows it (a new version for
// the pages) without running anything itself, and /status says what is
// fresh for serve's own parameters against the lock that run wrote.
func TestServeShowsARunFromAnotherTerminal(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	sp := startServe(t, dir, "--profile", "quick")
	d := sp.waitRuns(t, 1, 2*time.Minute)
	before := d.View.Version
	if before == "" {
		t.Fatal("no report version after the first run")
	}
	r := runRepro(t, dir, "run", "--profile", "quick", "--set", "report.title=Shown from another terminal")
	if r.code != 0 {
		t.Fatalf("repro run: exit %d\n%s", r.code, r.stderr)
	}
	// The run exports the report twice (the stage's output, then with the
	// run's provenance): the second is the one to show.
	onDisk := func() string {
		b, err := os.ReadFile(filepath.Join(dir, "artifacts", "report.html"))
		if err != nil || !strings.Contains(string(b), "Shown from another terminal") {
			t.Fatalf("the report on disk is not the other run's (%v)", err)
		}
		return pipeline.HashBytes(b)[:16] // the version serve gives a report
	}
	d = sp.waitFor(t, "the other run's report", time.Minute, func(d serveStatusDoc) bool { return d.View.Version == onDisk() })
	if len(d.History) != 1 {
		t.Errorf("serve ran %d times, want once (the start)", len(d.History))
	}
	// With serve's parameters nothing is to run: the other run's report
	// is shown until the next save.
	for _, st := range d.Stages {
		if st.State != pipeline.StateFresh {
			t.Errorf("/status: %s is %s (%v)", st.Stage, st.State, st.Reasons)
		}
	}
	if !strings.Contains(sp.logText(), "the exported report changed on disk") {
		t.Error("serve did not say it shows the report on disk")
	}
}

// pollDuringHandoff asks url every few milliseconds from two clients, one
// that keeps its connections alive and one that opens a new connection per
// request, until the returned function is called; that function returns
// the requests that failed (an error, a status other than 200, or a body
// that is not whole JSON).
func pollDuringHandoff(t *testing.T, url string) func() []error {
	stop := make(chan struct{})
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, keepAlive := range []bool{true, false} {
		client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: !keepAlive}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				err := func() error {
					resp, err := client.Get(url)
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("status %s", resp.Status)
					}
					var d serveStatusDoc
					return json.NewDecoder(resp.Body).Decode(&d)
				}()
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s keep-alive %v: %w", time.Now().Format("15:04:05.000"), keepAlive, err))
					mu.Unlock()
				}
			}
		}()
	}
	var once sync.Once
	stopped := func() []error {
		once.Do(func() { close(stop); wg.Wait() })
		mu.Lock()
		defer mu.Unlock()
		return errs
	}
	t.Cleanup(func() { stopped() })
	return stopped
}

// sseViews follows a server's event stream, sending each view.
func sseViews(tb testing.TB, ctx context.Context, base string) <-chan serve.LiveView {
	tb.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/_repro/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	out := make(chan serve.LiveView, 256)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var v serve.LiveView
				if json.Unmarshal([]byte(d), &v) == nil {
					select {
					case out <- v:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return out
}
