package stages

import (
	"reflect"
	"slices"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/data"
	"github.com/repro-dev/repro/models"
)

func TestGridOffsets(t *testing.T) {
	for _, tc := range []struct {
		xs   int
		f    [][]float64
		want [][2]int
	}{
		{20, [][]float64{{0.35, 0.65}, {0.65, 0.35}}, [][2]int{{7, 13}, {13, 7}}},
		{10, [][]float64{{0.35, 0.65}, {0.65, 0.35}}, [][2]int{{3, 6}, {6, 3}}},
		// At a spacing of 2 both round to cells already listed or to the
		// study's own placement.
		{2, [][]float64{{0.35, 0.65}, {0.4, 0.6}, {0.2, 0.3}}, [][2]int{{0, 1}}},
		{20, nil, nil},
	} {
		got := GridOffsets(config.Terrain{XSparsity: tc.xs, GridOffsets: tc.f})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("x_sparsity %d, %v: got %v, want %v", tc.xs, tc.f, got, tc.want)
		}
	}
}

// testGrid is a rows x cols grid of distinct heights.
func testGrid(rows, cols int) TerrainGrid {
	z := make([]float64, rows*cols)
	for i := range z {
		z[i] = float64((i*7919)%1009) / 10
	}
	return TerrainGrid{Grid: data.Grid{Rows: rows, Cols: cols, Z: z}}
}

// TestPlacementTiles: a placement's test cells fall in the study's tiles,
// numbered as the study numbers them; at offset (0, 0) a placement is the
// study's split, and its per-tile errors are testBlocks' exactly.
func TestPlacementTiles(t *testing.T) {
	g := testGrid(23, 31)
	base, err := splitGrid(g.Rows, g.Cols, 5)
	if err != nil {
		t.Fatal(err)
	}
	in := PlacementInput{val(g), val(base)}
	same, err := terrainPlacement(nil, PlacementParams{XSparsity: 5}, in)
	if err != nil {
		t.Fatal(err)
	}
	study := scaleTerrain(g.Grid, base)
	if !reflect.DeepEqual(same.Scaled, study) {
		t.Fatal("offset (0, 0) is not the study's split")
	}
	pred := make([]float64, len(study.Test.Z))
	for i := range pred {
		pred[i] = 0.5
	}
	if got, want := same.tileSE(pred), study.blockSE(pred); !reflect.DeepEqual(got, want) {
		t.Fatalf("tileSE at (0, 0) = %v, blockSE %v", got, want)
	}

	shifted, err := terrainPlacement(nil, PlacementParams{XSparsity: 5, Row: 2, Col: 3}, in)
	if err != nil {
		t.Fatal(err)
	}
	if shifted.TileCount != same.TileCount {
		t.Fatalf("tiles: %d shifted, %d at (0, 0)", shifted.TileCount, same.TileCount)
	}
	if shifted.Scaled.Train.Index[0] != 2*g.Cols+3 {
		t.Errorf("first training cell %d, want %d", shifted.Scaled.Train.Index[0], 2*g.Cols+3)
	}
	// Heights are scaled by the study's training range at every placement.
	if shifted.Scaled.ZMin != study.ZMin || shifted.Scaled.ZMax != study.ZMax {
		t.Errorf("shifted scaling [%g, %g], study's [%g, %g]", shifted.Scaled.ZMin, shifted.Scaled.ZMax, study.ZMin, study.ZMax)
	}
	// Each test cell's tile is the one that holds it on the study's grid.
	_, counts := testBlocks(g.Cols, 5, study.Test.Index)
	perRow := (g.Cols + 4) / 5
	order := map[int]int{}
	for _, i := range study.Test.Index {
		tile := (i/g.Cols/5)*perRow + (i%g.Cols)/5
		if _, ok := order[tile]; !ok {
			order[tile] = len(order)
		}
	}
	for k, i := range shifted.Scaled.Test.Index {
		if want := order[(i/g.Cols/5)*perRow+(i%g.Cols)/5]; shifted.Tiles[k] != want {
			t.Fatalf("test cell %d: tile %d, want %d", i, shifted.Tiles[k], want)
		}
	}
	if len(counts) != shifted.TileCount {
		t.Fatalf("%d tiles, testBlocks has %d", shifted.TileCount, len(counts))
	}

	if _, err := terrainPlacement(nil, PlacementParams{XSparsity: 5, Row: 5}, in); err == nil {
		t.Error("an offset of a whole spacing is accepted")
	}
}

// TestAlign: methods on the same placements keep their rows; a closed form
// (one row per placement) is repeated for each seed; when the placements
// differ, every method is compared on the study's alone.
func TestAlign(t *testing.T) {
	row := func(v float64) []float64 { return []float64{v, v} }
	lin := method{Runs: [][]float64{row(1), row(2)}, Places: 2}                     // closed form, two placements
	net := method{Runs: [][]float64{row(10), row(11), row(20), row(21)}, Places: 2} // two seeds x two placements
	sgd := method{Runs: [][]float64{row(5), row(6)}}                                // two seeds, the study's placement

	rows, n := align([]method{net, lin})
	if n != 2 {
		t.Fatalf("placements %d, want 2", n)
	}
	if want := [][]float64{row(1), row(1), row(2), row(2)}; !reflect.DeepEqual(rows[1], want) {
		t.Errorf("closed form rows %v, want %v", rows[1], want)
	}
	if !reflect.DeepEqual(rows[0], net.Runs) {
		t.Errorf("network rows %v changed", rows[0])
	}

	rows, n = align([]method{sgd, lin, net})
	if n != 1 {
		t.Fatalf("placements %d, want 1 (sgd has the study's only)", n)
	}
	want := [][][]float64{sgd.Runs, {row(1)}, {row(10), row(11)}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %v, want %v", rows, want)
	}
}

// TestPlacedRows: a method gains the rows of its model on the further
// placements, and the comparison says so; a placement with fewer seeds
// than the study's leaves the method on the study's placement.
func TestPlacedRows(t *testing.T) {
	d := &reportData{Placed: []PlacementRuns{
		{Label: "ridge", TileSE: [][]float64{{3, 3}}},
		{Label: "relu", TileSE: [][]float64{{4, 4}, {5, 5}}},
		{Label: "sigmoid", TileSE: [][]float64{{4, 4}}},
	}}
	m := d.placed(method{Runs: [][]float64{{1, 1}}}, "ridge")
	if m.Places != 2 || !reflect.DeepEqual(m.Runs, [][]float64{{1, 1}, {3, 3}}) {
		t.Errorf("ridge: %+v", m)
	}
	m = d.placed(method{Runs: [][]float64{{1, 1}, {2, 2}}}, "relu")
	if m.Places != 2 || len(m.Runs) != 4 {
		t.Errorf("relu: %+v", m)
	}
	m = d.placed(method{Runs: [][]float64{{1, 1}, {2, 2}}}, "sigmoid")
	if m.places() != 1 || len(m.Runs) != 2 {
		t.Errorf("sigmoid (one seed on the placement): %+v", m)
	}
	if got := overWhat(2); !slices.Contains([]string{"the tiles of test cells, the seeds and the 2 placements of the training grid"}, got) {
		t.Errorf("overWhat(2) = %q", got)
	}
}

// TestPlacementChangesVerdict: two methods level on the study's placement
// are separated once two placements where one is consistently worse are
// added (the verdict follows the numbers).
func TestPlacementChangesVerdict(t *testing.T) {
	n := 40
	mk := func(base, shift float64) [][]float64 {
		var rows [][]float64
		for s := range 2 {
			r := make([]float64, n)
			for i := range r {
				r[i] = base + shift*float64((i*(s+3))%7-3)/100
			}
			rows = append(rows, r)
		}
		return rows
	}
	a := method{Name: "A", Metric: models.SquaredError, Runs: mk(1, 1)}
	b := method{Name: "B", Metric: models.SquaredError, Runs: mk(1, -1)}
	d := &reportData{}
	d.tileWeights = make([]float64, n)
	for i := range d.tileWeights {
		d.tileWeights[i] = 1
	}
	if c := d.compare(a, b); c.Outcome != models.Level {
		t.Fatalf("study's placement alone: %v, want level", c.Outcome)
	}
	d.Placed = []PlacementRuns{{Label: "a", TileSE: mk(1.2, 0)}, {Label: "b", TileSE: mk(1, 0)},
		{Label: "a", TileSE: mk(1.2, 0)}, {Label: "b", TileSE: mk(1, 0)}}
	pa, pb := d.placed(a, "a"), d.placed(b, "b")
	if c := d.compare(pa, pb); c.Outcome == models.Level || c.Diff <= 0 {
		t.Errorf("with a placement where A is worse: %v (diff %g), want A worse", c.Outcome, c.Diff)
	}
}
