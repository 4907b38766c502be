package stages

import (
	"repro/config"
	"repro/pipeline"
)

// Build declares the study's DAG for the parameters p. Read it top to bottom:
// every stage, its inputs and the parameters it reads are here.
func Build(p *config.Params) (*pipeline.Graph, error) {
	b := &builder{g: pipeline.NewGraph()}
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

	return b.g, b.err
}

type builder struct {
	g   *pipeline.Graph
	err error
}

func (b *builder) add(s pipeline.Stage) {
	if b.err == nil {
		b.err = b.g.Add(s)
	}
}
