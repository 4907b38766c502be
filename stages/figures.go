package stages

import (
	"repro/pipeline"
	"repro/plots"
)

// Figure is a rendered figure: SVG bytes stored as the output "figure.svg".
type Figure struct {
	SVG []byte `json:"-"`
}

// Artifacts stores the SVG as its own output, so the report (and diff)
// read it without decoding JSON.
func (f Figure) Artifacts() map[string][]byte { return map[string][]byte{"figure.svg": f.SVG} }

func figure(svg []byte, err error) (Figure, error) { return Figure{SVG: svg}, err }

// figTerrainSplit draws the terrain and the training and validation points.
func figTerrainSplit(c *pipeline.Context) (Figure, error) {
	g, err := pipeline.Input[TerrainGrid](c, "terrain/load")
	if err != nil {
		return Figure{}, err
	}
	s, err := pipeline.Input[TerrainSplit](c, "terrain/split")
	if err != nil {
		return Figure{}, err
	}
	return figure(plots.TerrainSplit(g.Rows, g.Cols, g.Z, s.Role(),
		plots.WithTitle("Terrain: training, validation and test cells"), plots.WithColorLabel("elevation (m)")))
}
