package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"reflect"
	"runtime"
	"slices"
	"strings"
)

// A Stage is one node of the graph.
type Stage struct {
	// Name is a slash-separated path such as "terrain/split" or
	// "neural/regression/arch=8x8/lr=0.01/seed=1". It must stay inside the
	// store: no "..", no leading "/", no empty segments, no NUL.
	Name string
	// Deps are the names of the stages whose outputs this stage reads.
	Deps []string
	// Files are files (relative to the project root, or absolute) the
	// stage reads; the engine reads and hashes them and hands the bytes to
	// the stage.
	Files []string
	// FileNames name files in keys and locks where their path would not
	// do: a file in the Go module cache is named by module@version and its
	// path in the module, so that keys do not depend on where the cache is.
	// Path -> name; a file not listed is named by its path.
	FileNames map[string]string
	// Params is the parameter subtree the stage reads. Its canonical JSON
	// is part of the key, and the stage sees it only through Params[T].
	Params any
	// Run computes the outputs. Build it with Func.
	Run Runner
	// Exports copies outputs out of the store after the stage is done:
	// output name -> path relative to the store directory (for example
	// "report.html" -> artifacts/report.html).
	Exports map[string]string
	// Shard marks a grid point: an independent stage that a sharded run
	// (see Shard) may run on any machine. It may not depend, directly or
	// not, on another shardable stage.
	Shard bool
}

// A Runner is a stage function with the name the fingerprinter knows it by.
type Runner struct {
	name string
	fn   func(*Context) (*Result, error)
	// wiring describes how the graph hands the function its inputs: the
	// function's type with its type arguments, and each input field with
	// the stage (and the output of it) it reads. It is a line of the key:
	// the graph's code is no stage's code, yet which output a stage reads
	// and which types a generic stage function is instantiated with are
	// decided there.
	wiring string
}

// Name is the function's name as the runtime reports it.
func (r Runner) Name() string { return r.name }

// Func makes a Runner from a typed stage function. The function's output is
// stored as the JSON output "value"; if it also has a method
// Artifacts() map[string][]byte, each entry is stored as an output of that
// name (figures, HTML), and a method Metrics() map[string]float64 gives the
// stage's named metrics. The function must do no I/O of its own.
func Func[O any](f func(*Context) (O, error)) Runner {
	name := runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
	return Runner{name: name, fn: func(c *Context) (*Result, error) {
		o, err := f(c)
		if err != nil {
			return nil, err
		}
		return encodeOutput(o)
	}}
}

// Artifacter is implemented by outputs that carry raw files.
type Artifacter interface{ Artifacts() map[string][]byte }

// Metricser is implemented by outputs that carry named metrics.
type Metricser interface{ Metrics() map[string]float64 }

// A Result is a stage's encoded outputs.
type Result struct {
	Outputs map[string][]byte
	Metrics map[string]float64
}

func encodeOutput(o any) (*Result, error) {
	r := &Result{Outputs: map[string][]byte{}}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encode output: %w", err)
	}
	r.Outputs["value"] = b
	if a, ok := o.(Artifacter); ok {
		for n, b := range a.Artifacts() {
			if n == "value" {
				return nil, fmt.Errorf("output name %q is reserved", n)
			}
			r.Outputs[n] = b
		}
	}
	if m, ok := o.(Metricser); ok {
		r.Metrics = m.Metrics()
	}
	return r, nil
}

// A Context is what a running stage sees: its parameters, its inputs and a
// way to report progress. It does no I/O: the engine has already read
// everything it hands out.
type Context struct {
	ctx      context.Context
	stage    *Stage
	params   []byte
	inputs   map[string]*Record
	files    map[string][]byte
	load     func(hash string) ([]byte, error)
	values   *valueCache // decoded inputs shared across stages (nil: none)
	progress func(done, total int)
}

// Context returns the run's context, cancelled when the run stops.
func (c *Context) Context() context.Context { return c.ctx }

// Err reports whether the run was cancelled; long loops should check it.
func (c *Context) Err() error { return c.ctx.Err() }

// Stage returns the stage's name.
func (c *Context) Stage() string { return c.stage.Name }

// Progress reports that done of total units of work are finished.
func (c *Context) Progress(done, total int) {
	if c.progress != nil {
		c.progress(done, total)
	}
}

// File returns the bytes of one of the stage's declared Files.
func (c *Context) File(p string) ([]byte, error) {
	b, ok := c.files[p]
	if !ok {
		return nil, fmt.Errorf("stage %s reads file %s but does not declare it in Files", c.stage.Name, p)
	}
	return b, nil
}

// Artifact returns the raw bytes of output name of upstream stage dep.
func (c *Context) Artifact(dep, name string) ([]byte, error) {
	h, err := c.artifactHash(dep, name)
	if err != nil {
		return nil, err
	}
	return c.load(h)
}

// artifactHash is the content hash of output name of upstream stage dep.
func (c *Context) artifactHash(dep, name string) (string, error) {
	rec, ok := c.inputs[dep]
	if !ok {
		return "", fmt.Errorf("stage %s reads %s but does not declare it in Deps", c.stage.Name, dep)
	}
	h, ok := rec.Outputs[name]
	if !ok {
		return "", fmt.Errorf("stage %s has no output %q", dep, name)
	}
	return h, nil
}

// Input decodes the "value" output of upstream stage dep into a T.
func Input[T any](c *Context, dep string) (T, error) {
	var v T
	b, err := c.Artifact(dep, "value")
	if err != nil {
		return v, err
	}
	if err := decodeStrict(b, &v); err != nil {
		return v, fmt.Errorf("decode output of %s: %w", dep, err)
	}
	return v, nil
}

// Params decodes the stage's parameters into a T: the stage sees exactly what
// its key was computed from.
func Params[T any](c *Context) (T, error) {
	var v T
	if err := decodeStrict(c.params, &v); err != nil {
		return v, fmt.Errorf("decode parameters of %s: %w", c.stage.Name, err)
	}
	return v, nil
}

// canonicalJSON encodes v with sorted object keys and no insignificant space.
func canonicalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// Round-trip through a generic value so that struct field order and
	// map order cannot matter.
	var g any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&g); err != nil {
		return nil, err
	}
	return json.Marshal(g)
}

// CheckName reports whether a stage or output name is safe to use as a
// path inside the store.
func CheckName(kind, name string) error {
	bad := func(why string) error { return fmt.Errorf("%s name %q: %s", kind, name, why) }
	switch {
	case name == "":
		return bad("empty")
	case strings.ContainsRune(name, 0):
		return bad("contains a NUL byte")
	case strings.HasPrefix(name, "/"):
		return bad("absolute paths are not allowed")
	case strings.Contains(name, `\`):
		return bad(`backslashes are not allowed`)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("segments may not be empty, \".\" or \"..\"")
		}
	}
	if path.Clean(name) != name {
		return bad("not a clean path")
	}
	return nil
}

// fileName is how file f of s is named in keys and locks.
func (s *Stage) fileName(f string) string {
	if n, ok := s.FileNames[f]; ok {
		return n
	}
	return f
}

// A Graph is the set of stages, in the order they were added.
type Graph struct {
	// Limit, if positive, is the most stages the graph takes: Add refuses
	// the next with an error that wraps ErrTooManyStages, so that a grid
	// that multiplies out of hand fails as it grows, before it fills
	// memory with declarations.
	Limit  int
	stages []*Stage
	byName map[string]*Stage
	err    error // the first error of Add (the typed one)
}

// ErrTooManyStages is the error Add wraps when the graph holds Limit
// stages already.
var ErrTooManyStages = errors.New("too many stages")

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{byName: map[string]*Stage{}} }

// Add adds a stage. Its deps must already be in the graph, so a graph built
// by Add is acyclic by construction.
func (g *Graph) Add(s Stage) error {
	if g.Limit > 0 && len(g.stages) >= g.Limit {
		return fmt.Errorf("%w: the graph holds its limit of %d", ErrTooManyStages, g.Limit)
	}
	if err := CheckName("stage", s.Name); err != nil {
		return err
	}
	if _, dup := g.byName[s.Name]; dup {
		return fmt.Errorf("stage %s is declared twice", s.Name)
	}
	if s.Run.fn == nil {
		return fmt.Errorf("stage %s has no Run function", s.Name)
	}
	if what := anonymous(s.Run.name); what != "" {
		return fmt.Errorf("stage %s: its function %s is %s, whose captured values no key can see: use a named function and pass what it needs in Params", s.Name, s.Run.name, what)
	}
	for _, d := range s.Deps {
		if _, ok := g.byName[d]; !ok {
			return fmt.Errorf("stage %s depends on %s, which is not declared before it", s.Name, d)
		}
	}
	if s.Shard {
		if u := g.shardUpstream(s.Deps); u != "" {
			return fmt.Errorf("stage %s is shardable but depends on the shardable stage %s", s.Name, u)
		}
	}
	for n, p := range s.Exports {
		if err := CheckName("output", strings.TrimSuffix(n, "/")); err != nil {
			return fmt.Errorf("stage %s: %w", s.Name, err)
		}
		if err := CheckName("export path", strings.TrimSuffix(p, "/")); err != nil {
			return fmt.Errorf("stage %s: %w", s.Name, err)
		}
	}
	st := s
	g.stages = append(g.stages, &st)
	g.byName[s.Name] = &st
	return nil
}

// Stages returns every stage in declaration (hence topological) order.
func (g *Graph) Stages() []*Stage { return g.stages }

// Stage returns the named stage or nil.
func (g *Graph) Stage(name string) *Stage { return g.byName[name] }

// Downstream returns, for each stage, the stages that depend on it directly.
func (g *Graph) Downstream() map[string][]string {
	down := map[string][]string{}
	for _, s := range g.stages {
		for _, d := range s.Deps {
			down[d] = append(down[d], s.Name)
		}
	}
	return down
}

// anonymous says what kind of unnamed function a runtime function name
// denotes (a closure, a method value, a go statement's wrapper), or "".
func anonymous(name string) string {
	if i := strings.Index(name, "["); i >= 0 {
		if j := strings.LastIndex(name, "]"); j > i {
			name = name[:i] + name[j+1:]
		}
	}
	if strings.HasSuffix(name, "-fm") {
		return "a method value"
	}
	for _, part := range strings.Split(name[strings.LastIndex(name, "/")+1:], ".") {
		for _, prefix := range []string{"func", "gowrap", "glob..func"} {
			if rest, ok := strings.CutPrefix(part, prefix); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
				return "a closure"
			}
		}
	}
	return ""
}

// A StageError is a failure of one stage.
type StageError struct {
	Stage string
	Err   error
}

func (e *StageError) Error() string { return "stage " + e.Stage + ": " + e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

// IsStageError reports whether err is (or wraps) a StageError.
func IsStageError(err error) bool {
	var se *StageError
	return errors.As(err, &se)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
