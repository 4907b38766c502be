package stages

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/repro-dev/repro/config"
)

func TestGridSplit(t *testing.T) {
	s, err := splitGrid(8, 10, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Training cells at rows 0,4 and columns 0,4,8; validation shifted by 2.
	wantTrain := []int{0, 4, 8, 40, 44, 48}
	wantVal := []int{22, 26, 62, 66}
	if !reflect.DeepEqual(s.Train, wantTrain) || !reflect.DeepEqual(s.Val, wantVal) {
		t.Errorf("train %v val %v, want %v and %v", s.Train, s.Val, wantTrain, wantVal)
	}
	for _, p := range s.Proportions {
		if p.Train+p.Val+p.Test != 80 {
			t.Errorf("x_sparsity %d: %d+%d+%d != 80", p.XSparsity, p.Train, p.Val, p.Test)
		}
	}
	if _, err := splitGrid(4, 4, 4); err == nil {
		t.Error("a split with one training cell: no error")
	}
	role := s.Role()
	if role[0] != 1 || role[22] != 2 || role[1] != 0 {
		t.Errorf("Role: %v", role[:23])
	}
}

func TestScaleUsesTrainingRangeOnly(t *testing.T) {
	z := make([]float64, 64)
	for i := range z {
		z[i] = float64(i)
	}
	s, _ := splitGrid(8, 8, 4)
	g := TerrainGrid{}
	g.Rows, g.Cols, g.Z = 8, 8, z
	sc := scaleTerrain(g.Grid, s)
	if sc.ZMin != 0 || sc.ZMax != 36 {
		t.Errorf("scaling range %v..%v, want the training cells' 0..36", sc.ZMin, sc.ZMax)
	}
	if n := len(sc.Train.Z) + len(sc.Val.Z) + len(sc.Test.Z); n != 64 {
		t.Errorf("%d points, want 64", n)
	}
	for _, x := range append(sc.Test.X, sc.Test.Y...) {
		if x < 0 || x > 1 {
			t.Fatalf("coordinate %v outside [0, 1]", x)
		}
	}
}

func TestSplitDigitsBalancedAndDeterministic(t *testing.T) {
	labels := make([]int, 0, 500)
	for k := 0; k < 10; k++ {
		for i := 0; i < 40+k; i++ {
			labels = append(labels, k)
		}
	}
	p := DigitsSplitParams{TrainPerClass: 20, ValPerClass: 10, Seed: 7}
	a, err := splitDigits(labels, p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := splitDigits(labels, p)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different split")
	}
	for k := 0; k < 10; k++ {
		if a.Counts[0][k] != 20 || a.Counts[1][k] != 10 || a.Counts[2][k] != 10+k {
			t.Errorf("class %d counts %d/%d/%d", k, a.Counts[0][k], a.Counts[1][k], a.Counts[2][k])
		}
	}
	seen := map[int]bool{}
	for _, set := range [][]int{a.Train, a.Val, a.Test} {
		for _, i := range set {
			if seen[i] {
				t.Fatalf("image %d in two sets", i)
			}
			seen[i] = true
		}
	}
	if len(seen) != len(labels) {
		t.Errorf("%d of %d images assigned", len(seen), len(labels))
	}
	if _, err := splitDigits(labels, DigitsSplitParams{TrainPerClass: 30, ValPerClass: 10}); err == nil || !strings.Contains(err.Error(), "class 0 has 40 images") {
		t.Errorf("too many per class: err = %v", err)
	}
}

func TestBand(t *testing.T) {
	m, lo, hi := band([][]float64{{1, 2, 3}, {3, 4}})
	if !reflect.DeepEqual(m, []float64{2, 3, 3}) || !reflect.DeepEqual(lo, []float64{1, 2, 3}) || !reflect.DeepEqual(hi, []float64{3, 4, 3}) {
		t.Errorf("band = %v %v %v", m, lo, hi)
	}
	if mean, sd := meanSD([]float64{2, 4}); mean != 3 || sd < 1.414 || sd > 1.415 {
		t.Errorf("meanSD = %v %v", mean, sd)
	}
}

func quickParams(t *testing.T, set ...string) *config.Params {
	t.Helper()
	p, err := config.Load(config.Options{Dir: "..", Profile: "quick", Set: set})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAddingALearningRateKeepsTheOtherPoints: a grid point's name and
// parameters (hence its key) do not depend on the other values of the grid,
// so adding a learning rate trains only the new points.
func TestAddingALearningRateKeepsTheOtherPoints(t *testing.T) {
	g1, err := Build(quickParams(t), Env{Profile: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := Build(quickParams(t, "neural_regression.learning_rates=[0.01, 0.1, 0.05]"), Env{Profile: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	added := 0
	for _, s := range g2.Stages() {
		old := g1.Stage(s.Name)
		if old == nil {
			added++
			if !strings.Contains(s.Name, "lr=0.05") {
				t.Errorf("new stage %s", s.Name)
			}
			continue
		}
		// A refinement step depends on the whole grid (it replays the
		// choices): its parameters change with it, a grid point's do not.
		if strings.Contains(s.Name, "/seed=") && !strings.Contains(s.Name, "/refine/") {
			a, _ := json.Marshal(old.Params)
			b, _ := json.Marshal(s.Params)
			if string(a) != string(b) {
				t.Errorf("grid point %s changed its parameters", s.Name)
			}
		}
	}
	p := quickParams(t)
	want := len(p.NeuralRegression.Activations) * len(p.NeuralRegression.Architectures) * p.Seeds
	if added != want {
		t.Errorf("%d stages added, want %d new grid points", added, want)
	}
}

func TestDagGroupsGridPoints(t *testing.T) {
	g, err := Build(quickParams(t), Env{Profile: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	d := dagOf(g)
	if len(d.Nodes) > 60 {
		t.Errorf("%d nodes after grouping", len(d.Nodes))
	}
	found := false
	for _, n := range d.Nodes {
		if strings.HasPrefix(n, "neural/regression/* (") {
			found = true
		}
	}
	if !found {
		t.Errorf("no grouped regression node in %v", d.Nodes)
	}
}
