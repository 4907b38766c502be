package models

import (
	"bufio"
	"compress/gzip"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// digits holds the 1797 digit images, pixels scaled by 1/16.
type digits struct {
	x      [][]float64
	labels []int
}

var (
	digitsOnce sync.Once
	digitsData digits
	digitsErr  error
)

// loadDigits reads ../data/digits.csv.gz: 64 pixel columns (0..16) then the
// label, no header.
func loadDigits(tb testing.TB) digits {
	tb.Helper()
	digitsOnce.Do(func() {
		f, err := os.Open("../data/digits.csv.gz")
		if err != nil {
			digitsErr = err
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			digitsErr = err
			return
		}
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			fields := strings.Split(strings.TrimSpace(sc.Text()), ",")
			if len(fields) != 65 {
				continue
			}
			row := make([]float64, 64)
			for j := range row {
				v, err := strconv.ParseFloat(fields[j], 64)
				if err != nil {
					digitsErr = err
					return
				}
				row[j] = v / 16
			}
			l, err := strconv.Atoi(fields[64])
			if err != nil {
				digitsErr = err
				return
			}
			digitsData.x = append(digitsData.x, row)
			digitsData.labels = append(digitsData.labels, l)
		}
		digitsErr = sc.Err()
	})
	if digitsErr != nil {
		tb.Fatalf("reading digits: %v", digitsErr)
	}
	if len(digitsData.labels) != 1797 {
		tb.Fatalf("digits: %d rows, want 1797", len(digitsData.labels))
	}
	return digitsData
}

// digitsSplit is one per-class random split into training, validation and
// test sets.
type digitsSplit struct {
	xTrain, yTrain, xVal, yVal, xTest, yTest *mat.Dense
	lTrain, lVal, lTest                      []int
}

// split puts perClass random images of every class in training, perClass
// more in validation and the rest in the test set.
func (d digits) split(seed uint64, perClass int) digitsSplit {
	rng := rand.New(rand.NewPCG(seed, 0))
	var tr, va, te []int
	for c := 0; c < 10; c++ {
		var idx []int
		for i, l := range d.labels {
			if l == c {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		tr = append(tr, idx[:perClass]...)
		va = append(va, idx[perClass:2*perClass]...)
		te = append(te, idx[2*perClass:]...)
	}
	var s digitsSplit
	s.xTrain, s.yTrain, s.lTrain = d.subset(tr)
	s.xVal, s.yVal, s.lVal = d.subset(va)
	s.xTest, s.yTest, s.lTest = d.subset(te)
	return s
}

func (d digits) subset(idx []int) (*mat.Dense, *mat.Dense, []int) {
	x := mat.NewDense(len(idx), 64, nil)
	labels := make([]int, len(idx))
	for i, r := range idx {
		x.SetRow(i, d.x[r])
		labels[i] = d.labels[r]
	}
	return x, OneHot(labels, 10), labels
}

func TestDigitsNetwork(t *testing.T) {
	s := loadDigits(t).split(1, 72)
	for _, tc := range []struct {
		name    string
		out     Activation
		minTest float64
	}{
		{"softmax", Softmax, 0.95},
		{"sigmoid", Sigmoid, 0.93}, // the study's workaround also trains
	} {
		n := NewNetwork(NetConfig{
			Inputs: 64,
			Layers: []Layer{{32, ReLU}, {10, tc.out}},
			Init:   InitHe,
			Cost:   CostCrossEntropy,
		}, 1)
		h, err := n.Train(s.xTrain, s.yTrain, s.xVal, s.yVal, TrainConfig{
			Epochs: 60, BatchSize: 20, LR0: 0.05, Momentum: 0.6, Patience: 20, Monitor: MonitorErrorRate, Seed: 1,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		historyFinite(t, h)
		acc := Accuracy(s.lTest, n.PredictClass(s.xTest))
		t.Logf("%s: best epoch %d of %d, validation accuracy %.4f, test accuracy %.4f", tc.name, h.BestEpoch, len(h.Epochs)-1, 1-h.BestValErr, acc)
		if h.Diverged || acc < tc.minTest {
			t.Errorf("%s: test accuracy %.4f (diverged %v), want >= %.2f", tc.name, acc, h.Diverged, tc.minTest)
		}
		if got := h.Epochs[h.BestEpoch].ValAcc; got != Accuracy(s.lVal, n.PredictClass(s.xVal)) {
			t.Errorf("%s: restored network's validation accuracy differs from the best epoch's %v", tc.name, got)
		}
		cm := ConfusionMatrix(s.lTest, n.PredictClass(s.xTest), 10)
		var diag, total int
		for i := range cm {
			for j, v := range cm[i] {
				total += v
				if i == j {
					diag += v
				}
			}
		}
		if total != len(s.lTest) || float64(diag)/float64(total) != acc {
			t.Errorf("%s: confusion matrix total %d diagonal %d inconsistent with accuracy %v", tc.name, total, diag, acc)
		}
	}
}

func TestDigitsLogistic(t *testing.T) {
	s := loadDigits(t).split(1, 72)
	n, res, err := FitLogistic(s.xTrain, s.yTrain, LogisticOptions{L2: 1e-4})
	if err != nil {
		t.Fatalf("FitLogistic: %v (%+v)", err, res)
	}
	acc := Accuracy(s.lTest, n.PredictClass(s.xTest))
	t.Logf("L-BFGS: %+v, test accuracy %.4f", res, acc)
	if acc < 0.94 {
		t.Errorf("L-BFGS logistic test accuracy %.4f, want >= 0.94", acc)
	}
	if res.GradNorm > 1e-4 {
		t.Errorf("gradient at the L-BFGS solution %v, want ~0", res.GradNorm)
	}

	// The same model trained by SGD approaches the L-BFGS optimum from above.
	const l2 = 1e-3
	_, res, err = FitLogistic(s.xTrain, s.yTrain, LogisticOptions{L2: l2})
	if err != nil {
		t.Fatal(err)
	}
	m := NewLogistic(64, 10, l2, 1)
	h, err := m.Train(s.xTrain, s.yTrain, s.xVal, s.yVal, TrainConfig{
		Epochs: 100, BatchSize: 20, LR0: 0.2, Momentum: 0.6, Decay: 1e-3, Seed: 1, KeepLast: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sgdCost := m.Cost(s.xTrain, s.yTrain) + m.penalty()
	sgdAcc := Accuracy(s.lTest, m.PredictClass(s.xTest))
	t.Logf("SGD logistic: penalised cost %.5f (L-BFGS %.5f), test accuracy %.4f", sgdCost, res.Cost, sgdAcc)
	if h.Diverged || sgdCost < res.Cost-1e-9 || sgdCost > 1.1*res.Cost || sgdAcc < 0.93 {
		t.Errorf("SGD logistic: cost %v vs optimum %v, accuracy %v", sgdCost, res.Cost, sgdAcc)
	}
}
