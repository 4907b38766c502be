package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
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
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{Err: err} })
	// The profile names files (params.<profile>.yaml, repro.<profile>.lock):
	// a plain name, checked before any command reads or writes one.
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if err := config.CheckProfile(g.profile); err != nil {
			return usageError{Err: err}
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

// opts are the options that open the project.
func (g *globals) opts() proj.Options {
	return proj.Options{Dir: g.dir, Profile: g.profile, Set: g.set, Store: g.store, MaxStages: g.maxStages, NoRebuild: g.noRebuild}
}

func (g *globals) profileName() string { return g.opts().ProfileName() }

// graphBuilder builds the project's graph from other parameters, as open
// builds it.
func (g *globals) graphBuilder(root string) func(*config.Params) (*pipeline.Graph, error) {
	return g.opts().GraphBuilder(root)
}

// project is an opened project (package project) under the commands' own
// short names.
type project struct {
	*proj.Project
	root    string
	profile string
	params  *config.Params
	graph   *pipeline.Graph
	store   *pipeline.Store
	engine  *pipeline.Engine
}

func (p *project) lockPath() string { return p.LockPath() }
func (p *project) warn(w io.Writer) { p.Warn(w) }

func (g *globals) open() (*project, error) {
	p, err := proj.Open(g.opts())
	if err != nil {
		return nil, err
	}
	return &project{Project: p, root: p.Root, profile: p.Profile, params: p.Params, graph: p.Graph, store: p.Store, engine: p.Engine}, nil
}

// openMatched opens the project, prints its warnings and selects the
// stages matching patterns (project.Project.Select).
func (g *globals) openMatched(patterns []string) (*project, []*pipeline.Stage, map[string]bool, error) {
	p, err := g.open()
	if err != nil {
		return nil, nil, nil, err
	}
	p.warn(os.Stderr)
	sel, matched, err := p.Select(patterns)
	if err != nil {
		return nil, nil, nil, err
	}
	return p, sel, matched, nil
}
