package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/repro-dev/repro"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
	"github.com/repro-dev/repro/stages"
)

// Debouncing of file events: a batch is taken once the files have been
// quiet for serveQuiet (editors write a file in several steps, or write a
// new file and rename it), and at most serveMaxWait after its first event.
const (
	serveQuiet   = 30 * time.Millisecond
	serveMaxWait = 500 * time.Millisecond
)

// DefaultAddr is loopback: the report is not reachable from other
// machines unless Options.Addr says so.
const DefaultAddr = "127.0.0.1:8765"

// Options configure a server.
type Options struct {
	Project project.Options // the project it opens (again, after a parameter edit)
	Addr    string          // HOST:PORT to listen on (PORT 0: any free port; no HOST: 127.0.0.1)
	Open    bool            // open the report in the default browser
	Jobs    int             // stages run at once; 0: the number of CPUs
	Out     io.Writer       // the terminal; nil: os.Stderr
}

// Variables of the handover from a serve process to the one it re-executes
// after a rebuild. They do not start with REPRO_ (those are parameters).
const (
	envServeFD      = "_REPRO_SERVE_FD"      // the listening socket's file descriptor
	envServeHandoff = "_REPRO_SERVE_HANDOFF" // a JSON file: history, what triggered the rebuild
	envServeProbe   = "_REPRO_SERVE_PROBE"   // set: open the project and exit (checks a new binary starts)
)

// serveHandoff is what a serve process hands to the binary it rebuilt.
type serveHandoff struct {
	History []RunRecord `json:"history"`
	Trigger []string    `json:"trigger"`
	Built   string      `json:"built"` // digest of the source it was built from
}

// Run serves the report until ctx is done (or the binary is replaced by
// its rebuild): it opens the project, listens, and runs the project (as
// project.Project.Run, the same run as `repro run`) at the start and after
// every change of its inputs.
func Run(ctx context.Context, opts Options) error {
	if opts.Jobs < 0 {
		return project.Usagef("-j %d: want a positive number of jobs", opts.Jobs)
	}
	if opts.Out == nil {
		opts.Out = os.Stderr
	}
	// serve rebuilds itself when the Go source changes (unless
	// --no-rebuild), keeping its address; opening the project must not
	// rebuild and re-execute it behind its back: not when it was started
	// by its own rebuild, nor when a parameter edit opens it again.
	noRebuild := opts.Project.NoRebuild
	popts := opts.Project
	if os.Getenv(envServeFD) != "" {
		popts.NoRebuild = true
	}
	p, err := project.Open(popts)
	if err != nil {
		return err
	}
	popts.NoRebuild = true
	if os.Getenv(envServeProbe) != "" {
		return nil // the new binary starts: config, graph and fingerprints are fine
	}
	if err := p.Store.CheckWritable(); err != nil {
		return fmt.Errorf("%w (serve runs stages and writes the report there)", err)
	}
	ln, loopback, inherited, err := serveListener(opts.Addr)
	if err != nil {
		return err
	}
	// An interactive server: fewer collections, at the price of memory,
	// shorten a re-render.
	debug.SetGCPercent(400)

	s := newServeSession(popts, p, opts.Out)
	s.noRebuild = noRebuild
	if opts.Jobs > 0 {
		s.eng.Jobs = opts.Jobs
	}
	s.jobs = s.eng.Jobs
	if h := readHandoff(); h != nil {
		s.history = h.History
		s.handoff = h
	}
	p.Warn(s.out)

	addrHost, _, _ := net.SplitHostPort(opts.Addr)
	srv := newServeServer(s.handler(allowedHosts(ln.Addr(), addrHost)))
	s.trackConns(srv)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(netutil.LimitListener(ln, serveMaxConns)) }()
	url := "http://" + displayAddr(ln.Addr()) + "/"
	if inherited {
		fmt.Fprintf(s.out, "repro serve: restarted after the rebuild, still on %s\n", url)
	} else {
		fmt.Fprintf(s.out, "repro serve: %s (the stage graph and this session's runs: %sstatus); Ctrl-C stops\n", url, url)
		if !loopback {
			fmt.Fprintf(s.out, "repro serve: warning: %s is not a loopback address: anyone who can reach it can read the report\n", opts.Addr)
		}
	}
	if opts.Open && !inherited {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(s.out, "repro serve: could not open a browser (%v): open %s\n", err, url)
		}
	}

	loopErr := s.loop(ctx, ln)
	s.stopStreams()
	shutCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	select {
	case err := <-serveErr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	default:
	}
	if loopErr != nil {
		return loopErr
	}
	fmt.Fprintln(s.out, "repro serve: stopped")
	return nil
}

// serveListener listens on addr, or takes over the socket a previous serve
// process handed over. A missing host means 127.0.0.1.
func serveListener(addr string) (ln net.Listener, loopback, inherited bool, err error) {
	if ln, err := inheritedListener(); ln != nil || err != nil {
		if err != nil {
			return nil, false, false, err
		}
		return ln, isLoopbackAddr(ln.Addr()), true, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, false, false, project.Usagef("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8765", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err = net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, false, false, project.Usagef("--addr %s: %v (another port: --addr 127.0.0.1:0 takes any free one)", addr, err)
	}
	return ln, isLoopbackAddr(ln.Addr()), false, nil
}

// openBrowser opens url with the desktop's opener and does not wait for it.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

func isLoopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func displayAddr(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", fmt.Sprint(ta.Port))
	}
	return a.String()
}

// A serveSession is the state of one server: the project, one engine whose
// code fingerprints stay cached across runs, what the pages show, and the
// history of runs.
type serveSession struct {
	opts project.Options // how the project opens (again, after a parameter edit)
	out  io.Writer       // the terminal
	hub  *hub

	pages pageCache // the report as served, read once per version

	// Fixed for the session.
	storeDir string
	root     string
	profile  string
	jobs     int

	// Owned by the loop and the run it starts (never at the same time).
	p         *project.Project
	eng       *pipeline.Engine
	set       *watchSet
	srcDirs   []string // package directories of the embedded source
	srcDigest string   // digest of the embedded source
	handoff   *serveHandoff
	reopen    bool       // the parameters did not open: open them before the next run
	noRebuild bool       // --no-rebuild: say that the Go source changed, do not rebuild
	conns     *pageConns // the pages' server's connections, for a handoff (serve_rebuild.go)

	mu      sync.Mutex // guards what the pages see, below
	view    LiveView
	stages  []StageView
	byName  map[string]int
	plan    map[string]bool
	history []RunRecord
	quit    chan struct{}

	progressSent time.Time
}

// LiveView is what every open page follows (the "state" event).
type LiveView struct {
	// Version is the content hash of the exported report ("" while there
	// is none): a page whose report has another version updates.
	Version string         `json:"version"`
	Phase   string         `json:"phase"` // idle, running, rebuilding
	Done    int            `json:"done"`  // of the stages this run had to check
	Total   int            `json:"total"`
	Running []RunningStage `json:"running"`
	Error   *LiveError     `json:"error"`
	Notice  string         `json:"notice"`
	Run     int            `json:"run"` // the number of the current or last run
}

// RunningStage is a stage running, with its progress (epochs).
type RunningStage struct {
	Stage string `json:"stage"`
	Done  int    `json:"done,omitempty"`
	Total int    `json:"total,omitempty"`
}

// LiveError is what failed, shown over the last good report.
type LiveError struct {
	Stage   string `json:"stage"`
	Message string `json:"message"`
}

// StageView is one stage on /status.
type StageView struct {
	Stage   string   `json:"stage"`
	Family  string   `json:"family"`
	Deps    []string `json:"deps,omitempty"`
	State   string   `json:"state"` // fresh, may rerun, stale, running, failed
	Reasons []string `json:"reasons"`
	Seconds float64  `json:"seconds,omitempty"`
}

// RunRecord is one run of the session, for /status.
type RunRecord struct {
	N           int        `json:"n"`
	Started     string     `json:"started"`
	Trigger     []string   `json:"trigger"`
	Seconds     float64    `json:"seconds"`
	Ran         []RanStage `json:"ran"`
	Cached      int        `json:"cached"`
	Failed      []string   `json:"failed"`
	Error       string     `json:"error,omitempty"`
	Interrupted bool       `json:"interrupted,omitempty"`
	Stale       []string   `json:"stale"`     // what status said before the run: stale
	MayRerun    []string   `json:"may_rerun"` // and may rerun
}

// RanStage is a stage a run ran, why, and its wall time.
type RanStage struct {
	Stage   string   `json:"stage"`
	Why     []string `json:"why"`
	Seconds float64  `json:"seconds"`
}

func newServeSession(opts project.Options, p *project.Project, out io.Writer) *serveSession {
	s := &serveSession{opts: opts, out: out, hub: newHub(), p: p, eng: p.Engine, quit: make(chan struct{}),
		storeDir: p.Store.Dir, root: p.Root, profile: p.Profile}
	s.srcDirs = sourceDirs(repro.Source)
	s.srcDigest = sourceDigest(repro.Source, s.srcDirs, p.Engine.Code.Build)
	s.set = s.watchSet(p)
	s.view = LiveView{Phase: "idle", Version: s.reportVersion()}
	s.resetStages()
	return s
}

// family is the first segment of a stage name: terrain, digits, linear,
// neural, logistic, baseline, learning-curve, figures, report.
func family(stage string) string {
	f, _, _ := strings.Cut(stage, "/")
	return f
}

// resetStages lists the graph's stages (all "fresh" until a status says
// otherwise). Called with the graph of s.p.
func (s *serveSession) resetStages() {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.byName
	oldStages := s.stages
	s.stages = nil
	s.byName = map[string]int{}
	for _, st := range s.p.Graph.Stages() {
		v := StageView{Stage: st.Name, Family: family(st.Name), Deps: st.Deps, State: pipeline.StateFresh}
		if i, ok := old[st.Name]; ok {
			v.State, v.Reasons, v.Seconds = oldStages[i].State, oldStages[i].Reasons, oldStages[i].Seconds
		}
		s.byName[st.Name] = len(s.stages)
		s.stages = append(s.stages, v)
	}
}

// observe follows the engine's events (one at a time).
func (s *serveSession) observe(ev pipeline.Event) {
	s.mu.Lock()
	i, ok := s.byName[ev.Stage]
	switch ev.Kind {
	case pipeline.EventStart:
		if ok {
			s.stages[i].State = "running"
		}
		s.view.Running = append(s.view.Running, RunningStage{Stage: ev.Stage})
	case pipeline.EventProgress:
		for j := range s.view.Running {
			if s.view.Running[j].Stage == ev.Stage {
				s.view.Running[j].Done, s.view.Running[j].Total = ev.Done, ev.Total
			}
		}
	case pipeline.EventDone, pipeline.EventCached, pipeline.EventFailed:
		s.view.Running = removeRunning(s.view.Running, ev.Stage)
		if s.plan[ev.Stage] {
			s.view.Done++
		}
		if ok {
			switch ev.Kind {
			case pipeline.EventFailed:
				s.stages[i].State = "failed"
				s.stages[i].Reasons = []string{errorText(ev.Err)}
			case pipeline.EventDone:
				s.stages[i].State, s.stages[i].Reasons = pipeline.StateFresh, nil
				s.stages[i].Seconds = ev.Elapsed.Seconds()
			default:
				s.stages[i].State, s.stages[i].Reasons = pipeline.StateFresh, nil
			}
		}
	case pipeline.EventWarning:
		fmt.Fprintf(s.out, "repro: warning: %s: %v\n", ev.Stage, ev.Err)
	}
	planned := s.plan[ev.Stage]
	// Progress (epochs) is shown at most ten times a second.
	quiet := ev.Kind == pipeline.EventProgress && time.Since(s.progressSent) < 100*time.Millisecond
	if !quiet && ev.Kind == pipeline.EventProgress {
		s.progressSent = time.Now()
	}
	s.mu.Unlock()
	if (ev.Kind != pipeline.EventCached || planned) && !quiet && ev.Kind != pipeline.EventWarning {
		s.publish()
	}
}

func removeRunning(rs []RunningStage, stage string) []RunningStage {
	out := rs[:0]
	for _, r := range rs {
		if r.Stage != stage {
			out = append(out, r)
		}
	}
	return out
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	var se *pipeline.StageError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	return err.Error()
}

// publish sends the current view to every page. Views are published in
// the order they were made (under s.mu), so a page never gets an older one
// last.
func (s *serveSession) publish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.view)
	s.hub.publish(b)
}

// setView changes the view and publishes it.
func (s *serveSession) setView(f func(v *LiveView)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.view)
	b, _ := json.Marshal(s.view)
	s.hub.publish(b)
}

// watchSet is what the session watches: the inputs of project p, and the
// exported report, which a repro run in another terminal may write.
func (s *serveSession) watchSet(p *project.Project) *watchSet {
	w := newWatchSet(p.Root, p.Profile, p.Graph, repro.Source)
	w.files[s.reportPath()] = classExport
	return w
}

// showDiskReport shows the exported report when another process wrote it
// (a repro run in another terminal, of the same profile and store): open
// pages update to it, and /status says what is fresh against the lock that
// run wrote. Called between runs of the session; a report this session
// wrote is already shown.
func (s *serveSession) showDiskReport() {
	b, err := pipeline.ReadRegularFile(s.reportPath(), math.MaxInt64, "the report")
	if err != nil || bytes.Contains(b, []byte(stages.PlaceholderCommit)) {
		return // not there, or not exported yet: the run writes it again with its provenance
	}
	version := versionOf(b)
	s.mu.Lock()
	same := version == s.view.Version
	s.mu.Unlock()
	if same {
		return
	}
	if lock, err := pipeline.ReadLock(s.p.LockPath()); err == nil {
		if sts, err := s.eng.Status(s.p.Graph.Stages(), lock); err == nil {
			s.mu.Lock()
			for _, st := range sts {
				if i, ok := s.byName[st.Stage]; ok {
					s.stages[i].State, s.stages[i].Reasons = st.State, st.Reasons
				}
			}
			s.mu.Unlock()
		}
	}
	fmt.Fprintln(s.out, "repro serve: the exported report changed on disk (a repro run elsewhere?): showing it")
	s.setView(func(v *LiveView) { v.Version = version })
}

// reportPath is the exported report.
func (s *serveSession) reportPath() string { return filepath.Join(s.storeDir, "report.html") }

// reportVersion is the content hash of the exported report, "" if none.
func (s *serveSession) reportVersion() string {
	b, err := pipeline.ReadRegularFile(s.reportPath(), math.MaxInt64, "the report")
	if err != nil {
		return ""
	}
	return versionOf(b)
}

func versionOf(b []byte) string { return pipeline.HashBytes(b)[:16] }

// work is what the loop has to do next.
type work struct {
	files   map[string]fileClass // changed inputs not yet run
	why     []string             // other reasons to run: the start of the session, a run cut short
	goSrc   string               // digest of the Go source on disk to build, "" for none
	goFiles []string             // the Go files whose change asks for it
}

func (w *work) runnable() bool { return len(w.why) > 0 || len(w.files) > 0 }

// loop watches, runs and rebuilds until ctx is done or the binary is
// replaced by its rebuild. At most one run or one build goes on at a time;
// changes that arrive meanwhile wait for it (a change of the Go source
// stops a run: the running code is out of date).
func (s *serveSession) loop(ctx context.Context, ln net.Listener) error {
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	deb := newDebouncer(serveQuiet, serveMaxWait)
	go deb.run(wctx)
	w, err := newWatcher(deb)
	if err != nil {
		return fmt.Errorf("serve: watching files: %w", err)
	}
	if skipped := w.watch(s.set); len(skipped) > 0 {
		fmt.Fprintf(s.out, "repro serve: not watching %s (missing)\n", strings.Join(project.LimitList(relPaths(s.root, skipped), 3), ", "))
	}
	hashes := newContentHashes()
	hashes.seed(s.set.paths())
	updates := make(chan *watchSet, 1)
	go w.run(wctx, updates)

	todo := &work{files: map[string]fileClass{}, why: []string{"start of the session"}}
	if s.handoff != nil && len(s.handoff.Trigger) > 0 {
		todo.why = s.handoff.Trigger // the Go files this binary was rebuilt for
	}
	// The source on disk may already differ from the binary's.
	s.checkSource(todo, nil)

	var (
		runCancel context.CancelFunc
		runDone   chan runOutcome
		buildDone chan buildResult
		buildStop context.CancelFunc
		failedSrc string // digest whose build failed: not built again until the source changes
		done      = ctx.Done()
		stopping  bool
	)
	start := func() {
		if runDone != nil || buildDone != nil || stopping {
			return
		}
		if todo.goSrc != "" && todo.goSrc != failedSrc {
			var bctx context.Context
			bctx, buildStop = context.WithCancel(ctx)
			buildDone = make(chan buildResult, 1)
			digest, files := todo.goSrc, relPaths(s.root, todo.goFiles)
			s.setView(func(v *LiveView) {
				v.Phase = "rebuilding"
				v.Notice = "The Go source changed (" + strings.Join(project.LimitList(files, 3), ", ") + "): rebuilding repro to run it"
			})
			fmt.Fprintf(s.out, "repro serve: %s changed: rebuilding\n", strings.Join(project.LimitList(files, 3), ", "))
			go func() { buildDone <- s.rebuild(bctx, digest) }()
			return
		}
		if !todo.runnable() {
			return
		}
		var rctx context.Context
		rctx, runCancel = context.WithCancel(ctx)
		runDone = make(chan runOutcome, 1)
		var changed []string
		reopen := s.reopen
		for f, c := range todo.files {
			changed = append(changed, f)
			reopen = reopen || c == classParams
		}
		sort.Strings(changed)
		trigger := append(todo.why, relPaths(s.root, changed)...)
		todo.files, todo.why = map[string]fileClass{}, nil
		go func() { runDone <- s.run(rctx, trigger, reopen) }()
	}
	start()
	for {
		select {
		case <-done:
			done, stopping = nil, true
			if runDone == nil && buildDone == nil {
				return nil
			}
			// The run stops as repro run does; its end is awaited below.
		case err := <-w.errs:
			fmt.Fprintf(s.out, "repro serve: watching files: %v\n", err)
		case batch := <-deb.out:
			// The exported report is not hashed here: showDiskReport
			// compares its version, and only between runs (this
			// session's own runs write it too).
			n := len(batch)
			batch = slices.DeleteFunc(batch, func(p string) bool { c, _ := s.set.classify(p); return c == classExport })
			if len(batch) < n && runDone == nil && buildDone == nil {
				s.showDiskReport()
			}
			changed := hashes.changed(batch)
			if len(changed) == 0 {
				continue // saved unchanged, touched, or changed and changed back
			}
			byClass := s.set.classes(changed)
			for _, c := range []fileClass{classInput, classParams} {
				for _, f := range byClass[c] {
					todo.files[f] = c
				}
			}
			if src := byClass[classSource]; len(src) > 0 && s.checkSource(todo, src) && runCancel != nil {
				runCancel() // the running code is out of date
			}
			start()
		case out := <-runDone:
			runDone, runCancel = nil, nil
			if out.set != nil {
				s.set = out.set
				hashes.seed(out.set.paths())
				updates <- out.set
			}
			if out.interrupted && !stopping {
				todo.why = append(todo.why, "the run cut short before")
			}
			if stopping {
				if buildDone == nil {
					return nil
				}
				continue
			}
			start()
		case res := <-buildDone:
			buildDone, buildStop = nil, nil
			if stopping {
				if runDone == nil {
					return nil
				}
				continue
			}
			failedSrc = res.digest
			if res.err == nil {
				// Does not return when the new binary starts.
				err := s.reexec(ln, res, todo)
				fmt.Fprintf(s.out, "repro serve: could not restart the rebuilt binary: %v\n", err)
				res.err = fmt.Errorf("rebuilt %s, but could not restart it: %w", relPaths(s.root, []string{res.bin})[0], err)
			}
			if todo.goSrc == res.digest {
				todo.goSrc, todo.goFiles = "", nil
			}
			if !errors.Is(res.err, context.Canceled) {
				fmt.Fprintf(s.out, "repro serve: rebuild failed: %v\n", res.err)
				s.setView(func(v *LiveView) {
					v.Phase = "idle"
					v.Error = &LiveError{Stage: "go build", Message: res.err.Error()}
					v.Notice = "The report runs the code this binary was built from, not the Go source on disk."
				})
			}
			start()
		}
		if buildStop != nil && stopping {
			buildStop()
		}
	}
}

// checkSource compares the Go source on disk with the binary's: when they
// differ, it asks the loop for a rebuild (and says so); when they are equal
// again (an edit undone), it withdraws the request and the notice. It
// reports whether a rebuild is now wanted.
func (s *serveSession) checkSource(todo *work, files []string) bool {
	if _, err := os.Stat(filepath.Join(s.p.Root, "go.mod")); err != nil {
		return false // the project does not hold the source
	}
	disk := sourceDigest(os.DirFS(s.p.Root), s.srcDirs, s.eng.Code.Build)
	if disk == s.srcDigest {
		if todo.goSrc != "" || files != nil {
			todo.goSrc, todo.goFiles = "", nil
			s.setView(func(v *LiveView) {
				v.Notice = ""
				if v.Error != nil && v.Error.Stage == "go build" {
					v.Error = nil
				}
			})
		}
		return false
	}
	if s.handoff != nil && s.handoff.Built == disk {
		// This binary was built from exactly this source, and still sees
		// a difference: rebuilding again would loop.
		s.setView(func(v *LiveView) {
			v.Notice = "This binary was rebuilt from the source on disk but does not match it; run make build and restart repro serve."
		})
		return false
	}
	if files == nil {
		files = []string{"the source on disk differs from the binary's"}
	}
	if s.noRebuild {
		s.setView(func(v *LiveView) {
			v.Notice = "The Go source changed, and --no-rebuild: the report runs the code this binary was built from. Rebuild (make build) and restart repro serve."
		})
		return false
	}
	if _, err := goTool(); err != nil {
		s.setView(func(v *LiveView) {
			v.Notice = "The Go source changed, and no go command is found to rebuild repro: the report runs the code this binary was built from. Rebuild (make build) and restart repro serve."
		})
		return false
	}
	todo.goSrc, todo.goFiles = disk, files
	return true
}

func relPaths(root string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
			p = filepath.ToSlash(r)
		}
		out[i] = p
	}
	return out
}

// runOutcome is what a run leaves for the loop: the new watch set when the
// graph changed.
type runOutcome struct {
	set         *watchSet
	interrupted bool
}

// run brings the report up to date: with a parameter change it opens the
// project again (the type-checked source is reused); it says which stages
// are stale and why (as repro status), runs the graph (only stale stages
// execute), then writes the lock, the run state and the report as repro run
// does, and publishes the new version.
func (s *serveSession) run(ctx context.Context, trigger []string, reopen bool) (out runOutcome) {
	t0 := time.Now()
	rec := RunRecord{Started: t0.Format("15:04:05"), Trigger: trigger}
	s.mu.Lock()
	rec.N = len(s.history) + 1
	s.mu.Unlock()
	defer func() {
		out.interrupted = rec.Interrupted
		rec.Seconds = time.Since(t0).Seconds()
		s.mu.Lock()
		s.history = append(s.history, rec)
		s.mu.Unlock()
		s.logRun(rec)
	}()
	fail := func(stage string, err error) runOutcome {
		rec.Error = err.Error()
		s.setView(func(v *LiveView) {
			v.Phase, v.Running = "idle", nil
			v.Error = &LiveError{Stage: stage, Message: err.Error()}
		})
		return out
	}
	s.setView(func(v *LiveView) {
		v.Phase, v.Done, v.Total, v.Running, v.Run = "running", 0, 0, nil, rec.N
	})
	if reopen {
		p, err := project.Open(s.opts)
		if err != nil {
			// Until the parameters open, every run tries again (and
			// shows the error), rather than running the old ones.
			s.reopen = true
			return fail("parameters", err)
		}
		s.reopen = false
		s.eng.Graph = p.Graph
		p.Engine = s.eng
		s.p = p
		s.resetStages()
		out.set = s.watchSet(p)
	}
	// The run `repro run` does, remote store included, and its messages.
	d := &runDisplay{s: s, rec: &rec, why: map[string][]string{}}
	res, runErr := s.p.Run(ctx, s.p.Graph.Stages(), project.RunOptions{Stderr: s.out, Display: d})
	if res != nil {
		for _, n := range res.Ran {
			rec.Ran = append(rec.Ran, RanStage{Stage: n, Why: d.why[n], Seconds: res.Outcomes[n].Duration.Seconds()})
		}
		sort.Slice(rec.Ran, func(i, j int) bool { return rec.Ran[i].Stage < rec.Ran[j].Stage })
		rec.Cached = len(res.Cached)
		rec.Failed = append(rec.Failed, res.Failed...)
	}
	s.mu.Lock()
	s.plan = nil
	for _, st := range s.stages {
		if st.State == "running" {
			// Stopped by an interruption or a failure elsewhere.
			s.stages[s.byName[st.Stage]].State = pipeline.StateStale
		}
	}
	s.mu.Unlock()
	version := s.reportVersion()
	var lerr *LiveError
	switch {
	case runErr == nil:
	case ctx.Err() != nil:
		rec.Interrupted = true
	default:
		rec.Error = runErr.Error()
		lerr = &LiveError{Stage: "", Message: runErr.Error()}
		var se *pipeline.StageError
		if errors.As(runErr, &se) {
			lerr = &LiveError{Stage: se.Stage, Message: se.Err.Error()}
		}
	}
	s.setView(func(v *LiveView) {
		v.Phase, v.Running, v.Version = "idle", nil, version
		if !rec.Interrupted {
			v.Error = lerr
		}
	})
	return out
}

// runDisplay follows a run of the session: before it, what status says
// is stale and why (the plan the pages count); then the engine's events.
type runDisplay struct {
	s   *serveSession
	rec *RunRecord
	why map[string][]string // the reasons of each stage expected to run
}

// Begin sets every stage's state and reasons as status has them, and the
// plan: the stages that are not fresh (all of them if status cannot tell).
func (d *runDisplay) Begin(p *project.Project, sel []*pipeline.Stage) error {
	s := d.s
	lock, err := pipeline.ReadLock(p.LockPath())
	if err != nil {
		return err
	}
	sts, stErr := p.Engine.Status(sel, lock)
	s.mu.Lock()
	s.plan = map[string]bool{}
	if stErr == nil {
		for _, st := range sts {
			i := s.byName[st.Stage]
			s.stages[i].State, s.stages[i].Reasons = st.State, st.Reasons
			if st.State != pipeline.StateFresh {
				s.plan[st.Stage] = true
				d.why[st.Stage] = st.Reasons
				if st.State == pipeline.StateStale {
					d.rec.Stale = append(d.rec.Stale, st.Stage)
				} else {
					d.rec.MayRerun = append(d.rec.MayRerun, st.Stage)
				}
			}
		}
	} else {
		for _, st := range sel {
			s.plan[st.Name] = true
		}
	}
	s.view.Total = len(s.plan)
	s.mu.Unlock()
	s.publish()
	return nil
}

func (d *runDisplay) Observe(ev pipeline.Event) { d.s.observe(ev) }
func (d *runDisplay) End()                      {}

// logRun prints one line per run on the terminal.
func (s *serveSession) logRun(r RunRecord) {
	var b strings.Builder
	fmt.Fprintf(&b, "repro serve: run %d (%s): ", r.N, strings.Join(project.LimitList(r.Trigger, 3), ", "))
	switch {
	case r.Interrupted:
		b.WriteString("interrupted; ")
	}
	names := make([]string, 0, len(r.Ran))
	for _, x := range r.Ran {
		names = append(names, fmt.Sprintf("%s %.2fs", x.Stage, x.Seconds))
	}
	fmt.Fprintf(&b, "%d ran", len(r.Ran))
	if len(names) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(project.LimitList(names, 4), ", "))
	}
	fmt.Fprintf(&b, ", %d cached, %d failed in %.2fs", r.Cached, len(r.Failed), r.Seconds)
	fmt.Fprintln(s.out, b.String())
	if r.Error != "" && !r.Interrupted {
		fmt.Fprintf(s.out, "repro serve: %s\n", r.Error)
	}
}

// stopStreams ends every event stream (before the server shuts down).
func (s *serveSession) stopStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
}

// statusJSON is what /status shows: every stage by family with its state
// and reasons, and the session's runs.
func (s *serveSession) statusJSON() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(struct {
		Profile string      `json:"profile"`
		Root    string      `json:"root"`
		View    LiveView    `json:"view"`
		Stages  []StageView `json:"stages"`
		History []RunRecord `json:"history"`
		Jobs    int         `json:"jobs"`
		Source  string      `json:"source"` // digest of the source this binary was built from
	}{s.profile, s.root, s.view, s.stages, s.history, s.jobs, s.srcDigest[:16]})
	return b
}
