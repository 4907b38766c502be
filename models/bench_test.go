package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

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
		step, _ = epoch(tr, n.theta, opt, perm, rng, tc.BatchSize, step, Schedule{LR0: tc.LR0, Decay: tc.Decay, RampUp: tc.RampUp})
	}
	b.StopTimer()
	if err := checkFinite(n.theta, "parameters"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDigitsEpoch is one epoch of the peers' digits network: 64-32-10,
// ReLU hidden layer, softmax output with cross-entropy, SGD with momentum
// 0.6 and learning rate 0.05, on 720 training images (72 per class), with
// mini-batches of 20 and 128; and of the wider 64-64-10 with mini-batches of
// 20. The images are the real ones (about half of their pixels are zero,
// which the sparse kernels skip, as are the zeros of the ReLU layer), so
// GFLOP/s counts the multiply-adds of the dense products (terrainFLOPs) per
// second: an equivalent rate, above what the kernels actually execute.
func BenchmarkDigitsEpoch(b *testing.B) {
	s := loadDigits(b).split(0, 72)
	for _, c := range []struct {
		name          string
		hidden, batch int
	}{{"batch=20", 32, 20}, {"batch=128", 32, 128}, {"net=64x64x10/batch=20", 64, 20}} {
		b.Run(c.name, func(b *testing.B) {
			n := NewNetwork(NetConfig{
				Inputs: 64,
				Layers: []Layer{{c.hidden, ReLU}, {10, Softmax}},
				Init:   InitHe,
				Cost:   CostCrossEntropy,
			}, 1)
			rows, _ := s.xTrain.Dims()
			c0 := cpuTime()
			benchEpoch(b, n, s.xTrain, s.yTrain, TrainConfig{BatchSize: c.batch, LR0: 0.05, Momentum: 0.6, Seed: 1})
			reportFLOPs(b, terrainFLOPs([]int{64, c.hidden, 10}, rows), cpuTime()-c0)
		})
	}
}

// reportFLOPs reports GFLOP/s for flops floating-point operations per
// iteration and, if the process's CPU time over the benchmark is known, the
// CPU time per iteration and GFLOP per CPU second.
func reportFLOPs(b *testing.B, flops float64, cpu time.Duration) {
	total := flops * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(total/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkTerrainEpoch is one epoch of the study's terrain networks
// 2x8x8x1, 2x32x32x1 and 2x64x64x1 (sigmoid hidden layers, identity output,
// MSE, He initialisation, as in params.yaml) on the 400 points of a 20×20
// grid, mini-batch 20, SGD with momentum 0.6. Besides ns/op it reports the
// achieved GFLOP/s, counting two floating-point operations per multiply-add
// of the forward pass, of the weight gradient and of the backpropagated error
// (terrainFLOPs); activations, biases and the update are not counted. With
// sigmoid hidden layers no activation is exactly zero, so the sparse kernels
// do every multiply-add counted. On a machine that other processes keep
// busy, wall time measures the share of a core the benchmark got: it also
// reports the process's CPU time per epoch (cpu-ns/op, getrusage(2), which
// includes the few microseconds of setup) and GFLOP per CPU second, the
// figures to compare across loads. bench/terrain_peers.py times PyTorch on the
// same networks (docs/benchmarks.md).
func BenchmarkTerrainEpoch(b *testing.B) {
	x, y := terrainGrid()
	for _, hidden := range []int{8, 32, 64} {
		sizes := []int{2, hidden, hidden, 1}
		b.Run(fmt.Sprintf("net=2x%dx%dx1", hidden, hidden), func(b *testing.B) {
			n := NewNetwork(NetConfig{
				Inputs: 2,
				Layers: []Layer{{hidden, Sigmoid}, {hidden, Sigmoid}, {1, Identity}},
				Init:   InitHe,
				Cost:   CostMSE,
			}, 1)
			c0 := cpuTime()
			benchEpoch(b, n, x, y, TrainConfig{BatchSize: 20, LR0: 0.01, Momentum: 0.6, Seed: 1})
			reportFLOPs(b, terrainFLOPs(sizes, 400), cpuTime()-c0)
		})
	}
}

// terrainGrid is the benchmarks' terrain data: the 400 points of a 20×20
// grid of the unit square and a smooth surface over them.
func terrainGrid() (x, y *mat.Dense) {
	x = mat.NewDense(400, 2, nil)
	y = mat.NewDense(400, 1, nil)
	for i := 0; i < 400; i++ {
		u, v := float64(i%20)/19, float64(i/20)/19
		x.SetRow(i, []float64{u, v})
		y.Set(i, 0, 0.3+0.2*math.Sin(3*u)*math.Cos(2*v))
	}
	return x, y
}

// terrainFLOPs is the number of floating-point operations of one epoch over
// rows samples of a dense network with the given layer sizes (inputs first):
// per sample and layer of k inputs and o nodes, k·o multiply-adds forward,
// k·o for the weight gradient and, above the first layer, k·o for the error
// passed down; two operations each.
func terrainFLOPs(sizes []int, rows int) float64 {
	var macs int
	for l := 0; l+1 < len(sizes); l++ {
		ko := sizes[l] * sizes[l+1]
		macs += 2 * ko
		if l > 0 {
			macs += ko
		}
	}
	return 2 * float64(macs) * float64(rows)
}

// BenchmarkTrainStage is one training run as a stage of the study runs it,
// per-epoch evaluations included: a terrain network (2x32x32x1, ReLU, He,
// the default profile's schedule, 360 training and 340 validation points,
// the default profile's split)
// and a digits network (64x32x10, ReLU, softmax, Glorot, 720 training and
// 720 validation images). Profile one with
//
//	go test ./models -run '^$' -bench 'TrainStage/terrain' -cpuprofile cpu.out
func BenchmarkTrainStage(b *testing.B) {
	// The terrain stages evaluate the training set at the first and the
	// last epoch only (TrainEvery); "terrain-every-epoch" is the same run
	// evaluating it every epoch, as they did before.
	for _, c := range []struct {
		name  string
		every int
	}{{"terrain", 100}, {"terrain-every-epoch", 0}} {
		b.Run(c.name, func(b *testing.B) {
			x, y := terrainLike(1, 360)
			xv, yv := terrainLike(2, 340)
			tc := TrainConfig{Epochs: 100, BatchSize: 20, LR0: 0.3, Momentum: 0.6, Decay: 0.0001, RampUp: 100, Seed: 1, TrainEvery: c.every}
			for range b.N {
				n := NewNetwork(NetConfig{Inputs: 2, Layers: []Layer{{32, ReLU}, {32, ReLU}, {1, Identity}}, Init: InitHe, Cost: CostMSE}, 1)
				if _, err := n.Train(x, y, xv, yv, tc, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("digits", func(b *testing.B) {
		s := loadDigits(b).split(0, 72)
		tc := TrainConfig{Epochs: 20, BatchSize: 20, LR0: 0.3, Momentum: 0.6, Decay: 0.0001, RampUp: 50, Monitor: MonitorErrorRate, Seed: 1}
		for range b.N {
			n := NewNetwork(NetConfig{Inputs: 64, Layers: []Layer{{32, ReLU}, {10, Softmax}}, Init: InitGlorot, Cost: CostCrossEntropy}, 1)
			if _, err := n.Train(s.xTrain, s.yTrain, s.xVal, s.yVal, tc, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
