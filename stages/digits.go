package stages

import (
	"fmt"
	"math/rand/v2"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/data"
	"github.com/repro-dev/repro/pipeline"
)

// DigitsLoadParams name the digits file.
type DigitsLoadParams struct {
	File string `json:"file"`
}

// digitsLoadParams sets the parameters of digits/load from params.yaml (Build calls it).
func digitsLoadParams(d config.Digits) DigitsLoadParams {
	return DigitsLoadParams{File: d.File}
}

// DigitsData are the images and labels, and where they came from.
type DigitsData struct {
	data.Digits
	File   string
	SHA256 string
}

func digitsLoad(_ pipeline.Ctx, p DigitsLoadParams, in FileInput) (DigitsData, error) {
	b := in.File.Data
	d, err := data.ReadDigitsCSV(p.File, b)
	return DigitsData{Digits: d, File: p.File, SHA256: pipeline.HashBytes(b)}, err
}

// DigitsSplitParams size the per-class split.
type DigitsSplitParams struct {
	TrainPerClass int    `json:"train_per_class"`
	ValPerClass   int    `json:"val_per_class"`
	Seed          uint64 `json:"seed"`
}

// digitsSplitParams sets the parameters of digits/split from params.yaml (Build calls it).
func digitsSplitParams(d config.Digits) DigitsSplitParams {
	return DigitsSplitParams{TrainPerClass: d.TrainPerClass, ValPerClass: d.ValPerClass, Seed: d.SplitSeed}
}

// DigitsSplit holds the image indices of each set: TrainPerClass and
// ValPerClass images of every class, chosen at random per class; the rest is
// the test set (slightly unbalanced, as the classes are). RandomCounts are the
// class counts a plain random split of the same sizes would give, for the
// comparison figure.
type DigitsSplit struct {
	Train, Val, Test []int
	Counts           [3][10]int // [set][class] of the per-class split
	RandomCounts     [3][10]int // [set][class] of a plain random split
}

// DigitsInput is the loaded digits.
type DigitsInput struct{ Digits pipeline.In[DigitsData] }

func digitsSplit(_ pipeline.Ctx, p DigitsSplitParams, in DigitsInput) (DigitsSplit, error) {
	return splitDigits(in.Digits.Value.Labels, p)
}

func splitDigits(labels []int, p DigitsSplitParams) (DigitsSplit, error) {
	var s DigitsSplit
	rng := rand.New(rand.NewPCG(p.Seed, 0x5eed))
	byClass := make([][]int, 10)
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	inSet := make([]int, len(labels)) // 0 test, 1 train, 2 validation
	for k, idx := range byClass {
		if len(idx) <= p.TrainPerClass+p.ValPerClass {
			return s, fmt.Errorf("class %d has %d images, fewer than train_per_class + val_per_class + 1 = %d", k, len(idx), p.TrainPerClass+p.ValPerClass+1)
		}
		perm := rng.Perm(len(idx))
		for j, pi := range perm {
			switch {
			case j < p.TrainPerClass:
				inSet[idx[pi]] = 1
			case j < p.TrainPerClass+p.ValPerClass:
				inSet[idx[pi]] = 2
			}
		}
	}
	for i, set := range inSet {
		switch set {
		case 1:
			s.Train = append(s.Train, i)
			s.Counts[0][labels[i]]++
		case 2:
			s.Val = append(s.Val, i)
			s.Counts[1][labels[i]]++
		default:
			s.Test = append(s.Test, i)
			s.Counts[2][labels[i]]++
		}
	}
	perm := rng.Perm(len(labels))
	for j, i := range perm {
		set := 2
		switch {
		case j < len(s.Train):
			set = 0
		case j < len(s.Train)+len(s.Val):
			set = 1
		}
		s.RandomCounts[set][labels[i]]++
	}
	return s, nil
}

// DigitsSets are the scaled inputs (pixels / 16, so in [0, 1]) and labels of
// each set.
type DigitsSets struct {
	TrainX, ValX, TestX Matrix
	TrainY, ValY, TestY []int
}

// DigitsScaleInput is what digits/scale reads.
type DigitsScaleInput struct {
	Digits pipeline.In[DigitsData]
	Split  pipeline.In[DigitsSplit]
}

func digitsScale(_ pipeline.Ctx, _ struct{}, in DigitsScaleInput) (DigitsSets, error) {
	return digitsSets(in.Digits.Value, in.Split.Value, 16), nil
}

// digitsRaw is the same sets with the pixels unscaled (0 to 16), as the
// study fed them to its Keras benchmark.
func digitsRaw(_ pipeline.Ctx, _ struct{}, in DigitsScaleInput) (DigitsSets, error) {
	return digitsSets(in.Digits.Value, in.Split.Value, 1), nil
}

// digitsSets picks the images of each set, pixels divided by div.
func digitsSets(d DigitsData, s DigitsSplit, div float64) DigitsSets {
	pick := func(idx []int) (Matrix, []int) {
		m := Matrix{Rows: len(idx), Cols: data.DigitsPixels}
		var y []int
		for _, i := range idx {
			for _, v := range d.Images[i] {
				m.Data = append(m.Data, v/div)
			}
			y = append(y, d.Labels[i])
		}
		return m, y
	}
	var out DigitsSets
	out.TrainX, out.TrainY = pick(s.Train)
	out.ValX, out.ValY = pick(s.Val)
	out.TestX, out.TestY = pick(s.Test)
	return out
}
