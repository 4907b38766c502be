package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// benchEpoch times one training epoch (shuffle, then a gradient and an
// update per mini-batch) of the loop used by Train, without the per-epoch
// evaluation, on preallocated buffers.
func benchEpoch(b *testing.B, n *Network, x, y *mat.Dense, tc TrainConfig) {
	tr, err := n.newTrainer(x, y, nil, nil, tc.BatchSize)
	if err != nil {
		b.Fatal(err)
	}
	opt := newOptimizer(tc, n.NumParams())
	perm := make([]int, tr.nt)
	for i := range perm {
		perm[i] = i
	}
	rng := rand.New(rand.NewPCG(tc.Seed, shuffleStream))
	step := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step, _ = epoch(tr, n.theta, opt, perm, rng, tc.BatchSize, step, tc.LR0, tc.Decay, tc.RampUp)
	}
	b.StopTimer()
	if err := checkFinite(n.theta, "parameters"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDigitsEpoch is one epoch of the peers' digits network: 64-32-10,
// ReLU hidden layer, softmax output with cross-entropy, SGD with momentum
// 0.6 and learning rate 0.05, on 720 training images (72 per class).
func BenchmarkDigitsEpoch(b *testing.B) {
	s := loadDigits(b).split(0, 72)
	for _, batch := range []int{20, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			n := NewNetwork(NetConfig{
				Inputs: 64,
				Layers: []Layer{{32, ReLU}, {10, Softmax}},
				Init:   InitHe,
				Cost:   CostCrossEntropy,
			}, 1)
			benchEpoch(b, n, s.xTrain, s.yTrain, TrainConfig{BatchSize: batch, LR0: 0.05, Momentum: 0.6, Seed: 1})
		})
	}
}

// BenchmarkTerrainEpoch is one epoch of the study's terrain network
// 2-8-8-1 (sigmoid hidden layers, identity output, MSE) on the 400 points of
// a 20×20 grid, mini-batch 20, SGD with momentum 0.6.
func BenchmarkTerrainEpoch(b *testing.B) {
	x := mat.NewDense(400, 2, nil)
	y := mat.NewDense(400, 1, nil)
	for i := 0; i < 400; i++ {
		u, v := float64(i%20)/19, float64(i/20)/19
		x.SetRow(i, []float64{u, v})
		y.Set(i, 0, 0.3+0.2*math.Sin(3*u)*math.Cos(2*v))
	}
	n := NewNetwork(terrainConfig(Sigmoid), 1)
	benchEpoch(b, n, x, y, TrainConfig{BatchSize: 20, LR0: 0.01, Momentum: 0.6, Seed: 1})
}
