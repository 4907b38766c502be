package stages

import (
	"sort"

	"go.yaml.in/yaml/v3"

	"repro/config"
	"repro/pipeline"
)

// Env is what the graph needs to know beyond the parameters.
type Env struct {
	Profile string   // the parameter profile, shown in the report
	KaTeX   []string // KaTeX files the report reads (see KaTeXFiles); nil without npm
}

// Build declares the study's DAG for the parameters p. Read it top to bottom:
// every stage, its inputs and the parameters it reads are here.
func Build(p *config.Params, env Env) (*pipeline.Graph, error) {
	b := &builder{g: pipeline.NewGraph(), figures: map[string]string{}}
	t := p.Terrain

	// Terrain: load, split on two offset grids, scale, polynomial features.
	b.add(pipeline.Stage{Name: "terrain/load", Files: []string{t.File},
		Params: TerrainLoadParams{File: t.File, Array: t.Array, Window: t.Window}, Run: pipeline.Func(terrainLoad)})
	b.add(pipeline.Stage{Name: "terrain/split", Deps: []string{"terrain/load"},
		Params: t.XSparsity, Run: pipeline.Func(terrainSplitStage)})
	b.add(pipeline.Stage{Name: "terrain/scale", Deps: []string{"terrain/load", "terrain/split"},
		Run: pipeline.Func(terrainScale)})
	b.add(pipeline.Stage{Name: "terrain/design", Deps: []string{"terrain/scale"},
		Params: t.Degree, Run: pipeline.Func(terrainDesign)})

	// Linear models in closed form.
	b.add(pipeline.Stage{Name: "linear/ols", Deps: []string{"terrain/design", "terrain/scale"},
		Run: pipeline.Func(linearOLS)})
	b.add(pipeline.Stage{Name: "linear/ridge", Deps: []string{"terrain/design", "terrain/scale"},
		Params: RidgeParams{Lambdas: t.RidgeLambdas}, Run: pipeline.Func(linearRidge)})

	// Figures: one stage each, depending only on what it draws.
	b.figure("terrain-split", figTerrainSplit, "terrain/load", "terrain/split")

	// The report reads every figure and the stages whose numbers it quotes.
	paramsYAML, err := yaml.Marshal(p)
	if err != nil {
		return nil, err
	}
	deps := []string{"terrain/load", "terrain/split", "terrain/design", "linear/ols", "linear/ridge"}
	for _, st := range b.figures {
		deps = append(deps, st)
	}
	sort.Strings(deps)
	files := append([]string{templateReport, templateLayout, templateCSS}, env.KaTeX...)
	b.add(pipeline.Stage{Name: "report", Deps: deps, Files: files,
		Params:  ReportParams{Title: p.Report.Title, Profile: env.Profile, ParamsYAML: string(paramsYAML), Figures: b.figures, KaTeX: env.KaTeX},
		Run:     pipeline.Func(reportStage),
		Exports: map[string]string{"report.html": "report.html", "tables/": "report/"}})
	return b.g, b.err
}

type builder struct {
	g       *pipeline.Graph
	err     error
	figures map[string]string // figure name -> stage
}

// figure adds the stage figures/<name>, drawn by fn from deps.
func (b *builder) figure(name string, fn func(*pipeline.Context) (Figure, error), deps ...string) {
	st := "figures/" + name
	b.figures[name] = st
	b.add(pipeline.Stage{Name: st, Deps: deps, Run: pipeline.Func(fn)})
}

func (b *builder) add(s pipeline.Stage) {
	if b.err == nil {
		b.err = b.g.Add(s)
	}
}
