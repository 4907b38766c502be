package models

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenTrainingPath holds the float bits TestTrainingGolden compares.
var goldenTrainingPath = filepath.Join("testdata", "training.golden")

// TestTrainingGolden trains small networks for a few epochs with fixed seeds
// and compares every parameter, every per-epoch cost and accuracy and the
// first 200 predictions on the validation set, bit for bit (math.Float64bits in hex),
// with testdata/training.golden: regression networks 2x8x8x1 with sigmoid,
// ReLU and leaky ReLU hidden layers, each with SGD with momentum and with
// Adam, and digits classifiers with a softmax and a sigmoid output. Unlike
// TestTrainingBitsUnchanged's hashes, a failure names the first values that
// differ. Regenerate with
//
//	go test ./models -run TestTrainingGolden -update
//
// only for an intended change of the numerics, and say so in the commit.
func TestTrainingGolden(t *testing.T) {
	sgd := TrainConfig{Epochs: 5, BatchSize: 16, LR0: 0.2, Momentum: 0.6, Decay: 0.001, RampUp: 3, KeepLast: true, Seed: 3}
	adam := TrainConfig{Epochs: 5, BatchSize: 16, Optimizer: Adam, LR0: 0.01, KeepLast: true, Seed: 4}
	type run struct {
		name string
		cfg  NetConfig
		tc   TrainConfig
	}
	var runs []run
	for _, act := range []Activation{Sigmoid, ReLU, LeakyReLU} {
		cfg := NetConfig{Inputs: 2, Layers: []Layer{{8, act}, {8, act}, {1, Identity}}, Init: InitHe, Cost: CostMSE}
		runs = append(runs, run{"2x8x8x1 " + string(act) + " sgd", cfg, sgd}, run{"2x8x8x1 " + string(act) + " adam", cfg, adam})
	}
	runs[1].cfg.L2 = 1e-3 // sigmoid with Adam: the penalty too
	digitsSGD := TrainConfig{Epochs: 4, BatchSize: 20, LR0: 0.3, Momentum: 0.6, KeepLast: true, Monitor: MonitorErrorRate, Seed: 5}
	runs = append(runs,
		run{"64x8x10 relu softmax sgd", NetConfig{Inputs: 64, Layers: []Layer{{8, ReLU}, {10, Softmax}}, Init: InitGlorot, Cost: CostCrossEntropy}, digitsSGD},
		run{"64x8x10 relu softmax adam", NetConfig{Inputs: 64, Layers: []Layer{{8, ReLU}, {10, Softmax}}, Init: InitHe, Cost: CostCrossEntropy},
			TrainConfig{Epochs: 4, BatchSize: 20, Optimizer: Adam, LR0: 0.01, KeepLast: true, Seed: 6}},
		run{"64x8x10 sigmoid sigmoid-output sgd", NetConfig{Inputs: 64, Layers: []Layer{{8, Sigmoid}, {10, Sigmoid}}, Init: InitNormal, Cost: CostCrossEntropy}, digitsSGD},
	)

	var got []string
	for _, r := range runs {
		n, h, xvv := trainSmall(t, r.cfg, r.tc)
		add := func(field string, v []float64) {
			hex := make([]string, len(v))
			for i, f := range v {
				hex[i] = fmt.Sprintf("%016x", math.Float64bits(f))
			}
			got = append(got, r.name+": "+field+": "+strings.Join(hex, " "))
		}
		add("theta", n.theta)
		for _, e := range h.Epochs {
			add(fmt.Sprintf("epoch%d", e.Epoch), []float64{e.TrainCost, e.ValCost, e.TrainAcc, e.ValAcc})
		}
		p := n.Predict(xvv).RawMatrix().Data
		add("predict", p[:min(len(p), 200)])
	}

	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenTrainingPath, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d lines to %s", len(got), goldenTrainingPath)
		return
	}
	f, err := os.Open(goldenTrainingPath)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		want = append(want, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("got %d values, want %d", len(got), len(want))
	}
	bad := 0
	for i := range min(len(got), len(want)) {
		gp, wp := strings.SplitN(got[i], ": ", 3), strings.SplitN(want[i], ": ", 3)
		if len(gp) != 3 || len(wp) != 3 || gp[0] != wp[0] || gp[1] != wp[1] {
			t.Fatalf("line %d of %s is %.40q..., want %.40q...", i+1, goldenTrainingPath, want[i], got[i])
		}
		g, w := strings.Fields(gp[2]), strings.Fields(wp[2])
		if len(g) != len(w) {
			t.Errorf("%s, %s: got %d values, want %d", gp[0], gp[1], len(g), len(w))
			bad++
			continue
		}
		for j := range g {
			if g[j] != w[j] {
				if bad < 10 {
					t.Errorf("%s, %s[%d]: got %s, want %s", gp[0], gp[1], j, g[j], w[j])
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d values differ", bad)
	}
}

// trainSmall trains a network with cfg, initialised with seed 11, by tc: on
// 120 terrain points (60 for validation) for two inputs, on 200 digits
// images (200 for validation) for 64. It returns the network, its history
// and the validation inputs.
func trainSmall(t *testing.T, cfg NetConfig, tc TrainConfig) (*Network, History, *mat.Dense) {
	t.Helper()
	n := NewNetwork(cfg, 11)
	var x, y, xv, yv *mat.Dense
	if cfg.Inputs == 64 {
		s := loadDigits(t).split(0, 20)
		x, y, xv, yv = s.xTrain, s.yTrain, s.xVal, s.yVal
	} else {
		x, y = terrainLike(1, 120)
		xv, yv = terrainLike(2, 60)
	}
	h, err := n.Train(x, y, xv, yv, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, h, xv
}
