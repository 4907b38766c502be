package stages

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/repro-dev/repro/models"
)

// tileRun is a regression run whose validation tiles have errors base +
// noise (one draw per tile from seed s).
func tileRun(s uint64, base float64) NetRun {
	r := rand.New(rand.NewPCG(s, 3))
	se := make([]float64, 30)
	n := make([]float64, 30)
	var sum float64
	for i := range se {
		se[i] = base * (0.5 + r.Float64())
		n[i] = 4
		sum += se[i]
	}
	return NetRun{BestValErr: sum / 30, ValBlockSE: se, ValBlockN: n}
}

// hitRun is a classification run that gets the first k of 300 validation
// images right.
func hitRun(k int) NetRun {
	h := make([]byte, 300)
	for i := range k {
		h[i] = 1
	}
	return NetRun{BestValErr: 1 - float64(k)/300, ValHit: h}
}

func TestLevelWithBest(t *testing.T) {
	cfg := models.CompareConfig{Resamples: 1000, Seed: 1, Alpha: 0.05}
	tiles := func(base float64, noise uint64) []NetRun {
		return []NetRun{tileRun(1+noise, base), tileRun(2+noise, base), tileRun(3+noise, base)}
	}
	for _, c := range []struct {
		name  string
		cells map[cellKey]*tunedCell
		want  map[string]bool // "arch lr" -> level
		worse map[string]bool // "arch lr" -> worse
	}{
		{"tiles", map[cellKey]*tunedCell{
			{"a", 0.1}: {Runs: tiles(0.010, 0)},   // the best
			{"a", 1}:   {Runs: tiles(0.0101, 10)}, // 1 % worse, other noise: level
			{"b", 0.1}: {Runs: tiles(0.020, 0)},   // twice the error: worse
			{"b", 1}:   {Runs: append(tiles(0.0100, 0)[:2], NetRun{Diverged: true})},
		}, map[string]bool{"a 1": true}, map[string]bool{"b 0.1": true}},
		{"images", map[cellKey]*tunedCell{
			{"a", 0.1}: {Runs: []NetRun{hitRun(295), hitRun(294)}},
			{"a", 1}:   {Runs: []NetRun{hitRun(294), hitRun(294)}}, // one image: level
			{"b", 0.1}: {Runs: []NetRun{hitRun(260), hitRun(262)}}, // 34 images: worse
		}, map[string]bool{"a 1": true}, map[string]bool{"b 0.1": true}},
	} {
		tn := tuned{Archs: []string{"a", "b"}, LRs: []float64{0.1, 1}, Cells: c.cells, Best: cellKey{"a", 0.1}}
		h := tn.heat()
		level, worse := tn.levelWithBest(h, cfg)
		if level == nil || worse == nil {
			t.Fatalf("%s: no marks", c.name)
		}
		for i, a := range h.Archs {
			for j, lr := range h.LRs {
				k := a + " " + num(lr)
				if level[i][j] != c.want[k] {
					t.Errorf("%s: cell %s level = %v, want %v", c.name, k, level[i][j], c.want[k])
				}
				if want := c.worse[k]; worse[i][j] != want {
					t.Errorf("%s: cell %s worse = %v, want %v", c.name, k, worse[i][j], want)
				}
			}
		}
	}
	// Runs without validation units: no marks, not "nothing is level".
	tn := tuned{Archs: []string{"a"}, LRs: []float64{1}, Cells: map[cellKey]*tunedCell{{"a", 1}: {Runs: []NetRun{{BestValErr: 1}}}}, Best: cellKey{"a", 1}}
	if l, w := tn.levelWithBest(tn.heat(), cfg); l != nil || w != nil {
		t.Errorf("runs without units: marks %v %v, want nil", l, w)
	}
}

func TestLevelNote(t *testing.T) {
	h := Heat{Archs: []string{"2x8x1", "2x16x1"}, LRs: []float64{0.1, 1}}
	if s := levelNote(h, "tiles"); s != "" {
		t.Errorf("without the test: %q, want nothing", s)
	}
	h.Level = boolGrid(2, 2)
	for _, c := range []struct {
		marks [][2]int
		want  string
	}{
		{nil, "separates it from every other cell"},
		{[][2]int{{0, 1}}, "cannot separate it from 2x8x1 at $\\gamma_0 = 1$: the two are level"},
		{[][2]int{{0, 1}, {1, 0}}, "from 2x8x1 at $\\gamma_0 = 1$ and 2x16x1 at $\\gamma_0 = 0.1$: they are level"},
	} {
		h.Level = boolGrid(2, 2)
		for _, m := range c.marks {
			h.Level[m[0]][m[1]] = true
		}
		if s := levelNote(h, "tiles"); !strings.Contains(s, c.want) {
			t.Errorf("marks %v: %q, want it to say %q", c.marks, s, c.want)
		}
	}
	h = Heat{Archs: []string{"a", "b"}, LRs: []float64{1, 2, 3}, Level: [][]bool{{true, true, false}, {true, true, false}}}
	if s := levelNote(h, "tiles"); !strings.Contains(s, "4 other cells") || !strings.Contains(s, "leads a group of level cells") {
		t.Errorf("four level cells: %q", s)
	}
}

// The sentence on width follows the paired test: a lower error it
// confirms, or a tie.
func TestTerrainHeatSentenceFollowsTheTest(t *testing.T) {
	d := &reportData{Reg: []RegTune{{Label: "relu", BestArch: "2x32x32x1", BestVal: 0.010, Heat: Heat{
		Archs: []string{"2x8x8x1", "2x32x32x1"}, LRs: []float64{0.1}, Mean: [][]float64{{0.012}, {0.010}},
		Untried: boolGrid(2, 1), Diverged: boolGrid(2, 1), Level: boolGrid(2, 1), Worse: [][]bool{{true}, {false}}}}}}
	if s := d.TerrainHeatSentence(); !strings.Contains(s, "lowers the best validation MSE by 17\u00a0% for ReLU, a difference the paired test") {
		t.Errorf("separated: %q", s)
	}
	d.Reg[0].Heat.Level[0][0], d.Reg[0].Heat.Worse[0][0] = true, false
	s := d.TerrainHeatSentence()
	if strings.Contains(s, "lowers") || !strings.Contains(s, "For ReLU, the best of the study's networks of at most 8 units per layer is level with the best cell") {
		t.Errorf("level: %q", s)
	}
	d.Reg[0].Heat.Level[0][0] = false // neither: a seed diverged
	if s := d.TerrainHeatSentence(); strings.Contains(s, "confirms") || !strings.Contains(s, "no paired test was run on") {
		t.Errorf("untested: %q", s)
	}
}

// The discussion's count of level cells follows the marks: untested cells
// (a diverged seed) count neither way.
func TestHeatLevelSentence(t *testing.T) {
	d := &reportData{}
	if s := d.HeatLevelSentence(); s != "" {
		t.Errorf("without tests: %q", s)
	}
	d.Reg = []RegTune{{Heat: Heat{Level: [][]bool{{false, true, false}}, Worse: [][]bool{{false, false, true}}}}}
	d.Cls.Panels = []ClsPanel{{Heat: Heat{Level: [][]bool{{true, false}}, Worse: [][]bool{{false, false}}}}}
	if s := d.HeatLevelSentence(); !strings.Contains(s, "of the 3 cells tested against the best cell of their grid") || !strings.Contains(s, "2 (67\u00a0%) cannot be separated") {
		t.Errorf("got %q", s)
	}
}

// Cells never trained (a refinement's row or column elsewhere) are not
// neighbours: their zero mean would count as a pair far apart.
func TestSeedNoiseShareSkipsUntried(t *testing.T) {
	h := Heat{Mean: [][]float64{{0.010, 0.0101, 0}}, SD: [][]float64{{0.001, 0.001, 0}},
		Diverged: boolGrid(1, 3), Untried: [][]bool{{false, false, true}}}
	d := &reportData{Reg: []RegTune{{Heat: h}}}
	if got := d.SeedNoiseShare(); got != 1 {
		t.Errorf("share %v, want 1: the one trained pair is within an sd, the untried cell is no neighbour", got)
	}
}
