package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Optimizer names the update rule of the training loop.
type Optimizer string

// The optimisers of TrainConfig.
const (
	SGD  Optimizer = "sgd"  // SGD with momentum: v ← μv + lr·g, θ ← θ - v
	Adam Optimizer = "adam" // Adam with bias correction, Keras' formulation
)

// Monitor names the error that early stopping and the choice of the best
// epoch look at.
type Monitor string

// The monitored errors of TrainConfig.
const (
	MonitorCost      Monitor = "cost"       // the data cost (MSE or cross-entropy)
	MonitorErrorRate Monitor = "error_rate" // 1 - accuracy, classifiers only
)

// Reasons a training run stopped, as reported in History.Stopped.
const (
	StopEpochs   = "epochs"         // all epochs ran
	StopEarly    = "early_stopping" // the validation error stopped improving
	StopDiverged = "diverged"       // see History.Diverged
)

// Keras' defaults for Adam, used for the zero values of TrainConfig.
const (
	DefaultAdamLR      = 0.001
	DefaultAdamBeta1   = 0.9
	DefaultAdamBeta2   = 0.999
	DefaultAdamEpsilon = 1e-7
)

// DivergenceFactor is the ratio of the training cost to its initial value
// above which a run is declared diverged.
const DivergenceFactor = 1e6

// TrainConfig configures the mini-batch training loop shared by Network and
// Linear. The zero values of the optional fields select the defaults given.
type TrainConfig struct {
	Epochs    int // number of passes over the training set, >= 1
	BatchSize int // mini-batch size, >= 1 (the last batch of an epoch may be smaller)

	// Learning-rate schedule, see Schedule and LearningRate. LR0 must be
	// positive for SGD; for Adam 0 selects 0.001.
	LR0    float64
	Decay  float64
	RampUp int

	Optimizer Optimizer // SGD (default) or Adam
	Momentum  float64   // μ of SGD, in [0, 1)
	Beta1     float64   // Adam β1, 0 selects 0.9
	Beta2     float64   // Adam β2, 0 selects 0.999
	Epsilon   float64   // Adam ε, 0 selects 1e-7

	// Patience is the early-stopping window n: every n epochs the mean
	// monitored validation error of the last n epochs is compared with
	// that of the n epochs before. 0 disables early stopping.
	Patience int
	Monitor  Monitor // MonitorCost (default) or MonitorErrorRate
	// TrainEvery, above 1, evaluates the cost on the training set only at
	// the epochs that are multiples of it, at the last epoch of the budget
	// and at the epoch the run ends (epoch 0 always); the other epochs
	// record TrainSkipped and no training cost. Divergence is then judged
	// at those epochs on the validation cost (DivergenceFactor times its
	// initial value), on which a diverging run blows up as well. Skipping
	// it saves about a seventh of the training time of a terrain network
	// (BenchmarkTrainStage); the trajectory, the validation errors and the
	// parameters do not change. 0 or 1: every epoch. Ignored without a
	// validation set.
	TrainEvery int
	// KeepLast keeps the parameters of the last epoch instead of
	// restoring those of History.BestEpoch (the history still reports the
	// best epoch). A diverged run always restores the best parameters.
	KeepLast bool

	Seed uint64 // seeds the shuffling of the mini-batches

	// Stop, if not nil, is asked after every epoch; when it returns a
	// non-nil error (for example a cancelled context's), training stops
	// and Train returns that error. It is not part of the configuration
	// proper: it never changes a completed run's results.
	Stop func() error `json:"-"`
}

// Validate reports whether the configuration is usable.
func (tc TrainConfig) Validate() error {
	switch {
	case tc.Epochs < 1:
		return errors.New("models: Epochs must be at least 1")
	case tc.BatchSize < 1:
		return errors.New("models: BatchSize must be at least 1")
	case tc.LR0 < 0 || math.IsNaN(tc.LR0) || math.IsInf(tc.LR0, 0):
		return errors.New("models: LR0 must be finite and non-negative")
	case tc.Decay < 0 || math.IsNaN(tc.Decay):
		return errors.New("models: Decay must be non-negative")
	case tc.RampUp < 0:
		return errors.New("models: RampUp must be non-negative")
	case tc.Patience < 0:
		return errors.New("models: Patience must be non-negative")
	case tc.TrainEvery < 0:
		return errors.New("models: TrainEvery must be non-negative")
	}
	switch tc.Optimizer {
	case "", SGD:
		if tc.LR0 == 0 {
			return errors.New("models: LR0 must be positive for SGD")
		}
		if tc.Momentum < 0 || tc.Momentum >= 1 || math.IsNaN(tc.Momentum) {
			return errors.New("models: Momentum must be in [0, 1)")
		}
	case Adam:
		if tc.Beta1 < 0 || tc.Beta1 >= 1 || tc.Beta2 < 0 || tc.Beta2 >= 1 || tc.Epsilon < 0 {
			return errors.New("models: Adam needs β1, β2 in [0, 1) and ε >= 0")
		}
	default:
		return fmt.Errorf("models: unknown optimizer %q", tc.Optimizer)
	}
	switch tc.Monitor {
	case "", MonitorCost, MonitorErrorRate:
	default:
		return fmt.Errorf("models: unknown monitor %q", tc.Monitor)
	}
	return nil
}

// EpochStats describes the parameters and errors after one epoch. All
// values are finite. Per-layer slices have one element per layer (one for a
// Linear, whose "weights" are β_1.. and whose "bias" is the intercept β_0).
type EpochStats struct {
	Epoch int     // 0 for the initial parameters
	Step  int     // optimiser steps taken so far
	LR    float64 // learning rate of the epoch's last step (of the first step for epoch 0)

	TrainCost float64 // data cost on the training set, without the penalty
	ValCost   float64 // data cost on the validation set
	TrainAcc  float64 // accuracy on the training set (classifiers; 0 otherwise)
	ValAcc    float64 // accuracy on the validation set (classifiers; 0 otherwise)
	TrainErr  float64 // monitored error on the training set: cost or 1 - accuracy
	ValErr    float64 // monitored error on the validation set
	// TrainSkipped: the training set was not evaluated at this epoch
	// (TrainConfig.TrainEvery); TrainCost, TrainAcc and TrainErr are 0.
	TrainSkipped bool `json:",omitempty"`

	WeightNorm []float64 // L2 (Frobenius) norm of the weights per layer
	BiasNorm   []float64 // L2 norm of the biases per layer
	WeightMean []float64 // mean of the weights per layer
	WeightSD   []float64 // population standard deviation of the weights per layer
	BiasMean   []float64 // mean of the biases per layer
	BiasSD     []float64 // population standard deviation of the biases per layer
}

// History is the record of one training run. It encodes to JSON.
// Wall-clock times are deliberately not recorded, so that runs with the same
// seed give identical histories; time the progress callback instead.
type History struct {
	Epochs     []EpochStats // Epochs[k] describes epoch k; Epochs[0] the initial parameters
	Monitor    Monitor      // the monitored error
	Validated  bool         // false if there was no validation set: Val* then repeat Train*
	BestEpoch  int          // epoch with the lowest monitored validation error, whose parameters are restored
	BestValErr float64      // monitored validation error at BestEpoch

	Diverged      bool   // the run diverged
	DivergedEpoch int    // the epoch during which it diverged (0 if it did not)
	Stopped       string // StopEpochs, StopEarly or StopDiverged
	Steps         int    // optimiser steps taken
}

// span locates one layer in a flat parameter vector.
type span struct{ w0, w1, b0, b1 int }

// trainable is a model bound to its training and validation data.
type trainable interface {
	// params returns the flat parameter vector, updated in place.
	params() []float64
	// spans returns the layout of the layers in params.
	spans() []span
	// gradient returns the gradient of the penalised cost over the
	// training rows idx; the slice is reused by the next call.
	gradient(idx []int) []float64
	// evaluate returns the data cost and the accuracy on the training
	// (val false) or validation set.
	evaluate(val bool) (cost, acc float64)
	classifier() bool
	hasVal() bool
	nTrain() int
}

// optimizer holds the state of SGD with momentum or Adam.
type optimizer struct {
	adam        bool
	mu          float64
	b1, b2, eps float64
	b1t, b2t    float64 // β1^t, β2^t
	v, m        []float64
}

func newOptimizer(tc TrainConfig, n int) *optimizer {
	o := &optimizer{v: make([]float64, n), mu: tc.Momentum}
	if tc.Optimizer == Adam {
		o.adam = true
		o.m = make([]float64, n)
		o.b1, o.b2, o.eps = orDefault(tc.Beta1, DefaultAdamBeta1), orDefault(tc.Beta2, DefaultAdamBeta2), orDefault(tc.Epsilon, DefaultAdamEpsilon)
		o.b1t, o.b2t = 1, 1
	}
	return o
}

func orDefault(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}

// update applies one step with learning rate lr and gradient g to theta.
func (o *optimizer) update(theta, g []float64, lr float64) {
	v := o.v[:len(theta)]
	g = g[:len(theta)]
	if !o.adam {
		mu := o.mu
		i0 := 0
		if useAVX && !goFusesMulAdd && len(theta) >= 4 {
			// Four at a time in assembly, the rest below.
			i0 = len(theta) &^ 3
			sgdAVX(&theta[0], &v[0], &g[0], i0, mu, lr)
		}
		for i := i0; i < len(theta); i++ {
			vi := mu*v[i] + lr*g[i]
			v[i] = vi
			theta[i] -= vi
		}
		return
	}
	m := o.m[:len(theta)]
	o.b1t *= o.b1
	o.b2t *= o.b2
	step := lr * math.Sqrt(1-o.b2t) / (1 - o.b1t)
	b1, b2, eps := o.b1, o.b2, o.eps
	for i := range theta {
		gi := g[i]
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		theta[i] -= step * mi / (math.Sqrt(vi) + eps)
	}
}

// Stream constants of the PCG generators, so that shuffling and
// initialisation draw from different sequences for the same seed.
const (
	shuffleStream = 0x5348554646 // "SHUFF"
	initStream    = 0x494e4954   // "INIT"
)

// train runs the shared mini-batch loop on m.
func train(m trainable, tc TrainConfig, progress func(epoch, total int)) (History, error) {
	if err := tc.Validate(); err != nil {
		return History{}, err
	}
	mon := tc.Monitor
	if mon == "" {
		mon = MonitorCost
	}
	if mon == MonitorErrorRate && !m.classifier() {
		return History{}, errors.New("models: error_rate monitor needs a cross-entropy classifier")
	}
	sched := Schedule{LR0: tc.LR0, Decay: tc.Decay, RampUp: tc.RampUp}
	if tc.Optimizer == Adam && sched.LR0 == 0 {
		sched.LR0 = DefaultAdamLR
	}
	theta := m.params()
	sp := m.spans()
	best := append([]float64(nil), theta...)
	opt := newOptimizer(tc, len(theta))
	n := m.nTrain()
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	rng := rand.New(rand.NewPCG(tc.Seed, shuffleStream))

	h := History{Monitor: mon, Validated: m.hasVal(), Stopped: StopEpochs}
	st, ok := epochStats(m, theta, sp, mon, 0, 0, LearningRate(0, sched), true)
	if !ok {
		return h, errors.New("models: the initial cost is not finite")
	}
	h.Epochs = append(h.Epochs, st)
	h.BestValErr = st.ValErr
	bestCost := st.ValCost
	initCost := math.Max(st.TrainCost, 1e-12)
	initVal := math.Max(st.ValCost, 1e-12)
	every := tc.TrainEvery
	if every < 1 || !m.hasVal() {
		every = 1
	}

	step := 0
	for e := 1; e <= tc.Epochs; e++ {
		var lr float64
		step, lr = epoch(m, theta, opt, perm, rng, tc.BatchSize, step, sched)
		evalTrain := e%every == 0 || e == tc.Epochs
		st, ok := epochStats(m, theta, sp, mon, e, step, lr, evalTrain)
		if !ok || (evalTrain && st.TrainCost > DivergenceFactor*initCost) || (!evalTrain && st.ValCost > DivergenceFactor*initVal) {
			h.Diverged, h.DivergedEpoch, h.Stopped = true, e, StopDiverged
			break
		}
		h.Epochs = append(h.Epochs, st)
		if st.ValErr < h.BestValErr || (st.ValErr == h.BestValErr && st.ValCost < bestCost) {
			h.BestEpoch, h.BestValErr, bestCost = e, st.ValErr, st.ValCost
			copy(best, theta)
		}
		if progress != nil {
			progress(e, tc.Epochs)
		}
		if tc.Stop != nil {
			if err := tc.Stop(); err != nil {
				return h, err
			}
		}
		if p := tc.Patience; p > 0 && e%p == 0 && e >= 2*p {
			var last, prev float64
			for k := e - p + 1; k <= e; k++ {
				last += h.Epochs[k].ValErr
				prev += h.Epochs[k-p].ValErr
			}
			if last >= prev {
				h.Stopped = StopEarly
				break
			}
		}
	}
	// The last recorded epoch gets its training cost when the run ends
	// early (its parameters are still theta), unless the run diverged.
	if last := &h.Epochs[len(h.Epochs)-1]; last.TrainSkipped && !h.Diverged {
		last.TrainCost, last.TrainAcc = m.evaluate(false)
		last.TrainErr, last.TrainSkipped = last.TrainCost, false
		if mon == MonitorErrorRate {
			last.TrainErr = 1 - last.TrainAcc
		}
	}
	if !tc.KeepLast || h.Diverged {
		copy(theta, best)
	}
	h.Steps = step
	return h, nil
}

// epoch shuffles perm and takes one optimiser step per mini-batch, starting
// at step number step. It returns the next step number and the learning
// rate of the last step.
func epoch(m trainable, theta []float64, opt *optimizer, perm []int, rng *rand.Rand, batch, step int, sched Schedule) (int, float64) {
	n := len(perm)
	for i := n - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	var lr float64
	for s := 0; s < n; s += batch {
		g := m.gradient(perm[s:min(s+batch, n)])
		lr = LearningRate(step, sched)
		opt.update(theta, g, lr)
		step++
	}
	return step, lr
}

// epochStats evaluates m and summarises its parameters. ok is false if any
// value is not finite.
// With evalTrain false (a validation set is needed) the training set is
// not evaluated: TrainSkipped.
func epochStats(m trainable, theta []float64, sp []span, mon Monitor, epoch, step int, lr float64, evalTrain bool) (EpochStats, bool) {
	st := EpochStats{Epoch: epoch, Step: step, LR: lr, TrainSkipped: !evalTrain}
	if evalTrain {
		st.TrainCost, st.TrainAcc = m.evaluate(false)
	}
	if m.hasVal() {
		st.ValCost, st.ValAcc = m.evaluate(true)
	} else {
		st.ValCost, st.ValAcc = st.TrainCost, st.TrainAcc
	}
	st.TrainErr, st.ValErr = st.TrainCost, st.ValCost
	if mon == MonitorErrorRate {
		st.TrainErr, st.ValErr = 1-st.TrainAcc, 1-st.ValAcc
		if !evalTrain {
			st.TrainErr = 0
		}
	}
	ok := finite(st.TrainCost) && finite(st.ValCost)
	k := len(sp)
	st.WeightNorm, st.BiasNorm = make([]float64, k), make([]float64, k)
	st.WeightMean, st.WeightSD = make([]float64, k), make([]float64, k)
	st.BiasMean, st.BiasSD = make([]float64, k), make([]float64, k)
	for l, s := range sp {
		st.WeightNorm[l], st.WeightMean[l], st.WeightSD[l] = summarise(theta[s.w0:s.w1])
		st.BiasNorm[l], st.BiasMean[l], st.BiasSD[l] = summarise(theta[s.b0:s.b1])
		ok = ok && finite(st.WeightNorm[l]) && finite(st.WeightSD[l]) && finite(st.BiasNorm[l]) && finite(st.BiasSD[l])
	}
	return st, ok
}

// summarise returns the L2 norm, the mean and the population standard
// deviation of v (all 0 for an empty v).
func summarise(v []float64) (norm, mean, sd float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	var ss, s float64
	for _, x := range v {
		s += x
		ss += x * x
	}
	mean = s / float64(len(v))
	var d2 float64
	for _, x := range v {
		d := x - mean
		d2 += d * d
	}
	return math.Sqrt(ss), mean, math.Sqrt(d2 / float64(len(v)))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
