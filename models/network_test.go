package models

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

func nan() float64 { return math.NaN() }

// checkGradient compares grad with central differences of cost at theta.
func checkGradient(t *testing.T, name string, cost func([]float64) float64, grad, theta []float64, rel float64) {
	t.Helper()
	const h = 1e-6
	p := append([]float64(nil), theta...)
	bad := 0
	for i := range p {
		p[i] = theta[i] + h
		up := cost(p)
		p[i] = theta[i] - h
		down := cost(p)
		p[i] = theta[i]
		num := (up - down) / (2 * h)
		if !scalar.EqualWithinAbsOrRel(grad[i], num, 1e-8, rel) {
			if bad < 5 {
				t.Errorf("%s: ∂C/∂θ[%d] got %v, want finite difference %v", name, i, grad[i], num)
			}
			bad++
		}
	}
}

// randomData returns m random inputs and targets suited to the output.
func randomData(rng *rand.Rand, m, in, out int, act Activation) (*mat.Dense, *mat.Dense) {
	x := mat.NewDense(m, in, nil)
	y := mat.NewDense(m, out, nil)
	for i := 0; i < m; i++ {
		for j := 0; j < in; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
		switch act {
		case Softmax:
			y.Set(i, rng.IntN(out), 1)
		case Sigmoid:
			for j := 0; j < out; j++ {
				y.Set(i, j, float64(rng.IntN(2)))
			}
		default:
			for j := 0; j < out; j++ {
				y.Set(i, j, rng.NormFloat64())
			}
		}
	}
	return x, y
}

// TestNetworkGradient checks backpropagation against central differences of
// the penalised cost for every hidden activation × output/cost pair, with
// and without L2, on a network with two hidden layers.
func TestNetworkGradient(t *testing.T) {
	outputs := []struct {
		act  Activation
		cost Cost
	}{{Identity, CostMSE}, {Softmax, CostCrossEntropy}, {Sigmoid, CostCrossEntropy}, {Sigmoid, CostMSE}}
	seed := uint64(0)
	for _, hidden := range HiddenActivations {
		for _, o := range outputs {
			for _, l2 := range []float64{0, 0.05} {
				seed++
				name := fmt.Sprintf("%s/%s+%s/L2=%v", hidden, o.act, o.cost, l2)
				cfg := NetConfig{
					Inputs:     3,
					Layers:     []Layer{{5, hidden}, {4, hidden}, {3, o.act}},
					LeakyAlpha: 0.1,
					Init:       InitGlorot,
					Cost:       o.cost,
					L2:         l2,
				}
				n := NewNetwork(cfg, seed)
				// Random biases too, so that no derivative is checked at a kink.
				rng := rand.New(rand.NewPCG(seed, 99))
				for _, s := range n.sp {
					for i := s.b0; i < s.b1; i++ {
						n.theta[i] = 0.5 * rng.NormFloat64()
					}
				}
				x, y := randomData(rng, 7, 3, 3, o.act)
				prob, err := n.fullBatchProblem(x, y)
				if err != nil {
					t.Fatal(err)
				}
				theta := append([]float64(nil), n.theta...)
				g := make([]float64, len(theta))
				prob.Grad(g, theta)
				checkGradient(t, name, prob.Func, g, theta, 1e-5)
				// The cost without the penalty is what Cost reports.
				copy(n.theta, theta)
				if got, want := n.Cost(x, y)+n.penalty(), prob.Func(theta); !scalar.EqualWithinAbsOrRel(got, want, 1e-12, 1e-12) {
					t.Errorf("%s: Cost+penalty got %v, want %v", name, got, want)
				}
			}
		}
	}
}

// TestLogisticGradient checks the analytic gradient of the L-BFGS objective.
func TestLogisticGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	x, y := randomData(rng, 9, 4, 3, Softmax)
	for _, l2 := range []float64{0, 0.1} {
		n := newNetwork(logisticConfig(4, 3, l2))
		prob, err := n.fullBatchProblem(x, y)
		if err != nil {
			t.Fatal(err)
		}
		theta := make([]float64, len(n.theta))
		for i := range theta {
			theta[i] = rng.NormFloat64()
		}
		g := make([]float64, len(theta))
		prob.Grad(g, theta)
		checkGradient(t, fmt.Sprintf("logistic L2=%v", l2), prob.Func, g, theta, 1e-6)
		// At zero parameters the cost is ln(classes).
		if got, want := prob.Func(make([]float64, len(theta))), math.Log(3); !scalar.EqualWithinAbsOrRel(got, want, 1e-12, 1e-12) {
			t.Errorf("cost at zero got %v, want ln 3 = %v", got, want)
		}
	}
}

func TestSoftmaxStable(t *testing.T) {
	a := make([]float64, 3)
	softmaxRow(a, []float64{1000, 1000, -1000})
	if want := []float64{0.5, 0.5, 0}; !reflect.DeepEqual(a, want) {
		t.Errorf("softmax of huge logits got %v, want %v", a, want)
	}
	// A confidently wrong network has a large but finite cost.
	n := NewNetwork(NetConfig{Inputs: 1, Layers: []Layer{{2, Softmax}}, Cost: CostCrossEntropy}, 1)
	copy(n.theta, []float64{1e4, -1e4, 0, 0})
	c := n.Cost(mat.NewDense(1, 1, []float64{1}), mat.NewDense(1, 2, []float64{0, 1}))
	if !scalar.EqualWithinAbsOrRel(c, 2e4, 1e-9, 1e-9) {
		t.Errorf("cost of a confident mistake got %v, want 2e4", c)
	}
}

func TestNetConfigValidate(t *testing.T) {
	ok := NetConfig{Inputs: 2, Layers: []Layer{{4, ReLU}, {1, Identity}}, Cost: CostMSE}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, mod := range map[string]func(*NetConfig){
		"no layers":        func(c *NetConfig) { c.Layers = nil },
		"zero size":        func(c *NetConfig) { c.Layers = []Layer{{0, ReLU}, {1, Identity}} },
		"hidden softmax":   func(c *NetConfig) { c.Layers = []Layer{{3, Softmax}, {1, Identity}} },
		"unknown act":      func(c *NetConfig) { c.Layers = []Layer{{3, "tanh"}, {1, Identity}} },
		"mse softmax":      func(c *NetConfig) { c.Layers = []Layer{{3, ReLU}, {2, Softmax}} },
		"ce identity":      func(c *NetConfig) { c.Cost = CostCrossEntropy },
		"unknown cost":     func(c *NetConfig) { c.Cost = "hinge" },
		"unknown init":     func(c *NetConfig) { c.Init = "zeros" },
		"negative L2":      func(c *NetConfig) { c.L2 = -1 },
		"no inputs":        func(c *NetConfig) { c.Inputs = 0 },
		"negative leaky α": func(c *NetConfig) { c.LeakyAlpha = -0.1 },
	} {
		c := ok
		c.Layers = append([]Layer(nil), ok.Layers...)
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("NewNetwork with an invalid config did not panic")
		}
	}()
	NewNetwork(NetConfig{Inputs: 1}, 1)
}

func TestInitSchemes(t *testing.T) {
	for _, tc := range []struct {
		init     Init
		wantSD   float64
		biasZero bool
	}{
		{InitNormal, 1 / math.Sqrt(400), false},
		{InitGlorot, math.Sqrt(6.0/(400+300)) / math.Sqrt(3), true}, // sd of U(-l, l) is l/√3
		{InitHe, math.Sqrt(2.0 / 400), true},
	} {
		n := NewNetwork(NetConfig{Inputs: 400, Layers: []Layer{{300, ReLU}, {1, Identity}}, Init: tc.init, Cost: CostMSE}, 11)
		_, mean, sd := summarise(n.Weights()[0])
		if !scalar.EqualWithinAbsOrRel(sd, tc.wantSD, 0, 0.02) || math.Abs(mean) > 0.05*tc.wantSD {
			t.Errorf("%s: weights mean %v sd %v, want 0 and %v", tc.init, mean, sd, tc.wantSD)
		}
		_, _, bsd := summarise(n.Biases()[0])
		if tc.biasZero != (bsd == 0) {
			t.Errorf("%s: bias sd %v", tc.init, bsd)
		}
	}
}

// terrainLike returns a smooth surface sampled at m random points, as the
// inputs and targets of a 2-input regression network.
func terrainLike(seed uint64, m int) (*mat.Dense, *mat.Dense) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := mat.NewDense(m, 2, nil)
	y := mat.NewDense(m, 1, nil)
	for i := 0; i < m; i++ {
		a, b := rng.Float64(), rng.Float64()
		x.SetRow(i, []float64{a, b})
		y.Set(i, 0, 0.3+0.2*math.Sin(3*a)*math.Cos(2*b)+0.1*a*b)
	}
	return x, y
}

func terrainConfig(act Activation) NetConfig {
	return NetConfig{Inputs: 2, Layers: []Layer{{8, act}, {8, act}, {1, Identity}}, Init: InitGlorot, Cost: CostMSE}
}

// historyFinite reports whether every number of h is finite, by encoding it
// to JSON (which rejects NaN and Inf).
func historyFinite(t *testing.T, h History) {
	t.Helper()
	if _, err := json.Marshal(h); err != nil {
		t.Errorf("history does not encode to JSON: %v", err)
	}
}

func TestDivergence(t *testing.T) {
	x, y := terrainLike(1, 200)
	xv, yv := terrainLike(2, 100)
	for _, act := range []Activation{Sigmoid, ReLU} {
		n := NewNetwork(terrainConfig(act), 3)
		h, err := n.Train(x, y, xv, yv, TrainConfig{Epochs: 50, BatchSize: 20, LR0: 100, Momentum: 0.5, Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Diverged || h.Stopped != StopDiverged || h.DivergedEpoch < 1 || h.DivergedEpoch > 50 {
			t.Fatalf("%s: lr 100: diverged %v at epoch %d, stopped %q", act, h.Diverged, h.DivergedEpoch, h.Stopped)
		}
		if len(h.Epochs) != h.DivergedEpoch {
			t.Errorf("%s: %d epochs recorded, want %d (0..diverged-1)", act, len(h.Epochs), h.DivergedEpoch)
		}
		historyFinite(t, h)
		if err := checkFinite(n.theta, "parameters"); err != nil {
			t.Errorf("%s: %v after divergence", act, err)
		}
		if c := n.Cost(xv, yv); c != h.BestValErr {
			t.Errorf("%s: restored validation cost %v, want best %v", act, c, h.BestValErr)
		}
	}
	// A linear model diverges too.
	xs, ys := contiguous(x), contiguous(y)
	pts := len(ys)
	px, py := make([]float64, pts), make([]float64, pts)
	for i := range px {
		px[i], py[i] = xs[2*i], xs[2*i+1]
	}
	l := NewLinear(PolyCols(5), 0, 1)
	h, err := l.Train(PolyFeatures(px, py, 5), ys, nil, nil, TrainConfig{Epochs: 20, BatchSize: 10, LR0: 100, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Diverged || h.DivergedEpoch < 1 {
		t.Errorf("linear lr 100: diverged %v at %d", h.Diverged, h.DivergedEpoch)
	}
	historyFinite(t, h)
}

func TestDeterminism(t *testing.T) {
	x, y := terrainLike(1, 150)
	xv, yv := terrainLike(2, 50)
	for _, opt := range []Optimizer{SGD, Adam} {
		run := func() (History, [][]float64, [][]float64) {
			n := NewNetwork(terrainConfig(LeakyReLU), 42)
			h, err := n.Train(x, y, xv, yv, TrainConfig{Epochs: 15, BatchSize: 16, LR0: 0.05, Decay: 1e-3, RampUp: 10, Momentum: 0.6, Optimizer: opt, Patience: 5, Seed: 7}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return h, n.Weights(), n.Biases()
		}
		h1, w1, b1 := run()
		h2, w2, b2 := run()
		if !reflect.DeepEqual(h1, h2) {
			t.Errorf("%s: histories differ", opt)
		}
		if !bitsEqual(w1, w2) || !bitsEqual(b1, b2) {
			t.Errorf("%s: parameters differ", opt)
		}
		// A different shuffling seed gives a different run.
		n := NewNetwork(terrainConfig(LeakyReLU), 42)
		h3, _ := n.Train(x, y, xv, yv, TrainConfig{Epochs: 15, BatchSize: 16, LR0: 0.05, Momentum: 0.6, Optimizer: opt, Seed: 8}, nil)
		if reflect.DeepEqual(h1.Epochs[15].ValCost, h3.Epochs[len(h3.Epochs)-1].ValCost) {
			t.Errorf("%s: seed 8 reproduced seed 7", opt)
		}
	}
}

func bitsEqual(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float64bits(a[i][j]) != math.Float64bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

// scripted is a trainable whose validation errors follow a script and whose
// single parameter grows by the learning rate at every step.
type scripted struct {
	theta  []float64
	grad   []float64
	errors []float64
	calls  int
}

func (s *scripted) params() []float64        { return s.theta }
func (s *scripted) spans() []span            { return []span{{w0: 0, w1: 1, b0: 1, b1: 1}} }
func (s *scripted) gradient([]int) []float64 { return s.grad }
func (s *scripted) classifier() bool         { return false }
func (s *scripted) hasVal() bool             { return true }
func (s *scripted) nTrain() int              { return 1 }
func (s *scripted) evaluate(val bool) (float64, float64) {
	if !val {
		return 1, 0
	}
	e := s.errors[s.calls]
	s.calls++
	return e, 0
}

func TestEarlyStoppingRestoresBest(t *testing.T) {
	// Epoch:          0   1  2  3  4  5  6  7  8
	errs := []float64{10, 9, 8, 7, 6, 7, 8, 9, 10}
	s := &scripted{theta: []float64{0}, grad: []float64{-1}, errors: errs}
	h, err := train(s, TrainConfig{Epochs: 8, BatchSize: 1, LR0: 1, Patience: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// At epoch 4: mean(7, 6) < mean(9, 8): go on. At epoch 6:
	// mean(7, 8) >= mean(7, 6): stop. The best epoch is 4, reached after 4
	// steps of +1.
	if h.Stopped != StopEarly || len(h.Epochs) != 7 {
		t.Errorf("stopped %q after %d epochs, want early_stopping after epoch 6", h.Stopped, len(h.Epochs)-1)
	}
	if h.BestEpoch != 4 || h.BestValErr != 6 || s.theta[0] != 4 {
		t.Errorf("best epoch %d (error %v), restored θ %v; want 4, 6, 4", h.BestEpoch, h.BestValErr, s.theta[0])
	}
	// Without patience all epochs run; KeepLast keeps θ = 8.
	s = &scripted{theta: []float64{0}, grad: []float64{-1}, errors: errs}
	h, _ = train(s, TrainConfig{Epochs: 8, BatchSize: 1, LR0: 1, KeepLast: true}, nil)
	if h.Stopped != StopEpochs || len(h.Epochs) != 9 || h.BestEpoch != 4 || s.theta[0] != 8 {
		t.Errorf("no patience: stopped %q after %d, best %d, θ %v", h.Stopped, len(h.Epochs)-1, h.BestEpoch, s.theta[0])
	}
}

func TestTrainErrors(t *testing.T) {
	x, y := terrainLike(1, 10)
	n := NewNetwork(terrainConfig(ReLU), 1)
	good := TrainConfig{Epochs: 1, BatchSize: 4, LR0: 0.1}
	for name, mod := range map[string]func(*TrainConfig){
		"epochs":     func(c *TrainConfig) { c.Epochs = 0 },
		"batch":      func(c *TrainConfig) { c.BatchSize = 0 },
		"lr":         func(c *TrainConfig) { c.LR0 = 0 },
		"momentum":   func(c *TrainConfig) { c.Momentum = 1 },
		"optimizer":  func(c *TrainConfig) { c.Optimizer = "rmsprop" },
		"monitor":    func(c *TrainConfig) { c.Monitor = "auc" },
		"error rate": func(c *TrainConfig) { c.Monitor = MonitorErrorRate }, // regression has no error rate
	} {
		c := good
		mod(&c)
		if _, err := n.Train(x, y, nil, nil, c, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	y.Set(3, 0, math.Inf(1))
	if _, err := n.Train(x, y, nil, nil, good, nil); err == nil {
		t.Error("Inf target: no error")
	}
	defer func() {
		if recover() == nil {
			t.Error("wrong input width did not panic")
		}
	}()
	n.Train(mat.NewDense(10, 3, nil), y, nil, nil, good, nil)
}

func TestParamsRoundTrip(t *testing.T) {
	x, y := terrainLike(1, 30)
	n := NewNetwork(terrainConfig(Sigmoid), 5)
	b, err := json.Marshal(n.Params())
	if err != nil {
		t.Fatal(err)
	}
	var p Params
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	m, err := NewNetworkFromParams(p)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(n.Predict(x), m.Predict(x)) {
		t.Error("rebuilt network predicts differently")
	}
	if got, want := n.NumParams(), 2*8+8+8*8+8+8+1; got != want {
		t.Errorf("NumParams got %d, want %d", got, want)
	}
	p.W[1] = p.W[1][:3]
	if _, err := NewNetworkFromParams(p); err == nil {
		t.Error("truncated params: no error")
	}
	// Predict on a strided view gives the same rows.
	big := mat.NewDense(30, 4, nil)
	big.Slice(0, 30, 1, 3).(*mat.Dense).Copy(x)
	if !mat.Equal(n.Predict(big.Slice(0, 30, 1, 3).(*mat.Dense)), n.Predict(x)) {
		t.Error("Predict on a view differs")
	}
	_ = y
}

// TestStepAllocs checks that a training step (gradient and update) and the
// mini-batch loop of an epoch allocate nothing.
func TestStepAllocs(t *testing.T) {
	x, y := terrainLike(1, 100)
	for _, opt := range []Optimizer{SGD, Adam} {
		n := NewNetwork(terrainConfig(Sigmoid), 1)
		tr, err := n.newTrainer(x, y, nil, nil, 20)
		if err != nil {
			t.Fatal(err)
		}
		o := newOptimizer(TrainConfig{Optimizer: opt, Momentum: 0.5}, n.NumParams())
		idx := []int{5, 3, 9, 1, 0, 7, 2, 4, 6, 8, 11, 19, 12, 13, 14, 15, 16, 17, 18, 10}
		if a := testing.AllocsPerRun(100, func() { o.update(n.theta, tr.gradient(idx), 1e-3) }); a != 0 {
			t.Errorf("%s: %v allocations per step, want 0", opt, a)
		}
	}
	l := NewLinear(3, 0.1, 1)
	lt := &linTrainer{l: l, p: 3, x: make([]float64, 30), y: make([]float64, 10), nt: 10, grad: make([]float64, 3)}
	if a := testing.AllocsPerRun(100, func() { lt.gradient([]int{1, 2, 3}) }); a != 0 {
		t.Errorf("linear: %v allocations per step, want 0", a)
	}
}

func TestOptimizerSteps(t *testing.T) {
	// SGD with momentum 0.6, lr 0.1, constant gradient 0.5:
	// v1 = 0.05, θ1 = 0.95; v2 = 0.6·0.05 + 0.05 = 0.08, θ2 = 0.87.
	theta := []float64{1}
	o := newOptimizer(TrainConfig{Momentum: 0.6}, 1)
	o.update(theta, []float64{0.5}, 0.1)
	o.update(theta, []float64{0.5}, 0.1)
	if !scalar.EqualWithinAbsOrRel(theta[0], 0.87, 1e-15, 1e-15) {
		t.Errorf("SGD momentum: θ got %v, want 0.87", theta[0])
	}
	// Adam, Keras defaults, first step with g = 0.5: m = 0.05, v = 0.00025,
	// step = 0.001·sqrt(0.001)/0.1 = 3.16227766e-4 and
	// θ1 = 1 - step·0.05/(0.0158113883 + 1e-7) = 1 - 9.99993675e-4.
	theta = []float64{1}
	o = newOptimizer(TrainConfig{Optimizer: Adam}, 1)
	o.update(theta, []float64{0.5}, 0.001)
	if want := 1 - 9.99993675e-4; !scalar.EqualWithinAbs(theta[0], want, 1e-12) {
		t.Errorf("Adam: θ got %.12f, want %.12f", theta[0], want)
	}
}
