package stages

import (
	"fmt"
	"slices"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// Further splits of the digits: the outer loop over the digits data.
//
// The study splits the images once (digits.split_seed). Each seed of
// digits.resplit_seeds draws another split of the same sizes per class, so
// another training set, validation set and test set (of the same size and
// class counts). Tuning runs once, on the study's split; the networks it
// chose (the best with each output activation, and the study's own
// architecture) and the baselines (logistic regression by SGD and by
// L-BFGS, the Keras-style baseline) are trained again on each further
// split with the same seeds. The report's intervals and comparisons then
// resample splits, seeds and test images together: a method's rows are
// grouped by split, the study's first, and within a row the units are the
// split's test images in index order (the test images of two splits are
// different images, paired by position; the comparison of two methods
// pairs them on the same image, split and seed).

// Labels of the methods trained again on each further split.
const (
	ResplitSoftmax   = "softmax"          // the tuning's best softmax-output cell
	ResplitSigmoid   = "sigmoid"          // the tuning's best sigmoid-output cell
	ResplitStudy     = "study"            // the study's architecture, at the rate chosen for it
	ResplitLogistic  = "logistic-sgd"     // logistic regression by SGD
	ResplitLBFGS     = "logistic-lbfgs"   // logistic regression by L-BFGS
	ResplitKeras     = "keras-style"      // the Keras-style baseline
	ResplitKerasLong = "keras-style-long" // the Keras-style baseline trained to convergence
	ResplitKerasRaw  = "keras-style-raw"  // the Keras-style baseline on unscaled pixels
)

// ResplitSeeds are the further splits' seeds, without the study's and
// without repeats (the validation rejects both; a graph built from
// unvalidated parameters drops them).
func ResplitSeeds(d config.Digits) []uint64 {
	seen := map[uint64]bool{d.SplitSeed: true}
	var out []uint64
	for _, s := range d.ResplitSeeds {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// resplitSetsStage is the stage of a further split's scaled sets.
func resplitSetsStage(split uint64) string { return fmt.Sprintf("digits/split=%d", split) }

// resplitStage is the stage that trains the method label (a Resplit*
// constant) on a further split; prefix is the method's own stage (for a
// network, the tuning's family).
func resplitStage(prefix, label string, split uint64) string {
	if label == ResplitSoftmax || label == ResplitSigmoid || label == ResplitStudy {
		return fmt.Sprintf("neural/classification/resplit/split=%d/%s", split, label)
	}
	return fmt.Sprintf("%s/split=%d", prefix, split)
}

// digitsResplit splits and scales the digits with another seed (the sizes
// of the study's split).
func digitsResplit(_ pipeline.Ctx, p DigitsSplitParams, in DigitsInput) (DigitsSets, error) {
	s, err := splitDigits(in.Digits.Value.Labels, p)
	if err != nil {
		return DigitsSets{}, fmt.Errorf("digits split %d: %w", p.Seed, err)
	}
	return digitsSets(in.Digits.Value, s, 16), nil
}

// ResplitParams train one method on a further split, one run per seed.
// Base is the method's settings; for a network the tuning chose (Label
// ResplitSoftmax, ResplitSigmoid or ResplitStudy) the architecture, the
// activations and the rate come from the tuning. LBFGS is set for
// logistic regression by L-BFGS (one deterministic fit, no seeds).
// Unscaled feeds the pixels as they are (0 to 16), as the study fed its
// Keras benchmark.
type ResplitParams struct {
	Label    string       `json:"label"`
	Split    uint64       `json:"split"`
	Base     NetParams    `json:"base"`
	Seeds    []uint64     `json:"seeds"`
	LBFGS    *LBFGSParams `json:"lbfgs,omitempty"`
	Unscaled bool         `json:"unscaled,omitempty"`
}

// ResplitInput is the further split's sets and, for a network the tuning
// chose, the tuning (empty for a baseline, which does not depend on it).
type ResplitInput struct {
	Sets pipeline.In[DigitsSets]
	Tune []pipeline.In[ClsTune]
}

// ResplitRuns are one method's runs on a further split, one per seed (one
// for L-BFGS). The runs keep their scores and test hits, not their curves.
type ResplitRuns struct {
	Label string
	Split uint64
	// The cell trained, for a network.
	Arch, Hidden, Output string
	LR                   float64
	Runs                 []NetRun
}

// Metrics: digits.resplit.<label>.split_<seed>.test_accuracy (mean, .sd and
// per seed).
func (r ResplitRuns) Metrics() map[string]float64 {
	p := fmt.Sprintf("digits.resplit.%s.split_%d.test_accuracy", r.Label, r.Split)
	var acc []float64
	for _, x := range r.Runs {
		acc = append(acc, x.TestAcc)
	}
	m, sd := meanSD(acc)
	out := map[string]float64{p: m}
	if len(acc) > 1 {
		out[p+".sd"] = sd
		pipeline.PutSeedValues(out, p, acc)
	}
	return out
}

// chosenCell is the cell of the tuning a label names (ok false when the
// tuning has none, e.g. no sigmoid-output panel).
func chosenCell(t ClsTune, label string) (ClsBest, bool) {
	var b ClsBest
	switch label {
	case ResplitSoftmax:
		b = t.Softmax
	case ResplitSigmoid:
		b = t.Sigmoid
	case ResplitStudy:
		b = t.Study
	}
	return b, b.Arch != "" && len(b.Runs) > 0
}

func digitsResplitRuns(c pipeline.Ctx, p ResplitParams, in ResplitInput) (ResplitRuns, error) {
	s := in.Sets.Value
	if p.Unscaled {
		s = unscaled(s)
	}
	out := ResplitRuns{Label: p.Label, Split: p.Split}
	xt, yt, xv, _, xs := digitsMatrices(s)
	if p.LBFGS != nil {
		net, _, err := models.FitLogistic(xt, yt, models.LogisticOptions{L2: p.LBFGS.L2, MaxIter: p.LBFGS.MaxIter})
		if net == nil && err != nil {
			return out, fmt.Errorf("logistic regression by L-BFGS on digits split %d: %w", p.Split, err)
		}
		var r NetRun
		score(&r, net, xv, s.ValY, xs, s.TestY)
		out.Runs = []NetRun{slim(r)}
		return out, nil
	}
	base := p.Base
	if len(in.Tune) > 0 {
		cell, ok := chosenCell(in.Tune[0].Value, p.Label)
		if !ok {
			return out, nil // the tuning chose no such network: nothing to train
		}
		base.Arch, base.Hidden, base.Output, base.Train.LR = cell.Arch, cell.Hidden, cell.Output, cell.LR
	}
	out.Arch, out.Hidden, out.Output, out.LR = base.Arch, base.Hidden, base.Output, base.Train.LR
	train := clsTrainer(c, base, s)
	runs, err := parallelSeeds(c, p.Seeds, func(seed uint64) (NetRun, error) {
		r, err := train(base.Arch, base.Train.LR, seed)
		if err != nil {
			return r, fmt.Errorf("%s on digits split %d, seed %d: %w", p.Label, p.Split, seed, err)
		}
		return slim(r), nil
	})
	out.Runs = runs
	return out, err
}

// unscaled is the sets with the pixels multiplied back by 16 (exact: the
// scaling divided integers by a power of two), as digitsRaw gives them.
func unscaled(s DigitsSets) DigitsSets {
	up := func(m Matrix) Matrix {
		m.Data = slices.Clone(m.Data)
		for i := range m.Data {
			m.Data[i] *= 16
		}
		return m
	}
	s.TrainX, s.ValX, s.TestX = up(s.TrainX), up(s.ValX), up(s.TestX)
	return s
}

// slim keeps a run's scores and test hits, not its curves.
func slim(r NetRun) NetRun {
	return NetRun{Arch: r.Arch, Hidden: r.Hidden, Output: r.Output, LR: r.LR, Seed: r.Seed, BestEpoch: r.BestEpoch, EpochsRun: r.EpochsRun, Epochs: r.Epochs,
		BestValErr: r.BestValErr, Diverged: r.Diverged, DivEpoch: r.DivEpoch, Stopped: r.Stopped, ValAcc: r.ValAcc, TestAcc: r.TestAcc, TestHit: r.TestHit}
}
