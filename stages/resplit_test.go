package stages

import (
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/data"
	"github.com/repro-dev/repro/models"
)

func TestResplitSeeds(t *testing.T) {
	got := ResplitSeeds(config.Digits{SplitSeed: 7, ResplitSeeds: []uint64{8, 7, 9, 8}})
	if want := []uint64{8, 9}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v (the study's seed and repeats dropped)", got, want)
	}
}

// testDigits reads the repository's digits.
func testDigits(t *testing.T) DigitsData {
	t.Helper()
	b, err := os.ReadFile("../data/digits.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	d, err := data.ReadDigitsCSV("digits.csv.gz", b)
	if err != nil {
		t.Fatal(err)
	}
	return DigitsData{Digits: d}
}

// TestDigitsResplit: a further split has the study's sizes and class
// counts in every set, other images, and its unscaled pixels are the raw
// ones exactly.
func TestDigitsResplit(t *testing.T) {
	d := testDigits(t)
	p := DigitsSplitParams{TrainPerClass: 40, ValPerClass: 20, Seed: 2020}
	study, err := splitDigits(d.Labels, p)
	if err != nil {
		t.Fatal(err)
	}
	p.Seed = 2021
	sets, err := digitsResplit(nil, p, DigitsInput{val(d)})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := splitDigits(d.Labels, p)
	if !reflect.DeepEqual(sets, digitsSets(d, other, 16)) {
		t.Fatal("the resplit's sets are not the split's scaled sets")
	}
	if other.Counts != study.Counts {
		t.Errorf("class counts %v, study's %v: want the same in every set", other.Counts, study.Counts)
	}
	if slices.Equal(other.Test, study.Test) {
		t.Error("the further split has the study's test images")
	}
	if raw := digitsSets(d, other, 1); !reflect.DeepEqual(unscaled(sets), raw) {
		t.Error("unscaled sets differ from the raw pixels")
	}
}

// TestResplitRows: a digits method gains the rows of its model on the
// further splits; a run of another cell, or a split with fewer seeds,
// leaves it on the study's split.
func TestResplitRows(t *testing.T) {
	hits := func(v ...byte) NetRun { return NetRun{TestHit: v} }
	cell := ClsBest{Arch: "64x10", Hidden: "relu", Output: "softmax", LR: 0.1, Runs: []NetRun{hits(1, 0), hits(1, 1)}}
	d := &reportData{Cls: ClsTune{Best: cell, Softmax: cell}, Resplit: []ResplitRuns{
		{Label: ResplitSoftmax, Split: 1, Arch: "64x10", Hidden: "relu", Output: "softmax", LR: 0.1, Runs: []NetRun{hits(0, 0), hits(0, 1)}},
		{Label: ResplitSoftmax, Split: 2, Arch: "64x10", Hidden: "relu", Output: "softmax", LR: 0.1, Runs: []NetRun{hits(1, 0), hits(0, 0)}},
		{Label: ResplitLBFGS, Split: 1, Runs: []NetRun{hits(1, 1)}},
		{Label: ResplitKeras, Split: 1, Runs: []NetRun{hits(1, 1)}},
	}}
	m := d.bestNetMethod("best")
	if m.Places != 3 || len(m.Runs) != 6 || !slices.Equal(m.Runs[2], []float64{0, 0}) {
		t.Errorf("best network: %+v, want 3 splits of 2 seeds", m)
	}
	if m := d.lbfgsMethod(); m.places() != 1 {
		// The study's L-BFGS fit has no test hits here: nothing to extend.
		t.Errorf("L-BFGS without hits: %+v", m)
	}
	d.LBFGS.TestHit = []byte{0, 1}
	if m := d.lbfgsMethod(); m.Places != 2 || len(m.Runs) != 2 {
		t.Errorf("L-BFGS: %+v, want one row on each of 2 splits", m)
	}
	d.Keras.Runs = []NetRun{hits(1, 1), hits(1, 0)}
	if m := d.kerasMethod("k"); m.places() != 1 || len(m.Runs) != 2 {
		t.Errorf("Keras-style with one seed on the further split: %+v, want the study's split alone", m)
	}
	d.Resplit[1].LR = 0.2
	if m := d.bestNetMethod("best"); m.places() != 1 {
		t.Errorf("a further split that trained another cell is used: %+v", m)
	}
	if got := digitsOver(497, 3); !strings.Contains(got, "3 splits") || !strings.Contains(got, "497 test images") {
		t.Errorf("digitsOver(497, 3) = %q", got)
	}
}

// TestResplitChangesVerdict: two digits methods level on the study's split
// are separated once further splits where one is consistently better are
// added, and the sentence says what it covers.
func TestResplitChangesVerdict(t *testing.T) {
	const n, seeds = 400, 3
	run := func(seed uint64, acc float64) []NetRun {
		rng := rand.New(rand.NewPCG(seed, 1))
		var out []NetRun
		for range seeds {
			h := make([]byte, n)
			for i := range h {
				if rng.Float64() < acc {
					h[i] = 1
				}
			}
			out = append(out, NetRun{TestHit: h})
		}
		return out
	}
	cellA := ClsBest{Arch: "a", Hidden: "relu", Output: "softmax", Runs: run(1, 0.95)}
	d := &reportData{Cls: ClsTune{Best: cellA, Softmax: cellA}, Keras: SeedsSummary{Runs: run(2, 0.95)}}
	a, k := d.bestNetMethod("A"), d.kerasMethod("K")
	if c := d.compare(a, k); c.Outcome != models.Level {
		t.Fatalf("study's split alone: %v (p %g), want level", c.Outcome, c.P)
	}
	for split := uint64(1); split <= 4; split++ {
		d.Resplit = append(d.Resplit,
			ResplitRuns{Label: ResplitSoftmax, Split: split, Arch: "a", Hidden: "relu", Output: "softmax", Runs: run(10+split, 0.97)},
			ResplitRuns{Label: ResplitKeras, Split: split, Runs: run(20+split, 0.92)})
	}
	a, k = d.bestNetMethod("A"), d.kerasMethod("K")
	if c := d.compare(a, k); c.Outcome != models.Better {
		t.Errorf("with splits where A is better: %v (diff %g in [%g, %g], p %g), want A better", c.Outcome, c.Diff, c.Lo, c.Hi, c.P)
	}
	if s := d.versus(a, k); !strings.Contains(s, "5 splits of the digits") {
		t.Errorf("the sentence does not say it covers the splits: %q", s)
	}
}
