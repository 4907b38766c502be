package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// An Engine runs a graph against a store.
type Engine struct {
	Graph *Graph
	Store *Store
	Code  *Fingerprinter
	// Root is the project directory: Files and Exports are relative to it.
	Root string
	// Jobs is the number of stages run at once (default runtime.NumCPU()).
	Jobs int
	// Force reruns the selected stages even when their key is cached.
	Force bool
	// Observe, if set, receives progress events. It is called from several
	// goroutines, one call at a time.
	Observe func(Event)
	// Debug receives REPRO_DEBUG_KEY output (default os.Stderr).
	Debug io.Writer
	// Remote, if set, is the shared second-level store (see Remote): a
	// local miss is looked up there, and what runs is uploaded.
	Remote Remote
	// RemoteRequired makes a failing remote fail the run instead of
	// degrading to the local store with a warning.
	RemoteRequired bool
	// Shard, if set, runs one part of the grid points (see Shard).
	Shard Shard
	// Expected, if set, is each stage's expected wall time in seconds, by
	// name: it orders the stages waiting for a worker, longest remaining
	// chain first (see priorities). When nil, the first stage that needs a
	// worker reads the times earlier runs kept in the store (timings/),
	// the latest of each stage name.
	Expected map[string]float64

	remote    remoteState
	codeMu    sync.Mutex
	codeCache map[string]*Code
	engOnce   sync.Once
	engCode   string
	obsMu     sync.Mutex
	valOnce   sync.Once
	values    *valueCache
}

// valueCache is the engine's cache of decoded inputs, made on first use.
func (e *Engine) valueCache() *valueCache {
	e.valOnce.Do(func() { e.values = newValueCache(defaultValueCacheBytes) })
	return e.values
}

// EventKind says what happened to a stage.
type EventKind int

// Event kinds, in the order a stage goes through them.
const (
	EventStart    EventKind = iota // the stage started running
	EventProgress                  // Done of Total units finished
	EventCached                    // the key was in the run cache
	EventDone                      // the stage ran and stored its outputs
	EventFailed                    // the stage failed (Err)
	EventWarning                   // a problem that did not stop the stage (Err), e.g. a corrupt cache entry
)

// An Event is one progress report.
type Event struct {
	Kind        EventKind
	Stage       string
	Done, Total int
	Elapsed     time.Duration
	Err         error
	Pulled      bool // EventCached: downloaded from the remote
}

func (e *Engine) observe(ev Event) {
	if e.Observe == nil {
		return
	}
	e.obsMu.Lock()
	defer e.obsMu.Unlock()
	e.Observe(ev)
}

// Toolchain names the compiler and platform; it is part of every key.
func Toolchain() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }

func (e *Engine) code(s *Stage) (*Code, error) {
	e.codeMu.Lock()
	defer e.codeMu.Unlock()
	if e.codeCache == nil {
		e.codeCache = map[string]*Code{}
	}
	if c, ok := e.codeCache[s.Run.name]; ok {
		return c, nil
	}
	c, err := e.Code.Reach(s.Run.name)
	if err != nil {
		return nil, &StageError{s.Name, err}
	}
	if len(c.Ambient) > 0 {
		return nil, &StageError{s.Name, fmt.Errorf("its code reads what no key records: %s; a cached result could then differ from a new one: pass the value in the stage's parameters, or the file as one of its inputs (a variable that only caches a pure function's results may say so with a //repro:memo line in its doc comment)",
			strings.Join(c.Ambient, ", "))}
	}
	e.codeCache[s.Run.name] = c
	return c, nil
}

// EncodingVersion salts every key when the engine's code that turns a
// stage's result into stored bytes cannot be fingerprinted (a source without
// the pipeline package, as in tests of other modules).
const EncodingVersion = "encoding v1"

// engineCode fingerprints the engine's own code that turns a stage's result
// into stored bytes and hands stored bytes back to stages (output and metric
// encoding, parameter and input decoding), so that a change there reruns
// every stage.
func (e *Engine) engineCode() string {
	e.engOnce.Do(func() {
		pkg := reflect.TypeFor[Engine]().PkgPath()
		var roots []string
		// The encode path, and the decode path named explicitly: the
		// methods called through reflection and interfaces (In[O].decode
		// behind fillInputs) are reached from these roots whatever the
		// model makes of the calls.
		for _, f := range []string{"Func", "Add", "encodeOutput", "canonicalJSON", "Params", "Input", "(*Record).OutputHash", "(*Store).PutRecord",
			"fillInputs", "decodeStrict", "(*In[...]).decode", "inputsOf", "wiringOf", "(*Store).Record", "(*Store).Get"} {
			roots = append(roots, pkg+"."+f)
		}
		if c, err := e.Code.ReachAll(roots...); err == nil {
			e.engCode = c.Fingerprint
		} else {
			e.engCode = EncodingVersion
		}
	})
	return e.engCode
}

// A Prepared stage has everything that goes into its key.
type Prepared struct {
	Stage   *Stage
	Key     string
	Code    *Code
	Params  []byte            // canonical JSON
	Inputs  map[string]string // dep -> output hash
	Files   map[string]string // path -> content hash
	Modules map[string]string // what counts whole: package -> why and its floor (Code.Floors)
	lines   *keyHasher
	data    map[string][]byte // file bytes
}

// prepare computes the key of s given the records of its deps.
func (e *Engine) prepare(s *Stage, deps map[string]*Record) (*Prepared, error) {
	p := &Prepared{Stage: s, Inputs: map[string]string{}, Files: map[string]string{}, data: map[string][]byte{}}
	var err error
	if p.Code, err = e.code(s); err != nil {
		return nil, err
	}
	if p.Params, err = canonicalJSON(s.Params); err != nil {
		return nil, &StageError{s.Name, fmt.Errorf("parameters: %w", err)}
	}
	h := &keyHasher{}
	h.add("stage %s", s.Name)
	h.add("func %s", s.Run.name)
	if s.Run.wiring != "" {
		h.add("wiring %s", s.Run.wiring)
	}
	h.add("code %s", p.Code.Fingerprint)
	h.add("params %s", p.Params)
	for _, d := range s.Deps {
		rec := deps[d]
		if rec == nil {
			return nil, &StageError{s.Name, fmt.Errorf("input %s has no outputs", d)}
		}
		p.Inputs[d] = rec.OutputHash()
		h.add("input %s %s", d, p.Inputs[d])
	}
	for _, f := range s.Files {
		b, err := ReadInputFile(e.filePath(f), MaxInputFileBytes)
		if err != nil {
			return nil, &StageError{s.Name, err}
		}
		p.data[f] = b
		n := s.fileName(f)
		p.Files[n] = HashBytes(b)
		h.add("file %s %s", n, p.Files[n])
	}
	h.add("toolchain %s", Toolchain())
	h.add("lang %s", e.Code.Lang)
	h.add("build %s", e.Code.Build)
	h.add("engine %s", e.engineCode())
	p.Modules = p.Code.Floors
	for _, m := range sortedKeys(p.Modules) {
		h.add("floor %s %s", m, p.Modules[m])
	}
	p.Key = h.sum()
	p.lines = h
	dbg := e.Debug
	if dbg == nil {
		dbg = os.Stderr
	}
	debugKey(dbg, s.Name, p.Key, h)
	return p, nil
}

// An Outcome is what happened to one stage in a run.
type Outcome struct {
	*Prepared
	Record   *Record
	Cached   bool
	Pulled   bool // cached because it was downloaded from the remote
	Duration time.Duration
}

// A RunResult lists what a run did.
type RunResult struct {
	Ran, Cached, Failed, Skipped []string
	Pulled                       []string // the cached stages downloaded from the remote
	Outcomes                     map[string]*Outcome
}

// Run runs the selected stages (see Graph.Select), reusing cached results. On
// the first failure it starts nothing new, lets running stages finish, keeps
// every completed output and returns a *StageError. Cancelling ctx (Ctrl-C)
// stops running stages through their Context and keeps what completed.
func (e *Engine) Run(ctx context.Context, stages []*Stage) (*RunResult, error) {
	defer e.Code.Flush()
	jobs := e.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}

	res := &RunResult{Outcomes: map[string]*Outcome{}}
	stages, skip := e.Shard.filter(stages)
	for _, s := range skip {
		res.Skipped = append(res.Skipped, s.Name)
	}
	inRun := map[string]bool{}
	for _, s := range stages {
		inRun[s.Name] = true
	}
	waiting := map[string]int{}
	down := map[string][]*Stage{}
	var ready []*Stage
	for _, s := range stages {
		for _, d := range s.Deps {
			if !inRun[d] {
				return nil, fmt.Errorf("stage %s needs %s, which is not selected", s.Name, d)
			}
			down[d] = append(down[d], s)
		}
		waiting[s.Name] = len(s.Deps)
		if len(s.Deps) == 0 {
			ready = append(ready, s)
		}
	}

	type done struct {
		s   *Stage
		out *Outcome
		err error
	}
	results := make(chan done)
	running := 0
	var firstErr error
	finished := 0
	q := newSlots(jobs, func() map[string]int {
		expected := e.Expected
		if expected == nil {
			expected = e.Store.stageTimes(inRun)
		}
		return scheduleRanks(stages, expected)
	})
	var stopping atomic.Bool // set on the first failure: start nothing new
	start := func(s *Stage) {
		running++
		deps := map[string]*Record{}
		for _, d := range s.Deps {
			deps[d] = res.Outcomes[d].Record
		}
		go func() {
			out, err := e.runOne(ctx, s, deps, q, &stopping)
			results <- done{s, out, err}
		}()
	}
	// settled is the stage whose result came last: its worker is given
	// back once the stages it made ready are looking up their keys, so
	// that the next link of a long chain gets it before a shorter one.
	settled := ""
	for {
		if firstErr == nil {
			// All of them before any starts: a worker freed meanwhile
			// waits for the ones that rank higher.
			for _, s := range ready {
				q.look(s.Name)
			}
		}
		for firstErr == nil && len(ready) > 0 {
			s := ready[0]
			ready = ready[1:]
			start(s)
		}
		if settled != "" {
			q.release(settled)
			settled = ""
		}
		if running == 0 {
			break
		}
		d := <-results
		settled = d.s.Name
		running--
		finished++
		if d.err != nil {
			// A stage that stopped because the run was interrupted is
			// not a failure of its own.
			if errors.Is(d.err, context.Canceled) && ctx.Err() != nil {
				if firstErr == nil {
					firstErr = d.err
				}
				continue
			}
			if errors.Is(d.err, errNotStarted) || errors.Is(d.err, errOtherShard) {
				continue
			}
			res.Failed = append(res.Failed, d.s.Name)
			if firstErr == nil {
				firstErr = d.err
				stopping.Store(true)
			}
			continue
		}
		res.Outcomes[d.s.Name] = d.out
		if d.out.Cached {
			res.Cached = append(res.Cached, d.s.Name)
			if d.out.Pulled {
				res.Pulled = append(res.Pulled, d.s.Name)
			}
		} else {
			res.Ran = append(res.Ran, d.s.Name)
		}
		for _, n := range down[d.s.Name] {
			waiting[n.Name]--
			if waiting[n.Name] == 0 {
				ready = append(ready, n)
			}
		}
	}
	for _, s := range stages {
		if _, ok := res.Outcomes[s.Name]; !ok && !slices.Contains(res.Failed, s.Name) {
			res.Skipped = append(res.Skipped, s.Name)
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

// errNotStarted marks a stage not started because another stage failed.
var errNotStarted = errors.New("not started: another stage failed")

// runOne prepares s and returns its cached record, or runs it on a worker
// from q, which Run gives back.
func (e *Engine) runOne(ctx context.Context, s *Stage, deps map[string]*Record, q *slots, stopping *atomic.Bool) (*Outcome, error) {
	defer q.decided(s.Name)
	p, err := e.prepare(s, deps)
	if err != nil {
		// prepare's errors already name the stage.
		var se *StageError
		if !errors.As(err, &se) {
			err = &StageError{s.Name, err}
		}
		return nil, err
	}
	out := &Outcome{Prepared: p}
	if !e.Shard.owns(s, p.Key) {
		return nil, errOtherShard
	}
	if !e.Force {
		rec, err := e.cachedRecord(s, p.Key)
		if err != nil {
			e.observe(Event{Kind: EventWarning, Stage: s.Name, Err: fmt.Errorf("cache entry unusable, recomputing: %w", err)})
		}
		if rec == nil {
			if e.Remote != nil {
				q.decided(s.Name) // the workers do not wait for a download
			}
			if rec, err = e.pull(ctx, s, p.Key); err != nil {
				return nil, &StageError{s.Name, err}
			}
			out.Pulled = rec != nil
		}
		if rec != nil {
			e.Store.Touch(p.Key)
			if err := e.export(s, rec); err != nil {
				return nil, &StageError{s.Name, err}
			}
			out.Record, out.Cached = rec, true
			e.observe(Event{Kind: EventCached, Stage: s.Name, Pulled: out.Pulled})
			return out, nil
		}
	}
	if err := q.acquire(ctx, s.Name); err != nil {
		return nil, &StageError{s.Name, err}
	}
	if stopping.Load() {
		return nil, errNotStarted
	}
	if ctx.Err() != nil {
		return nil, &StageError{s.Name, ctx.Err()}
	}
	t0 := time.Now()
	r, err := e.execute(ctx, p, deps)
	if err != nil {
		e.observe(Event{Kind: EventFailed, Stage: s.Name, Err: err, Elapsed: time.Since(t0)})
		return nil, &StageError{s.Name, err}
	}
	rec := &Record{Stage: s.Name, Key: p.Key, Outputs: map[string]string{}, Metrics: r.Metrics}
	for _, n := range sortedKeys(r.Outputs) {
		if err := CheckName("output", n); err != nil {
			return nil, &StageError{s.Name, err}
		}
		h, err := e.Store.Put(r.Outputs[n])
		if err != nil {
			if cause := errors.Unwrap(err); cause != nil {
				err = cause // Put's own "store: write object" is said below
			}
			what := fmt.Sprintf("object %s (output %q)", HashBytes(r.Outputs[n])[:12], n)
			return nil, &StageError{s.Name, e.Store.WriteErr(what, err)}
		}
		rec.Outputs[n] = h
	}
	if err := e.Store.PutRecord(rec); err != nil {
		return nil, &StageError{s.Name, e.Store.WriteErr("the run record of key "+p.Key[:12], err)}
	}
	if err := e.push(ctx, s, rec, r.Outputs); err != nil {
		return nil, &StageError{s.Name, err}
	}
	if err := e.export(s, rec); err != nil {
		return nil, &StageError{s.Name, err}
	}
	out.Record, out.Duration = rec, time.Since(t0)
	e.observe(Event{Kind: EventDone, Stage: s.Name, Elapsed: out.Duration})
	return out, nil
}

// execute runs the stage function of p on the records of its inputs,
// reporting start and progress; it stores nothing.
func (e *Engine) execute(ctx context.Context, p *Prepared, deps map[string]*Record) (*Result, error) {
	s := p.Stage
	t0 := time.Now()
	e.observe(Event{Kind: EventStart, Stage: s.Name})
	c := &Context{
		ctx: ctx, stage: s, params: p.Params, inputs: deps, files: p.data,
		load: e.Store.Get, values: e.valueCache(),
		progress: func(d, t int) {
			e.observe(Event{Kind: EventProgress, Stage: s.Name, Done: d, Total: t, Elapsed: time.Since(t0)})
		},
	}
	r, err := safeRun(s, c)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return r, err
}

func safeRun(s *Stage, c *Context) (r *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return s.Run.fn(c)
}

// export copies outputs named in s.Exports to their paths, rewriting a file
// only when its content differs. A name ending in "/" exports every output
// under that prefix into the directory it maps to.
func (e *Engine) export(s *Stage, rec *Record) error {
	for _, name := range sortedKeys(s.Exports) {
		dst := s.Exports[name]
		if strings.HasSuffix(name, "/") {
			for _, out := range sortedKeys(rec.Outputs) {
				if rest, ok := strings.CutPrefix(out, name); ok {
					if err := e.exportOne(rec.Outputs[out], strings.TrimSuffix(dst, "/")+"/"+rest); err != nil {
						return err
					}
				}
			}
			continue
		}
		h, ok := rec.Outputs[name]
		if !ok {
			return fmt.Errorf("export: no output %q", name)
		}
		if err := e.exportOne(h, dst); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) exportOne(h, rel string) error {
	if err := CheckName("export path", rel); err != nil {
		return err
	}
	dst := filepath.Join(e.Store.Dir, filepath.FromSlash(rel))
	if old, err := HashRegularFile(dst, math.MaxInt64, "an exported file"); err == nil && old == h {
		return nil
	}
	b, err := e.Store.Get(h)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(dst, b); err != nil {
		return e.Store.WriteErr("the export "+rel, err)
	}
	return nil
}

// filePath is where a stage's file input lives: an absolute path as is (such
// as a file in the Go module cache), else relative to the project root.
func (e *Engine) filePath(f string) string {
	if filepath.IsAbs(f) {
		return f
	}
	return filepath.Join(e.Root, filepath.FromSlash(f))
}
