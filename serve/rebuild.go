package serve

// Rebuilding `repro serve` after an edit of the Go source: the running
// binary cannot run new code, so it builds the source on disk with its own
// build settings (which are part of every stage key), checks that the new
// binary starts, and re-executes it in place with the listening socket.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// buildResult is the outcome of a rebuild.
type buildResult struct {
	digest string // of the source it built
	bin    string // the new binary
	err    error
}

// goTool finds the go command.
func goTool() (string, error) { return exec.LookPath("go") }

// rebuild first shows on /status what the source on disk makes stale (its
// fingerprints, not the binary's), then builds it.
func (s *serveSession) rebuild(ctx context.Context, digest string) buildResult {
	res := buildResult{digest: digest}
	s.diskStatus()
	gobin, err := goTool()
	if err != nil {
		res.err = err
		return res
	}
	target := s.rebuildTarget()
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		res.err = err
		return res
	}
	tmp := fmt.Sprintf("%s.new-%d", target, os.Getpid())
	defer os.Remove(tmp)
	var args, env []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		args, env = project.BuildFlags(bi) // as the rebuild of any command does (project/rebuild.go)
	}
	cmd := exec.CommandContext(ctx, gobin, append(append([]string{"build", "-o", tmp}, args...), mainPackage())...)
	cmd.Dir = s.root
	cmd.Env = append(serveChildEnv(), env...)
	t0 := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			res.err = ctx.Err()
			return res
		}
		res.err = fmt.Errorf("%s\n%s", err, strings.TrimSpace(string(out)))
		return res
	}
	// The new binary must open this project as it is (parameters, graph,
	// the module graph of its fingerprints) before it replaces this one.
	probe := exec.CommandContext(ctx, tmp, os.Args[1:]...)
	probe.Env = append(serveChildEnv(), envServeProbe+"=1", project.RebuiltEnv+"=1")
	if out, err := probe.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			res.err = ctx.Err()
			return res
		}
		res.err = fmt.Errorf("the rebuilt binary does not start: %s\n%s", err, strings.TrimSpace(string(out)))
		return res
	}
	if err := os.Rename(tmp, target); err != nil {
		res.err = err
		return res
	}
	fmt.Fprintf(s.out, "repro serve: rebuilt %s in %.1fs\n", relPaths(s.root, []string{target})[0], time.Since(t0).Seconds())
	res.bin = target
	return res
}

// diskStatus sets every stage's state and reasons as the source on disk
// fingerprints them (as `repro status` of a binary built from it would).
// The fingerprints go to the store's cache, where the rebuilt binary finds
// them.
func (s *serveSession) diskStatus() {
	fp, err := pipeline.NewCachedFingerprinter(os.DirFS(s.root), pipeline.CurrentBuild(), filepath.Join(s.storeDir, "state"))
	if err != nil {
		return // the build will say what is wrong
	}
	eng := &pipeline.Engine{Graph: s.p.Graph, Store: s.p.Store, Code: fp, Root: s.root}
	lock, err := pipeline.ReadLock(s.p.LockPath())
	if err != nil {
		return
	}
	sts, err := eng.Status(s.p.Graph.Stages(), lock)
	if err != nil {
		return
	}
	s.mu.Lock()
	for _, st := range sts {
		if i, ok := s.byName[st.Stage]; ok {
			s.stages[i].State, s.stages[i].Reasons = st.State, st.Reasons
		}
	}
	s.mu.Unlock()
	s.publish()
}

// rebuildTarget is where the new binary goes: over this one when it lies in
// the project (bin/repro, as make build leaves it, so that the next repro
// run is current too), else into the store's serve/ directory.
func (s *serveSession) rebuildTarget() string {
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			if rel, err := filepath.Rel(s.root, exe); err == nil && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
				return exe
			}
		}
	}
	return filepath.Join(s.storeDir, "serve", "repro")
}

// mainPackage is this binary's main package, relative to its module.
func mainPackage() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path != "" {
		if rest, ok := strings.CutPrefix(bi.Path, bi.Main.Path); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
			return "." + rest
		}
	}
	return "./cmd/repro"
}

// The handoff to a rebuilt binary must cut off no request. An exec closes
// every connection the process holds, so a request accepted but not yet
// answered would end without a response (a client read "unexpected EOF",
// issue 28). http.Server.Shutdown does not help: a request read after it
// begins, on a connection accepted just before, is dropped unanswered. So
// before the exec the server stops accepting without closing the listening
// socket (a deadline in the past: Accept fails at once with a timeout,
// which http.Server retries after a pause; connections that arrive meanwhile
// wait in the socket's queue, for the new process), stops keeping
// connections alive (idle ones are closed, the others after their
// response), ends the event streams (pages reconnect after the stream's
// retry delay), and waits until no connection is open.

// handoffDrain bounds how long a handoff waits for open connections.
const handoffDrain = 5 * time.Second

// pageConns tracks the open connections of the pages' server.
type pageConns struct {
	srv  *http.Server
	mu   sync.Mutex
	open map[net.Conn]bool
}

// trackConns makes srv report its connections to the session, for the
// handoff (pauseHTTP). Call it before srv serves.
func (s *serveSession) trackConns(srv *http.Server) {
	pc := &pageConns{srv: srv, open: map[net.Conn]bool{}}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		pc.mu.Lock()
		if st == http.StateClosed || st == http.StateHijacked {
			delete(pc.open, c)
		} else {
			pc.open[c] = true
		}
		pc.mu.Unlock()
		if prev != nil {
			prev(c, st)
		}
	}
	s.conns = pc
}

func (pc *pageConns) count() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.open)
}

// pauseHTTP stops the pages' server from accepting on tl and waits (up to
// handoffDrain) until its connections are answered and closed. The function
// it returns serves again (after an exec that failed).
func (s *serveSession) pauseHTTP(tl *net.TCPListener) (resume func()) {
	s.stopStreams()
	tl.SetDeadline(time.Unix(1, 0))
	resume = func() {
		tl.SetDeadline(time.Time{})
		if s.conns != nil {
			s.conns.srv.SetKeepAlivesEnabled(true)
		}
		s.mu.Lock()
		s.quit = make(chan struct{})
		s.mu.Unlock()
	}
	if s.conns == nil {
		return resume
	}
	s.conns.srv.SetKeepAlivesEnabled(false)
	// A connection Accept returned just before the deadline is counted
	// a moment later (the hook runs in the accept loop), so the count must
	// stay zero for a while, not be zero once.
	const settle = 50 * time.Millisecond
	deadline := time.Now().Add(handoffDrain)
	var zeroSince time.Time
	for time.Now().Before(deadline) {
		if s.conns.count() > 0 {
			zeroSince = time.Time{}
		} else if zeroSince.IsZero() {
			zeroSince = time.Now()
		} else if time.Since(zeroSince) >= settle {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return resume
}

// serveChildEnv is the environment without the handover variables.
func serveChildEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == envServeFD || k == envServeHandoff || k == envServeProbe {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// writeHandoff saves what the next process continues with.
func (s *serveSession) writeHandoff(digest string, trigger []string) (string, error) {
	s.mu.Lock()
	b, err := json.Marshal(serveHandoff{History: s.history, Trigger: trigger, Built: digest})
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	p := filepath.Join(s.storeDir, "serve", fmt.Sprintf("handoff-%d.json", os.Getpid()))
	if err := pipeline.WriteFileAtomic(p, b); err != nil {
		return "", err
	}
	return p, nil
}

// readHandoff reads (and removes) what the previous process handed over.
func readHandoff() *serveHandoff {
	p := os.Getenv(envServeHandoff)
	if p == "" {
		return nil
	}
	os.Unsetenv(envServeHandoff)
	b, err := os.ReadFile(p)
	os.Remove(p)
	if err != nil {
		return nil
	}
	var h serveHandoff
	if json.Unmarshal(b, &h) != nil {
		return nil
	}
	return &h
}
