package models

import (
	"slices"
	"testing"
)

// TrainEvery skips the training set's evaluation between its epochs and
// changes nothing else: the same trajectory, validation errors, best epoch
// and parameters, the same training errors where evaluated, and the last
// epoch always evaluated (at the end of the budget, at an early stop).
func TestTrainEverySkipsOnlyTheTrainingCost(t *testing.T) {
	x, y := terrainLike(1, 200)
	xv, yv := terrainLike(2, 100)
	for _, tc := range []TrainConfig{
		{Epochs: 23, BatchSize: 20, LR0: 0.3, Momentum: 0.6, Seed: 1},
		{Epochs: 400, BatchSize: 20, LR0: 0.3, Momentum: 0.6, Seed: 1, Patience: 3}, // stops early
	} {
		full := NewNetwork(terrainConfig(ReLU), 3)
		hf, err := full.Train(x, y, xv, yv, tc, nil)
		if err != nil {
			t.Fatal(err)
		}
		sparse := NewNetwork(terrainConfig(ReLU), 3)
		tc.TrainEvery = 5
		hs, err := sparse.Train(x, y, xv, yv, tc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(full.theta, sparse.theta) || hf.BestEpoch != hs.BestEpoch || hf.BestValErr != hs.BestValErr || len(hf.Epochs) != len(hs.Epochs) || hf.Stopped != hs.Stopped {
			t.Fatalf("epochs %d: TrainEvery changed the run: best %d/%d, %d/%d epochs, stopped %q/%q", tc.Epochs, hf.BestEpoch, hs.BestEpoch, len(hf.Epochs), len(hs.Epochs), hf.Stopped, hs.Stopped)
		}
		last := len(hs.Epochs) - 1
		if tc.Patience > 0 && (hs.Stopped != StopEarly || last%5 == 0) {
			t.Fatalf("the early-stopping case should stop at an epoch TrainEvery skips: stopped %q at %d", hs.Stopped, last)
		}
		skipped := 0
		for e := range hs.Epochs {
			f, s := hf.Epochs[e], hs.Epochs[e]
			if f.ValCost != s.ValCost || f.ValErr != s.ValErr {
				t.Fatalf("epoch %d: validation %v, want %v", e, s.ValCost, f.ValCost)
			}
			want := e%5 == 0 || e == last
			if s.TrainSkipped == want {
				t.Errorf("epoch %d of 0..%d: TrainSkipped %v", e, last, s.TrainSkipped)
			}
			if s.TrainSkipped {
				skipped++
				if s.TrainCost != 0 || s.TrainErr != 0 {
					t.Errorf("epoch %d: skipped but training cost %v", e, s.TrainCost)
				}
			} else if s.TrainCost != f.TrainCost || s.TrainErr != f.TrainErr {
				t.Errorf("epoch %d: training cost %v, want %v", e, s.TrainCost, f.TrainCost)
			}
		}
		if skipped == 0 {
			t.Errorf("epochs %d: nothing skipped", tc.Epochs)
		}
		historyFinite(t, hs)
	}
}

// Between evaluations of the training set, divergence is seen on the
// validation cost.
func TestTrainEveryStillSeesDivergence(t *testing.T) {
	x, y := terrainLike(1, 200)
	xv, yv := terrainLike(2, 100)
	n := NewNetwork(terrainConfig(ReLU), 3)
	h, err := n.Train(x, y, xv, yv, TrainConfig{Epochs: 50, BatchSize: 20, LR0: 100, Momentum: 0.5, Seed: 1, TrainEvery: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Diverged || h.Stopped != StopDiverged || h.DivergedEpoch >= 50 {
		t.Fatalf("lr 100 with TrainEvery 1000: diverged %v at epoch %d", h.Diverged, h.DivergedEpoch)
	}
	historyFinite(t, h)
	if err := (TrainConfig{Epochs: 1, BatchSize: 1, LR0: 1, TrainEvery: -1}).Validate(); err == nil {
		t.Error("TrainEvery -1 validates")
	}
}
