package stages

import (
	"fmt"
	"math"
	"slices"

	"github.com/repro-dev/repro/config"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// Placements of the training grid: the outer loop over the terrain's data.
//
// The study places its training grid at (0, 0) and every xs cells from
// there. Another placement, shifted by (row, column) within the spacing,
// gives another training set (and validation set) of the same size and a
// test set of almost the same cells. Tuning runs once, on the study's
// placement; the chosen linear model and the chosen cell of each kind of
// network are trained again on each further placement, with the same seeds.
// Every placement is scored on the same tiles of test cells (the tiles of
// the study's training grid), so the report's paired comparisons and
// intervals resample placements, seeds and tiles together.

// PlacementParams place the training grid.
type PlacementParams struct {
	XSparsity int `json:"x_sparsity"`
	Row       int `json:"row"`
	Col       int `json:"col"`
}

// GridOffsets are the further placements of the training grid, in cells:
// terrain.grid_offsets times the spacing, rounded down, without the study's
// (0, 0) and without repeats.
func GridOffsets(t config.Terrain) [][2]int {
	seen := map[[2]int]bool{{0, 0}: true}
	var out [][2]int
	for _, f := range t.GridOffsets {
		if len(f) != 2 {
			continue
		}
		o := [2]int{int(math.Floor(f[0] * float64(t.XSparsity))), int(math.Floor(f[1] * float64(t.XSparsity)))}
		if !seen[o] && o[0] >= 0 && o[1] >= 0 && o[0] < t.XSparsity && o[1] < t.XSparsity {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// offsetName names a placement in stage names and metrics: "r7c13".
func offsetName(row, col int) string { return fmt.Sprintf("r%dc%d", row, col) }

// Placement is the terrain split and scaled for one placement of the
// training grid. Heights are scaled by the study's training range, so that
// errors are in the same unit at every placement. The polynomial features
// are a stage of their own (placementDesign): the degree does not reach
// the networks.
type Placement struct {
	Row, Col int
	Scaled   TerrainScaled
	// Tiles maps each test cell (in Scaled.Test order) to its tile, as
	// numbered on the study's placement (see testBlocks).
	Tiles     []int
	TileCount int
}

// PlacementInput is the grid and the study's split.
type PlacementInput struct {
	Grid  pipeline.In[TerrainGrid]
	Split pipeline.In[TerrainSplit]
}

func terrainPlacement(_ pipeline.Ctx, p PlacementParams, in PlacementInput) (Placement, error) {
	g, base := in.Grid.Value, in.Split.Value
	if p.Row < 0 || p.Col < 0 || p.Row >= p.XSparsity || p.Col >= p.XSparsity {
		return Placement{}, fmt.Errorf("grid offset [%d, %d]: each must be at least 0 and below the spacing %d", p.Row, p.Col, p.XSparsity)
	}
	s := TerrainSplit{Rows: g.Rows, Cols: g.Cols, XSparsity: p.XSparsity}
	s.Train, s.Val = gridSplitAt(g.Rows, g.Cols, p.XSparsity, p.Row, p.Col)
	if len(s.Train) < 3 || len(s.Val) < 3 {
		return Placement{}, fmt.Errorf("grid offset [%d, %d] leaves %d training and %d validation points; want at least 3 of each", p.Row, p.Col, len(s.Train), len(s.Val))
	}
	t := scaleTerrainBy(g.Grid, s, base)
	tiles, n, err := tilesAs(g.Cols, p.XSparsity, baseTestCells(base), t.Test.Index)
	if err != nil {
		return Placement{}, fmt.Errorf("grid offset [%d, %d]: %w", p.Row, p.Col, err)
	}
	return Placement{Row: p.Row, Col: p.Col, Scaled: t, Tiles: tiles, TileCount: n}, nil
}

// PlacementDesignInput is a placement whose features are computed.
type PlacementDesignInput struct{ Placement pipeline.In[Placement] }

// placementDesign is the polynomial design matrix of a placement.
func placementDesign(_ pipeline.Ctx, p DesignParams, in PlacementDesignInput) (Design, error) {
	return designOf(in.Placement.Value.Scaled, p.Degree), nil
}

// gridSplitAt is gridSplit with the training grid starting at (r0, c0);
// validation cells are offset by half the spacing from each training cell.
func gridSplitAt(rows, cols, xs, r0, c0 int) (train, val []int) {
	off := xs / 2
	for r := r0; r < rows; r += xs {
		for c := c0; c < cols; c += xs {
			train = append(train, r*cols+c)
			if xs > 1 && r+off < rows && c+off < cols {
				val = append(val, (r+off)*cols+c+off)
			}
		}
	}
	return train, val
}

// baseTestCells are the study's test cells, in order.
func baseTestCells(s TerrainSplit) []int {
	var out []int
	for i, r := range s.Role() {
		if r == 0 {
			out = append(out, i)
		}
	}
	return out
}

// tilesAs numbers the tiles of the test cells test as testBlocks numbers
// them for the test cells ref (the study's), so that a placement's
// per-tile errors line up with the study's. Every tile of ref must hold a
// test cell of test, and no test cell may lie outside them.
func tilesAs(cols, xs int, ref, test []int) (tiles []int, n int, err error) {
	xs = max(xs, 1)
	perRow := (cols + xs - 1) / xs
	tileOf := func(i int) int { return (i/cols/xs)*perRow + (i%cols)/xs }
	ids := map[int]int{}
	for _, i := range ref {
		if _, ok := ids[tileOf(i)]; !ok {
			ids[tileOf(i)] = len(ids)
		}
	}
	seen := make([]bool, len(ids))
	for _, i := range test {
		id, ok := ids[tileOf(i)]
		if !ok {
			return nil, 0, fmt.Errorf("test cell %d lies in a tile without test cells on the study's placement", i)
		}
		seen[id] = true
		tiles = append(tiles, id)
	}
	if k := slices.Index(seen, false); k >= 0 {
		return nil, 0, fmt.Errorf("tile %d of the study's test cells has no test cell on this placement", k)
	}
	return tiles, len(ids), nil
}

// tileSE is the mean squared error of pred on the test cells of each tile.
// It adds the terms as blockSE does, so that at offset (0, 0) the two
// agree to the bit.
func (p Placement) tileSE(pred []float64) []float64 {
	count := make([]float64, p.TileCount)
	for _, b := range p.Tiles {
		count[b]++
	}
	out := make([]float64, p.TileCount)
	for k, b := range p.Tiles {
		d := pred[k] - p.Scaled.Test.Z[k]
		out[b] += d * d / count[b]
	}
	return out
}

// PlacementRuns are one chosen model trained on one placement: a row of
// per-tile squared errors for each seed (one row for the closed form).
type PlacementRuns struct {
	Label    string // the metric part: "ridge", "relu", "extra.wide-adam"
	Offset   string // "r7c13"
	Row, Col int    // the offset of the training grid
	Arch     string `json:",omitempty"`
	LR       float64
	Lambda   float64
	TestMSE  []float64   // per seed
	TileSE   [][]float64 // [seed][tile]
	Diverged int         // seeds whose run diverged
}

// Metrics: terrain.<label>.offset_<offset>.test_mse (mean, .sd, per seed).
func (r PlacementRuns) Metrics() map[string]float64 {
	p := "terrain." + r.Label + ".offset_" + r.Offset + ".test_mse"
	if r.Arch != "" {
		p = "terrain.nn." + r.Label + ".offset_" + r.Offset + ".test_mse"
	}
	m, sd := meanSD(r.TestMSE)
	out := map[string]float64{p: m}
	if len(r.TestMSE) > 1 {
		out[p+".sd"] = sd
		pipeline.PutSeedValues(out, p, r.TestMSE)
	}
	return out
}

// PlacementLinearInput is a placement, its features and the chosen linear
// baseline.
type PlacementLinearInput struct {
	Placement pipeline.In[Placement]
	Design    pipeline.In[Design]
	Ridge     pipeline.In[LinearFit]
}

// placementLinear fits the linear baseline chosen on the study's placement
// (OLS, or Ridge at its penalty) on another placement.
func placementLinear(_ pipeline.Ctx, _ struct{}, in PlacementLinearInput) (PlacementRuns, error) {
	pl, lam := in.Placement.Value, in.Ridge.Value.Lambda
	d, t := in.Design.Value, pl.Scaled
	var beta []float64
	var err error
	if lam == 0 {
		beta, err = models.OLS(d.Train.Dense(), t.Train.Z)
	} else {
		beta, err = models.Ridge(d.Train.Dense(), t.Train.Z, lam)
	}
	if err != nil {
		return PlacementRuns{}, fmt.Errorf("linear baseline (λ = %g) on grid offset %s: %w", lam, offsetName(pl.Row, pl.Col), err)
	}
	pred := models.LinearPredict(models.PolyFeatures(t.Test.X, t.Test.Y, d.Degree), beta)
	return PlacementRuns{Label: "ridge", Offset: offsetName(pl.Row, pl.Col), Row: pl.Row, Col: pl.Col, Lambda: lam,
		TestMSE: []float64{models.MSE(t.Test.Z, pred)}, TileSE: [][]float64{pl.tileSE(pred)}}, nil
}

// PlacementNetParams retrain the chosen cell of one kind of terrain
// network: the tuning's settings, its choice of architecture and rate.
type PlacementNetParams struct {
	Label string    `json:"label"`
	Base  NetParams `json:"base"`
	Seeds []uint64  `json:"seeds"`
}

// PlacementNetInput is a placement and the tuning whose choice is
// retrained.
type PlacementNetInput struct {
	Placement pipeline.In[Placement]
	Tune      pipeline.In[RegTune]
}

func placementNet(c pipeline.Ctx, p PlacementNetParams, in PlacementNetInput) (PlacementRuns, error) {
	pl, tune := in.Placement.Value, in.Tune.Value
	t := pl.Scaled
	xt, yt := pointsMatrix(t.Train)
	xv, yv := pointsMatrix(t.Val)
	xs, _ := pointsMatrix(t.Test)
	type scored struct {
		mse      float64
		tiles    []float64
		diverged bool
	}
	runs, err := parallelSeeds(c, p.Seeds, func(seed uint64) (scored, error) {
		np := p.Base
		np.Arch, np.Train.LR, np.Seed = tune.BestArch, tune.BestLR, seed
		net, r, err := trainNet(quiet(c), np, xt, yt, xv, yv, models.MonitorCost)
		if err != nil {
			return scored{}, err
		}
		pred := net.Predict(xs).RawMatrix().Data
		return scored{models.MSE(t.Test.Z, pred), pl.tileSE(pred), r.Diverged}, nil
	})
	if err != nil {
		return PlacementRuns{}, err
	}
	out := PlacementRuns{Label: p.Label, Offset: offsetName(pl.Row, pl.Col), Row: pl.Row, Col: pl.Col, Arch: tune.BestArch, LR: tune.BestLR}
	for _, r := range runs {
		out.TestMSE = append(out.TestMSE, r.mse)
		out.TileSE = append(out.TileSE, r.tiles)
		if r.diverged {
			out.Diverged++
		}
	}
	return out, nil
}

// PlacementSGDParams retrain the best cell of Ridge by SGD: the grid's
// training settings and penalty (the cell's mini-batch size and rate come
// from the summary's choice) and the seeds.
type PlacementSGDParams struct {
	Lambda float64     `json:"lambda"`
	Train  TrainParams `json:"train"`
	Seeds  []uint64    `json:"seeds"`
}

// PlacementSGDInput is a placement, its features and the SGD grid's
// summary.
type PlacementSGDInput struct {
	Placement pipeline.In[Placement]
	Design    pipeline.In[Design]
	SGD       pipeline.In[LinSGDSummary]
}

// placementSGD trains the SGD grid's best cell on another placement, one
// run per seed, and scores the coefficients each run keeps.
func placementSGD(c pipeline.Ctx, p PlacementSGDParams, in PlacementSGDInput) (PlacementRuns, error) {
	pl, best := in.Placement.Value, in.SGD.Value.Best
	t := pl.Scaled
	d := in.Design.Value
	x := models.PolyFeatures(t.Test.X, t.Test.Y, d.Degree)
	out := PlacementRuns{Label: "sgd", Offset: offsetName(pl.Row, pl.Col), Row: pl.Row, Col: pl.Col, LR: best.LR, Lambda: p.Lambda}
	for _, s := range p.Seeds {
		tp := p.Train
		tp.BatchSize, tp.LR = best.BatchSize, best.LR
		r, err := runLinSGD(quiet(c), LinSGDParams{Lambda: p.Lambda, Train: tp, Seed: s}, d)
		if err != nil {
			return out, fmt.Errorf("ridge by SGD on grid offset %s, seed %d: %w", out.Offset, s, err)
		}
		if r.Diverged {
			out.Diverged++
		}
		pred := models.LinearPredict(x, r.Beta)
		out.TestMSE = append(out.TestMSE, models.MSE(t.Test.Z, pred))
		out.TileSE = append(out.TileSE, pl.tileSE(pred))
	}
	return out, nil
}
