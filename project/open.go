package project

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// Options say which project to open and how.
type Options struct {
	Dir     string   // the project directory, holding params.yaml
	Profile string   // the parameter profile ("" for params.yaml alone)
	Set     []string // overrides, key=value (value is YAML)
	Environ []string // the environment (REPRO_* parameters); nil: os.Environ()
	Store   string   // the store directory, absolute or relative to Dir
	// MaxStages bounds the stages the parameters may declare; 0 means
	// stages.DefaultMaxStages.
	MaxStages int
	// NoRebuild: when the Go source on disk differs from this binary's,
	// warn instead of rebuilding the binary and running the new one.
	NoRebuild bool
	Stderr    io.Writer // where a rebuild says what it does; nil: os.Stderr
}

// ProfileName is the profile's name, "default" for none.
func (o Options) ProfileName() string {
	if o.Profile == "" {
		return "default"
	}
	return o.Profile
}

// StoreDir is the store directory: Store as given if absolute, else
// relative to root.
func (o Options) StoreDir(root string) string {
	if filepath.IsAbs(o.Store) {
		return o.Store
	}
	return filepath.Join(root, o.Store)
}

// GraphBuilder builds the project's graph at root from other parameters,
// as Open builds it.
func (o Options) GraphBuilder(root string) func(*config.Params) (*pipeline.Graph, error) {
	return func(params *config.Params) (*pipeline.Graph, error) {
		env := stages.Env{Profile: o.ProfileName(), KaTeX: stages.KaTeXFiles(os.DirFS(root)), MaxStages: o.MaxStages}
		if params.MNIST.Enabled {
			env.MNISTDir, env.MNISTModule = stages.MNISTFiles()
		}
		return stages.Build(params, env)
	}
}

func (o Options) stderr() io.Writer {
	if o.Stderr == nil {
		return os.Stderr
	}
	return o.Stderr
}

// A Project is an opened project: its parameters, graph, store and the
// engine that runs them with the fingerprints of the code.
type Project struct {
	Root     string // absolute
	Profile  string // "default" for none
	Params   *config.Params
	Graph    *pipeline.Graph
	Store    *pipeline.Store
	Engine   *pipeline.Engine
	Warnings []string // about the code the keys stand on (Open)
}

// Open opens the project opts names. Bad parameters or a directory that
// is not a project are UsageErrors (or config errors).
func Open(opts Options) (*Project, error) {
	root, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, UsageError{err}
	}
	if _, err := os.Stat(filepath.Join(root, "params.yaml")); err != nil {
		return nil, Usagef("%s has no params.yaml: run repro in the project directory or pass -C DIR", root)
	}
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	params, err := config.Load(config.Options{Dir: root, Profile: opts.Profile, Environ: environ, Set: opts.Set})
	if err != nil {
		return nil, UsageError{err}
	}
	graph, err := opts.GraphBuilder(root)(params)
	if err != nil {
		return nil, UsageError{err}
	}
	st, err := pipeline.OpenStore(opts.StoreDir(root))
	if err != nil {
		return nil, err
	}
	fp, warns, err := openCode(root, filepath.Join(st.Dir, "state"), opts.NoRebuild, opts.stderr())
	if err != nil {
		return nil, err
	}
	p := &Project{Root: root, Profile: opts.ProfileName(), Params: params, Graph: graph, Store: st, Warnings: warns}
	p.Engine = &pipeline.Engine{Graph: graph, Store: st, Code: fp, Root: root, Jobs: runtime.NumCPU()}
	return p, nil
}

// LockPath is repro.lock for the default profile, repro.<profile>.lock
// otherwise.
func (p *Project) LockPath() string {
	return filepath.Join(p.Root, Options{Profile: p.Profile}.LockName())
}

// Warn prints the project's warnings.
func (p *Project) Warn(w io.Writer) {
	for _, s := range p.Warnings {
		fmt.Fprintln(w, "repro: warning:", s)
	}
}

// sourceDrift lists the module's Go files whose bytes on disk differ from the
// binary's embedded copy (only when the project directory holds the source).
func sourceDrift(root string, fp *pipeline.Fingerprinter) []string {
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return nil
	}
	var drift []string
	for path, src := range fp.Files() {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
		if err != nil || string(b) != string(src) {
			drift = append(drift, path)
		}
	}
	return drift
}
