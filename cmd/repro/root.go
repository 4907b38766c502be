package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// globals are the flags every command shares.
type globals struct {
	dir     string
	profile string
	set     []string
	store   string
	// maxStages bounds the stages the parameters may declare (--max-stages
	// on run, status and dag); 0 means stages.DefaultMaxStages.
	maxStages int
	noRebuild bool
}

// addMaxStages adds --max-stages to cmd.
func (g *globals) addMaxStages(cmd *cobra.Command) {
	cmd.Flags().IntVar(&g.maxStages, "max-stages", stages.DefaultMaxStages, "refuse parameters that declare more stages than this (grids multiply)")
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "repro",
		Short: "Regenerate the study's report through a graph of cached stages",
		Long: `repro regenerates a scientific report from raw data. The work is a graph of
stages (load, split, scale, train, tune, evaluate, plot, report); each stage
runs again only when its code, its parameters or its inputs changed.

Parameters come from params.yaml, overridden by --profile NAME
(params.NAME.yaml), then by REPRO_<KEY> environment variables (dots as
underscores), then by --set key=value.

Why did a stage run? 'repro status' says it; REPRO_DEBUG_KEY=1 prints every
labelled line that went into each key.

Exit codes: 0 success, 1 a stage failed, 2 bad usage or configuration,
130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&g.dir, "dir", "C", ".", "project directory (holding params.yaml)")
	root.PersistentFlags().StringVar(&g.profile, "profile", os.Getenv("REPRO_PROFILE"), "parameter profile: params.<profile>.yaml over params.yaml (env REPRO_PROFILE)")
	root.PersistentFlags().StringArrayVar(&g.set, "set", nil, "override a parameter: --set key=value (repeatable; value is YAML)")
	root.PersistentFlags().StringVar(&g.store, "store", "artifacts", "artifact store directory (absolute, or relative to the project)")
	root.PersistentFlags().BoolVar(&g.noRebuild, "no-rebuild", false, "when the Go source on disk differs from this binary's, warn instead of rebuilding the binary and running the new one")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	// The profile names files (params.<profile>.yaml, repro.<profile>.lock):
	// a plain name, checked before any command reads or writes one.
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if err := config.CheckProfile(g.profile); err != nil {
			return usageError{err}
		}
		if g.maxStages < 0 {
			return usagef("--max-stages %d: want a positive number", g.maxStages)
		}
		return nil
	}
	root.AddCommand(newRunCmd(g), newStatusCmd(g), newDagCmd(g), newShowCmd(g), newMetricsCmd(g),
		newVerifyCmd(g), newGCCmd(g), newParamsCmd(g))
	root.AddCommand(newDiffCmd(g))
	root.AddCommand(newKeygenCmd())
	root.AddCommand(newServeCmd(g))
	root.AddCommand(newVersionCmd())
	root.AddCommand(newPublishCmd(g), newWhyCmd(g))
	g.registerCompletions(root)
	usageArgs(root)
	return root
}

// project is everything a command needs: parameters, graph, store, code.
type project struct {
	root    string
	profile string
	params  *config.Params
	graph   *pipeline.Graph
	store   *pipeline.Store
	engine  *pipeline.Engine
	warns   []string
}

// storeDir is the store directory: --store as given if absolute, else
// relative to the project.
func (g *globals) storeDir(root string) string {
	if filepath.IsAbs(g.store) {
		return g.store
	}
	return filepath.Join(root, g.store)
}

func (g *globals) profileName() string {
	if g.profile == "" {
		return "default"
	}
	return g.profile
}

// lockPath is repro.lock for the default profile, repro.<profile>.lock otherwise.
func (p *project) lockPath() string {
	if p.profile == "default" {
		return filepath.Join(p.root, "repro.lock")
	}
	return filepath.Join(p.root, "repro."+p.profile+".lock")
}

func (g *globals) open() (*project, error) {
	root, err := filepath.Abs(g.dir)
	if err != nil {
		return nil, usageError{err}
	}
	if _, err := os.Stat(filepath.Join(root, "params.yaml")); err != nil {
		return nil, usagef("%s has no params.yaml: run repro in the project directory or pass -C DIR", root)
	}
	params, err := config.Load(config.Options{Dir: root, Profile: g.profile, Environ: os.Environ(), Set: g.set})
	if err != nil {
		return nil, usageError{err}
	}
	env := stages.Env{Profile: g.profileName(), KaTeX: stages.KaTeXFiles(os.DirFS(root)), MaxStages: g.maxStages}
	if params.MNIST.Enabled {
		env.MNISTDir, env.MNISTModule = mnistDir(), mnistModule+"@"+mnistVersion()
	}
	graph, err := stages.Build(params, env)
	if err != nil {
		return nil, usageError{err}
	}
	st, err := pipeline.OpenStore(g.storeDir(root))
	if err != nil {
		return nil, err
	}
	fp, warns, err := openCode(root, filepath.Join(st.Dir, "state"), g.noRebuild)
	if err != nil {
		return nil, err
	}
	p := &project{root: root, profile: g.profileName(), params: params, graph: graph, store: st, warns: warns}
	p.engine = &pipeline.Engine{Graph: graph, Store: st, Code: fp, Root: root, Jobs: runtime.NumCPU()}
	return p, nil
}

// openSelected opens the project, prints its warnings and selects the
// stages matching patterns (all for none); a pattern that matches nothing
// is a usage error.
func (g *globals) openSelected(patterns []string) (*project, []*pipeline.Stage, error) {
	p, err := g.open()
	if err != nil {
		return nil, nil, err
	}
	p.warn(os.Stderr)
	sel, err := p.graph.Select(patterns)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("%w%s", err, p.suggestFor(patterns))}
	}
	return p, sel, nil
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

// suggestFor is the "did you mean" of the first pattern that matches no
// stage, or "".
func (p *project) suggestFor(patterns []string) string {
	var names []string
	for _, s := range p.graph.Stages() {
		names = append(names, s.Name)
	}
	for _, pat := range patterns {
		found := false
		for _, n := range names {
			if pipeline.Match(pat, n) {
				found = true
				break
			}
		}
		if !found {
			return didYouMean(pat, names)
		}
	}
	return ""
}

func limitList(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("%d more", len(xs)-n))
}

func (p *project) warn(w *os.File) {
	for _, s := range p.warns {
		fmt.Fprintln(w, "repro: warning:", s)
	}
}
