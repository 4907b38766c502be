package stages

import (
	"fmt"
	"math"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/data"
	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// TerrainLoadParams are the parameters of terrain/load.
type TerrainLoadParams struct {
	File   string `json:"file"`
	Array  string `json:"array"`
	Window int    `json:"window"`
}

// terrainLoadParams sets the parameters of terrain/load from params.yaml (Build calls it).
func terrainLoadParams(t config.Terrain) TerrainLoadParams {
	return TerrainLoadParams{File: t.File, Array: t.Array, Window: t.Window}
}

// TerrainGrid is the cropped elevation grid (metres) and where it came from.
type TerrainGrid struct {
	data.Grid
	File       string
	SHA256     string
	FullRows   int
	FullCols   int
	ZMin, ZMax float64
}

// terrainLoad reads the elevation grid and crops it to the study's window.
// FileInput is the input of a stage that reads one file.
type FileInput struct{ File pipeline.File }

func terrainLoad(_ pipeline.Ctx, p TerrainLoadParams, in FileInput) (TerrainGrid, error) {
	b := in.File.Data
	g, err := data.LoadGrid(p.File, b, p.Array)
	if err != nil {
		return TerrainGrid{}, err
	}
	out := TerrainGrid{Grid: data.Crop(g, min(g.Rows, p.Window), min(g.Cols, p.Window)),
		File: p.File, SHA256: pipeline.HashBytes(b), FullRows: g.Rows, FullCols: g.Cols}
	out.ZMin, out.ZMax = math.Inf(1), math.Inf(-1)
	for _, z := range out.Z {
		out.ZMin, out.ZMax = math.Min(out.ZMin, z), math.Max(out.ZMax, z)
	}
	return out, nil
}

// TerrainSplit assigns every cell of the grid to the training, validation or
// test set: training cells lie on a regular grid of spacing XSparsity,
// validation cells on the same grid offset by XSparsity/2 in both directions,
// and every other cell is a test cell.
type TerrainSplit struct {
	Rows, Cols int
	XSparsity  int
	Train, Val []int // flat cell indices, row-major
	// Proportions is the study's Table 1, computed on this grid for several
	// spacings.
	Proportions []SplitShare
}

// SplitShare is one row of the split-proportion table.
type SplitShare struct {
	XSparsity           int
	Train, Val, Test    int
	TrainF, ValF, TestF float64
}

// Role returns 1 for training cells, 2 for validation cells, 0 for test cells.
func (s TerrainSplit) Role() []uint8 {
	r := make([]uint8, s.Rows*s.Cols)
	for _, i := range s.Train {
		r[i] = 1
	}
	for _, i := range s.Val {
		r[i] = 2
	}
	return r
}

// gridSplit computes the training and validation cells for spacing xs.
func gridSplit(rows, cols, xs int) (train, val []int) { return gridSplitAt(rows, cols, xs, 0, 0) }

// SplitParams is the spacing of the training grid.
type SplitParams struct {
	XSparsity int `json:"x_sparsity"`
}

// splitParams sets the parameters of terrain/split from params.yaml (Build calls it).
func splitParams(t config.Terrain) SplitParams {
	return SplitParams{XSparsity: t.XSparsity}
}

// terrainSplitStage splits the grid.
func terrainSplitStage(_ pipeline.Ctx, p SplitParams, in GridInput) (TerrainSplit, error) {
	g := in.Grid.Value
	return splitGrid(g.Rows, g.Cols, p.XSparsity)
}

func splitGrid(rows, cols, xs int) (TerrainSplit, error) {
	s := TerrainSplit{Rows: rows, Cols: cols, XSparsity: xs}
	s.Train, s.Val = gridSplit(rows, cols, xs)
	if len(s.Train) < 3 || len(s.Val) < 3 {
		return s, fmt.Errorf("x_sparsity %d on a %d x %d grid leaves %d training and %d validation points; want at least 3 of each", xs, rows, cols, len(s.Train), len(s.Val))
	}
	n := rows * cols
	for _, x := range []int{1, 2, 3, 4, 5, 10, 20} {
		tr, va := gridSplit(rows, cols, x)
		te := n - len(tr) - len(va)
		s.Proportions = append(s.Proportions, SplitShare{
			XSparsity: x, Train: len(tr), Val: len(va), Test: te,
			TrainF: float64(len(tr)) / float64(n), ValF: float64(len(va)) / float64(n), TestF: float64(te) / float64(n),
		})
	}
	return s, nil
}

// PointSet is a set of terrain points: scaled coordinates and scaled height.
type PointSet struct {
	X, Y, Z []float64
	Index   []int // cell index of each point
}

// TerrainScaled is the split data, scaled: coordinates to [0, 1] by the
// grid's longer side, heights to [0, 1] by the training set's range (so no
// test information leaks into the scaling).
type TerrainScaled struct {
	Rows, Cols       int
	Train, Val, Test PointSet
	ZMin, ZMax       float64 // metres mapped to 0 and 1
	XSparsity        int     // the training grid's spacing
}

// testBlocks groups the test cells (flat indices, in order) into the tiles
// of the training grid, xs x xs cells each: block[k] is the tile of the
// k-th test cell and count[b] the test cells in tile b (tiles without test
// cells are left out). The tiles are the units of the test-set bootstrap:
// neighbouring cells are strongly correlated, single cells are not
// independent draws, and a tile is as far as the training grid's own
// spacing reaches.
func testBlocks(cols, xs int, test []int) (block []int, count []float64) {
	xs = max(xs, 1)
	perRow := (cols + xs - 1) / xs
	ids := map[int]int{}
	for _, i := range test {
		r, c := i/cols, i%cols
		t := (r/xs)*perRow + c/xs
		id, ok := ids[t]
		if !ok {
			id = len(count)
			ids[t] = id
			count = append(count, 0)
		}
		block = append(block, id)
		count[id]++
	}
	return block, count
}

// blockSE is the mean squared error of pred on the test cells of each tile
// (see testBlocks).
func (t TerrainScaled) blockSE(pred []float64) []float64 {
	out, _ := t.tiledSE(t.Test, pred)
	return out
}

// tiledSE is the mean squared error of pred on the points of ps in each
// tile of the training grid (tiles numbered as testBlocks numbers them for
// ps), and the number of points in each tile.
func (t TerrainScaled) tiledSE(ps PointSet, pred []float64) (se, count []float64) {
	block, count := testBlocks(t.Cols, t.XSparsity, ps.Index)
	se = make([]float64, len(count))
	for k, b := range block {
		d := pred[k] - ps.Z[k]
		se[b] += d * d / count[b]
	}
	return se, count
}

// GridInput is the loaded terrain grid.
type GridInput struct{ Grid pipeline.In[TerrainGrid] }

// ScaleInput is what terrain/scale reads.
type ScaleInput struct {
	Grid  pipeline.In[TerrainGrid]
	Split pipeline.In[TerrainSplit]
}

func terrainScale(_ pipeline.Ctx, _ struct{}, in ScaleInput) (TerrainScaled, error) {
	return scaleTerrain(in.Grid.Value.Grid, in.Split.Value), nil
}

func scaleTerrain(g data.Grid, s TerrainSplit) TerrainScaled { return scaleTerrainBy(g, s, s) }

// scaleTerrainBy scales the split s by the training heights of ref (the
// learning curve scales every size as the study's split).
func scaleTerrainBy(g data.Grid, s, ref TerrainSplit) TerrainScaled {
	zmin, zmax := math.Inf(1), math.Inf(-1)
	for _, i := range ref.Train {
		zmin = math.Min(zmin, g.Z[i])
		zmax = math.Max(zmax, g.Z[i])
	}
	if zmax == zmin {
		zmax = zmin + 1
	}
	side := float64(max(g.Rows, g.Cols) - 1)
	point := func(ps *PointSet, i int) {
		r, col := i/g.Cols, i%g.Cols
		ps.X = append(ps.X, float64(col)/side)
		ps.Y = append(ps.Y, float64(r)/side)
		ps.Z = append(ps.Z, (g.Z[i]-zmin)/(zmax-zmin))
		ps.Index = append(ps.Index, i)
	}
	out := TerrainScaled{Rows: g.Rows, Cols: g.Cols, ZMin: zmin, ZMax: zmax, XSparsity: s.XSparsity}
	role := s.Role()
	for _, i := range s.Train {
		point(&out.Train, i)
	}
	for _, i := range s.Val {
		point(&out.Val, i)
	}
	for i, r := range role {
		if r == 0 {
			point(&out.Test, i)
		}
	}
	return out
}

// Design is the polynomial design matrix of the training and validation
// points (the test points' features are computed where they are used: at
// about 5,000 times the training set's size they are cheaper to recompute
// than to store).
type Design struct {
	Degree     int
	Terms      []string
	Train, Val Matrix
	// TrainPts and ValPts are the scaled points themselves (coordinates
	// and heights), the networks' inputs and every model's targets.
	TrainPts, ValPts PointSet
}

// Matrix is a dense row-major matrix that encodes to JSON.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// DesignParams is the polynomial degree of the features.
type DesignParams struct {
	Degree int `json:"degree"`
}

// designParams sets the parameters of terrain/design from params.yaml (Build calls it).
func designParams(t config.Terrain) DesignParams {
	return DesignParams{Degree: t.Degree}
}

// ScaledInput is the scaled terrain points.
type ScaledInput struct{ Scaled pipeline.In[TerrainScaled] }

func terrainDesign(_ pipeline.Ctx, p DesignParams, in ScaledInput) (Design, error) {
	return designOf(in.Scaled.Value, p.Degree), nil
}

// designOf is the design matrices of degree deg for the scaled points t.
func designOf(t TerrainScaled, deg int) Design {
	return Design{
		Degree: deg, Terms: models.PolyTerms(deg),
		Train:    fromDense(models.PolyFeatures(t.Train.X, t.Train.Y, deg)),
		Val:      fromDense(models.PolyFeatures(t.Val.X, t.Val.Y, deg)),
		TrainPts: t.Train, ValPts: t.Val,
	}
}
