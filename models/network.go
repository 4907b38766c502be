package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Init names a weight initialisation scheme (see the package documentation).
type Init string

// The initialisation schemes.
const (
	InitNormal Init = "normal" // w ~ N(0, 1/fan_in), b ~ N(0, 1)
	InitGlorot Init = "glorot" // w ~ U(±sqrt(6/(fan_in+fan_out))), b = 0
	InitHe     Init = "he"     // w ~ N(0, 2/fan_in), b = 0
)

// Cost names the cost function of a network.
type Cost string

// The costs of a network.
const (
	CostMSE          Cost = "mse"           // (1/n) Σ_i Σ_j (a_ij - y_ij)²
	CostCrossEntropy Cost = "cross_entropy" // categorical (softmax) or binary (sigmoid) cross-entropy
)

// Layer describes one dense layer: its number of nodes and its activation.
type Layer struct {
	Size int
	Act  Activation
}

// NetConfig describes a feed-forward network. It encodes to JSON.
type NetConfig struct {
	Inputs     int     // number of input features
	Layers     []Layer // hidden layers then the output layer; at least one
	LeakyAlpha float64 // slope of LeakyReLU for z < 0; 0 selects DefaultLeakyAlpha
	Init       Init    // initialisation scheme; "" selects InitNormal
	Cost       Cost    // CostMSE or CostCrossEntropy
	L2         float64 // λ of the penalty λ Σ w² on the weights (not the biases)
}

// Validate reports whether the configuration describes a network this
// package can build and train. Cross-entropy needs a Softmax or Sigmoid
// output; MSE needs an elementwise (non-Softmax) output.
func (c NetConfig) Validate() error {
	if c.Inputs < 1 {
		return errors.New("models: Inputs must be at least 1")
	}
	if len(c.Layers) == 0 {
		return errors.New("models: a network needs at least one layer")
	}
	for l, ly := range c.Layers {
		if ly.Size < 1 {
			return fmt.Errorf("models: layer %d has size %d", l, ly.Size)
		}
		if !ly.Act.valid() {
			return fmt.Errorf("models: layer %d has unknown activation %q", l, ly.Act)
		}
		if ly.Act == Softmax && l != len(c.Layers)-1 {
			return fmt.Errorf("models: softmax on hidden layer %d", l)
		}
	}
	switch c.Init {
	case "", InitNormal, InitGlorot, InitHe:
	default:
		return fmt.Errorf("models: unknown init %q", c.Init)
	}
	out := c.Layers[len(c.Layers)-1].Act
	switch c.Cost {
	case CostMSE:
		if out == Softmax {
			return errors.New("models: MSE with a softmax output is not supported")
		}
	case CostCrossEntropy:
		if out != Softmax && out != Sigmoid {
			return errors.New("models: cross-entropy needs a softmax or sigmoid output")
		}
	default:
		return fmt.Errorf("models: unknown cost %q", c.Cost)
	}
	if c.L2 < 0 || math.IsNaN(c.L2) || c.LeakyAlpha < 0 || math.IsNaN(c.LeakyAlpha) {
		return errors.New("models: L2 and LeakyAlpha must be non-negative")
	}
	return nil
}

// Network is a feed-forward network of dense layers. Its parameters live
// in one flat vector: for each layer its weights (row-major, inputs×outputs)
// then its biases.
type Network struct {
	cfg   NetConfig
	alpha float64
	sizes []int // sizes[0] inputs, sizes[l+1] nodes of layer l
	theta []float64
	sp    []span
}

// NewNetwork returns a network with the given configuration whose
// parameters are drawn by the configured initialisation scheme from a PCG
// generator seeded by seed. It panics if cfg is not valid (see
// NetConfig.Validate).
func NewNetwork(cfg NetConfig, seed uint64) *Network {
	n := newNetwork(cfg)
	n.initialise(seed)
	return n
}

func newNetwork(cfg NetConfig) *Network {
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	cfg.Layers = append([]Layer(nil), cfg.Layers...)
	if cfg.Init == "" {
		cfg.Init = InitNormal
	}
	if cfg.LeakyAlpha == 0 {
		cfg.LeakyAlpha = DefaultLeakyAlpha
	}
	n := &Network{cfg: cfg, alpha: cfg.LeakyAlpha}
	n.sizes = append(n.sizes, cfg.Inputs)
	off := 0
	for _, ly := range cfg.Layers {
		k, m := n.sizes[len(n.sizes)-1], ly.Size
		n.sp = append(n.sp, span{w0: off, w1: off + k*m, b0: off + k*m, b1: off + k*m + m})
		off += k*m + m
		n.sizes = append(n.sizes, m)
	}
	n.theta = make([]float64, off)
	return n
}

func (n *Network) initialise(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, initStream))
	for l, s := range n.sp {
		fanIn, fanOut := float64(n.sizes[l]), float64(n.sizes[l+1])
		w, b := n.theta[s.w0:s.w1], n.theta[s.b0:s.b1]
		switch n.cfg.Init {
		case InitNormal:
			sd := 1 / math.Sqrt(fanIn)
			for i := range w {
				w[i] = sd * rng.NormFloat64()
			}
			for i := range b {
				b[i] = rng.NormFloat64()
			}
		case InitGlorot:
			lim := math.Sqrt(6 / (fanIn + fanOut))
			for i := range w {
				w[i] = lim * (2*rng.Float64() - 1)
			}
		case InitHe:
			sd := math.Sqrt(2 / fanIn)
			for i := range w {
				w[i] = sd * rng.NormFloat64()
			}
		}
	}
}

// Config returns the configuration of the network (with defaults filled in).
func (n *Network) Config() NetConfig {
	c := n.cfg
	c.Layers = append([]Layer(nil), c.Layers...)
	return c
}

// NumParams returns the number of weights and biases of the network.
func (n *Network) NumParams() int { return len(n.theta) }

// Weights returns a copy of the weights of every layer, each row-major with
// shape inputs×outputs: Weights()[l][k*outputs+j] connects input k of layer
// l to its node j.
func (n *Network) Weights() [][]float64 {
	out := make([][]float64, len(n.sp))
	for l, s := range n.sp {
		out[l] = append([]float64(nil), n.theta[s.w0:s.w1]...)
	}
	return out
}

// Biases returns a copy of the biases of every layer.
func (n *Network) Biases() [][]float64 {
	out := make([][]float64, len(n.sp))
	for l, s := range n.sp {
		out[l] = append([]float64(nil), n.theta[s.b0:s.b1]...)
	}
	return out
}

// Params holds everything needed to rebuild a trained network. It encodes
// to JSON.
type Params struct {
	Config NetConfig
	W      [][]float64 // per layer, as returned by Network.Weights
	B      [][]float64 // per layer, as returned by Network.Biases
}

// Params returns a copy of the configuration and parameters of n.
func (n *Network) Params() Params {
	return Params{Config: n.Config(), W: n.Weights(), B: n.Biases()}
}

// NewNetworkFromParams rebuilds a network from p. It returns an error if
// the configuration is invalid, the shapes do not match it or a parameter is
// not finite.
func NewNetworkFromParams(p Params) (*Network, error) {
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	n := newNetwork(p.Config)
	if len(p.W) != len(n.sp) || len(p.B) != len(n.sp) {
		return nil, errors.New("models: params have the wrong number of layers")
	}
	for l, s := range n.sp {
		if len(p.W[l]) != s.w1-s.w0 || len(p.B[l]) != s.b1-s.b0 {
			return nil, fmt.Errorf("models: params of layer %d have the wrong size", l)
		}
		copy(n.theta[s.w0:s.w1], p.W[l])
		copy(n.theta[s.b0:s.b1], p.B[l])
	}
	for _, v := range n.theta {
		if !finite(v) {
			return nil, errors.New("models: params are not finite")
		}
	}
	return n, nil
}

// workspace holds the buffers of forward and backward passes over at most
// rows samples.
type workspace struct {
	rows    int
	x, y    []float64   // gathered inputs and targets
	z, a, d [][]float64 // per layer: pre-activations, activations, errors δ
	grad    []float64   // flat gradient, laid out like theta
	nz      []nzRows    // per layer: nonzero elements of its input
	in0     *nzRows     // nonzero elements of the input used by the last forward
	seq     []int       // 0, 1, 2, ...: the row list of a dense operand
	idx     []int       // kernel scratch
	val     []float64   // kernel scratch
	wt      []float64   // kernel scratch for backpropagation
	// With a softmax output: per row, the largest pre-activation and the
	// sum of the exponentials the softmax divided by, from which batchCost
	// takes the log-sum-exp.
	smax, ssum []float64
	view       nzRows // rows of fixed input lists, given to forward by evaluate
}

func (n *Network) newWorkspace(rows int, backprop bool) *workspace {
	L := len(n.cfg.Layers)
	ws := &workspace{
		rows: rows,
		x:    make([]float64, rows*n.sizes[0]),
		y:    make([]float64, rows*n.sizes[L]),
		z:    make([][]float64, L),
		a:    make([][]float64, L),
	}
	width := rows
	for _, s := range n.sizes {
		width = max(width, s)
	}
	ws.idx, ws.val, ws.seq = make([]int, width), make([]float64, width), iota(width)
	if n.cfg.Layers[L-1].Act == Softmax {
		ws.smax, ws.ssum = make([]float64, rows), make([]float64, rows)
	}
	ws.nz = make([]nzRows, L)
	for l := range ws.nz {
		ws.nz[l] = newNZRows(rows, n.sizes[l], backprop)
	}
	for l, ly := range n.cfg.Layers {
		ws.z[l] = make([]float64, rows*ly.Size)
		ws.a[l] = ws.z[l]
		if ly.Act != Identity {
			ws.a[l] = make([]float64, rows*ly.Size)
		}
	}
	if backprop {
		ws.d = make([][]float64, L)
		for l, ly := range n.cfg.Layers {
			ws.d[l] = make([]float64, rows*ly.Size)
		}
		ws.grad = make([]float64, len(n.theta))
		wmax := 0
		for _, s := range n.sp {
			wmax = max(wmax, s.w1-s.w0)
		}
		ws.wt = make([]float64, wmax)
	}
	return ws
}

// forward propagates the m rows of x (m×inputs, contiguous) through the
// network, filling ws.z and ws.a. If in0 is not nil, it holds the nonzero
// elements of the rows of x, and x is not read.
func (n *Network) forward(ws *workspace, x []float64, m int, in0 *nzRows) {
	in := x
	ws.in0 = in0
	if in0 == nil {
		ws.in0 = &ws.nz[0]
	}
	for l, ly := range n.cfg.Layers {
		k, o := n.sizes[l], n.sizes[l+1]
		s := n.sp[l]
		z := ws.z[l][:m*o]
		nz := &ws.nz[l]
		if l == 0 {
			nz = ws.in0
		}
		gemmBias(z, in, n.theta[s.w0:s.w1], n.theta[s.b0:s.b1], m, k, o, n.sparseInput(l), l == 0 && in0 != nil, nz, ws.seq)
		if ly.Act != Identity {
			activate(ly.Act, n.alpha, ws.a[l][:m*o], z, o, ws.smax, ws.ssum)
		}
		in = ws.a[l]
	}
}

// sparseInput reports whether the input of layer l is likely to contain
// many exact zeros: the data themselves, or the output of a ReLU layer.
func (n *Network) sparseInput(l int) bool {
	return l == 0 || n.cfg.Layers[l-1].Act == ReLU
}

// backward computes the gradient of the penalised cost over the m samples
// held in ws.x (or ws.in0) and ws.y, after forward(ws, ws.x, m, ·), into
// ws.grad.
func (n *Network) backward(ws *workspace, m int) {
	L := len(n.cfg.Layers) - 1
	o := n.sizes[L+1]
	a, y, d := ws.a[L][:m*o], ws.y[:m*o], ws.d[L][:m*o]
	inv := 1 / float64(m)
	if n.cfg.Cost == CostCrossEntropy {
		for i, v := range a {
			d[i] = (v - y[i]) * inv
		}
	} else {
		act := n.cfg.Layers[L].Act
		if act != Identity {
			derivative(act, n.alpha, d, ws.z[L][:m*o], a)
		} else {
			for i := range d {
				d[i] = 1
			}
		}
		for i, v := range a {
			d[i] *= 2 * (v - y[i]) * inv
		}
	}
	l2 := 2 * n.cfg.L2
	for l := L; l >= 0; l-- {
		k, o := n.sizes[l], n.sizes[l+1]
		s := n.sp[l]
		prev, nz := ws.x, ws.in0
		if l > 0 {
			prev, nz = ws.a[l-1], &ws.nz[l]
		}
		gw, w := ws.grad[s.w0:s.w1], n.theta[s.w0:s.w1]
		d := ws.d[l][:m*o]
		gemmTN(gw, prev, d, m, k, o, n.sparseInput(l), nz, ws.seq)
		if l2 != 0 {
			for i, v := range w {
				gw[i] += l2 * v
			}
		}
		colSum(ws.grad[s.b0:s.b1], d, m, o)
		if l > 0 {
			backpropDelta(ws.d[l-1], d, w, m, o, k, n.cfg.Layers[l].Act == ReLU, n.cfg.Layers[l-1].Act, n.alpha,
				ws.z[l-1], ws.a[l-1], ws.wt, ws.idx, ws.val, ws.seq)
		}
	}
}

// classifier reports whether n is trained with cross-entropy, so that
// accuracy is meaningful.
func (n *Network) classifier() bool { return n.cfg.Cost == CostCrossEntropy }

// batchCost returns the summed (not averaged) data cost of the m samples
// after forward(ws, ·, m) against the targets y, and the number of samples
// classified correctly (for classifiers).
func (n *Network) batchCost(ws *workspace, y []float64, m int) (cost float64, correct int) {
	L := len(n.cfg.Layers) - 1
	o := n.sizes[L+1]
	z, a := ws.z[L][:m*o], ws.a[L][:m*o]
	y = y[:m*o]
	act := n.cfg.Layers[L].Act
	switch {
	case n.cfg.Cost == CostMSE:
		for i, v := range a {
			e := v - y[i]
			cost += e * e
		}
		return cost, 0
	case act == Softmax:
		// The log-sum-exp from the softmax's own maximum and sum. (Its
		// maximum may differ from math.Max's only in the sign of a zero
		// or when a NaN makes the cost NaN anyway; neither changes the
		// cost.)
		smax, ssum := ws.smax[:m], ws.ssum[:m]
		for i := range m {
			zr, yr := z[i*o:i*o+o], y[i*o:i*o+o]
			lse := smax[i] + math.Log(ssum[i])
			for j, t := range yr {
				if t != 0 {
					cost += t * (lse - zr[j])
				}
			}
		}
	default: // sigmoid output: ln a = -softplus(-z), ln(1-a) = -softplus(z)
		for i, v := range z {
			t := y[i]
			cost += t*softplus(-v) + (1-t)*softplus(v)
		}
	}
	for r := 0; r < len(a); r += o {
		if o == 1 {
			if (a[r] >= 0.5) == (y[r] >= 0.5) {
				correct++
			}
		} else if argmax(a[r:r+o]) == argmax(y[r:r+o]) {
			correct++
		}
	}
	return cost, correct
}

// evalChunk is the number of rows evaluated at once by Predict and by the
// per-epoch evaluation.
const evalChunk = 256

// evaluate returns the mean data cost and the accuracy of n on the rows of
// x and y (contiguous, rows samples). If x0 is not nil, it holds the
// nonzero elements of the rows of x (see gatherRows), which the first layer
// then reads instead of gathering them again.
func (n *Network) evaluate(ws *workspace, x, y []float64, rows int, x0 *nzRows) (cost, acc float64) {
	in, o := n.sizes[0], n.sizes[len(n.sizes)-1]
	var correct int
	for r := 0; r < rows; r += ws.rows {
		m := min(ws.rows, rows-r)
		if x0 != nil {
			ws.view = nzRows{idx: x0.idx, val: x0.val, off: x0.off[r : r+m], cnt: x0.cnt[r : r+m]}
			n.forward(ws, nil, m, &ws.view)
		} else {
			n.forward(ws, x[r*in:(r+m)*in], m, nil)
		}
		c, k := n.batchCost(ws, y[r*o:(r+m)*o], m)
		cost += c
		correct += k
	}
	cost /= float64(rows)
	if n.classifier() {
		acc = float64(correct) / float64(rows)
	}
	return cost, acc
}

// Predict returns the outputs of the network for the rows of x, one row per
// sample (class probabilities for a softmax output). It panics if x does
// not have Config().Inputs columns. Predict does not modify n.
func (n *Network) Predict(x *mat.Dense) *mat.Dense {
	rows, cols := x.Dims()
	if cols != n.sizes[0] {
		panic("models: input has the wrong number of columns")
	}
	o := n.sizes[len(n.sizes)-1]
	out := mat.NewDense(rows, o, nil)
	raw := out.RawMatrix().Data
	ws := n.newWorkspace(min(rows, evalChunk), false)
	xs := contiguous(x)
	L := len(n.cfg.Layers) - 1
	for r := 0; r < rows; r += ws.rows {
		m := min(ws.rows, rows-r)
		n.forward(ws, xs[r*cols:(r+m)*cols], m, nil)
		copy(raw[r*o:(r+m)*o], ws.a[L][:m*o])
	}
	return out
}

// PredictClass returns the predicted class of every row of x: the index of
// the largest output (for a single sigmoid output, 1 if it is at least 0.5).
func (n *Network) PredictClass(x *mat.Dense) []int {
	p := n.Predict(x)
	if _, c := p.Dims(); c == 1 {
		out := make([]int, len(p.RawMatrix().Data))
		for i, v := range p.RawMatrix().Data {
			if v >= 0.5 {
				out[i] = 1
			}
		}
		return out
	}
	return Argmax(p)
}

// Cost returns the mean data cost of the network on x against the targets
// y, without the L2 penalty: the value recorded as TrainCost and ValCost.
// It panics if the shapes do not match the network.
func (n *Network) Cost(x, y *mat.Dense) float64 {
	rows := n.checkData(x, y)
	ws := n.newWorkspace(min(rows, evalChunk), false)
	c, _ := n.evaluate(ws, contiguous(x), contiguous(y), rows, nil)
	return c
}

func (n *Network) checkData(x, y *mat.Dense) int {
	rx, cx := x.Dims()
	ry, cy := y.Dims()
	if cx != n.sizes[0] {
		panic("models: input has the wrong number of columns")
	}
	if cy != n.sizes[len(n.sizes)-1] {
		panic("models: target has the wrong number of columns")
	}
	if rx != ry {
		panic("models: inputs and targets have different numbers of rows")
	}
	return rx
}

// contiguous returns the elements of m row by row, without copying when m
// is not a strided view.
func contiguous(m *mat.Dense) []float64 {
	raw := m.RawMatrix()
	if raw.Stride == raw.Cols {
		return raw.Data[:raw.Rows*raw.Cols]
	}
	out := make([]float64, 0, raw.Rows*raw.Cols)
	for i := 0; i < raw.Rows; i++ {
		out = append(out, raw.Data[i*raw.Stride:i*raw.Stride+raw.Cols]...)
	}
	return out
}

func checkFinite(v []float64, what string) error {
	for _, x := range v {
		if !finite(x) {
			return fmt.Errorf("models: %s contains NaN or Inf", what)
		}
	}
	return nil
}

// netTrainer binds a network to its data for the training loop.
type netTrainer struct {
	n      *Network
	x, y   []float64
	xv, yv []float64
	nt, nv int
	ws, ev *workspace
	// x0 and xv0 hold the nonzero elements of every training and
	// validation row, gathered once; in0 views those of the rows of the
	// current mini-batch.
	x0, xv0, in0 nzRows
}

func (t *netTrainer) params() []float64 { return t.n.theta }
func (t *netTrainer) spans() []span     { return t.n.sp }
func (t *netTrainer) classifier() bool  { return t.n.classifier() }
func (t *netTrainer) hasVal() bool      { return t.nv > 0 }
func (t *netTrainer) nTrain() int       { return t.nt }

func (t *netTrainer) gradient(idx []int) []float64 {
	n, ws := t.n, t.ws
	o := n.sizes[len(n.sizes)-1]
	for i, r := range idx {
		t.in0.off[i], t.in0.cnt[i] = t.x0.off[r], t.x0.cnt[r]
		copy(ws.y[i*o:i*o+o], t.y[r*o:r*o+o])
	}
	m := len(idx)
	n.forward(ws, nil, m, &t.in0)
	n.backward(ws, m)
	return ws.grad
}

func (t *netTrainer) evaluate(val bool) (cost, acc float64) {
	if val {
		return t.n.evaluate(t.ev, t.xv, t.yv, t.nv, &t.xv0)
	}
	return t.n.evaluate(t.ev, t.x, t.y, t.nt, &t.x0)
}

// newTrainer checks the data and binds it to n with buffers for mini-batches
// of the given size.
func (n *Network) newTrainer(xTrain, yTrain, xVal, yVal *mat.Dense, batch int) (*netTrainer, error) {
	t := &netTrainer{n: n, nt: n.checkData(xTrain, yTrain)}
	t.x, t.y = contiguous(xTrain), contiguous(yTrain)
	if (xVal == nil) != (yVal == nil) {
		panic("models: validation inputs and targets must both be given or both be nil")
	}
	if xVal != nil {
		t.nv = n.checkData(xVal, yVal)
		t.xv, t.yv = contiguous(xVal), contiguous(yVal)
	}
	for _, c := range []struct {
		v    []float64
		what string
	}{{t.x, "training inputs"}, {t.y, "training targets"}, {t.xv, "validation inputs"}, {t.yv, "validation targets"}} {
		if err := checkFinite(c.v, c.what); err != nil {
			return nil, err
		}
	}
	t.ws = n.newWorkspace(max(1, min(batch, t.nt)), true)
	t.x0 = gatherRows(t.x, t.nt, n.sizes[0])
	t.xv0 = gatherRows(t.xv, t.nv, n.sizes[0])
	t.in0 = t.ws.nz[0]
	t.in0.idx, t.in0.val = t.x0.idx, t.x0.val
	t.ev = n.newWorkspace(min(max(t.nt, t.nv), evalChunk), false)
	return t, nil
}

// gatherRows returns the nonzero elements of the rows of the m×k matrix x,
// stored without gaps.
func gatherRows(x []float64, m, k int) nzRows {
	nnz := 0
	for _, v := range x[:m*k] {
		if v != 0 {
			nnz++
		}
	}
	nz := nzRows{idx: make([]int, nnz+k), val: make([]float64, nnz+k), off: make([]int, m), cnt: make([]int, m)}
	o := 0
	for i := 0; i < m; i++ {
		c := gatherNZ(nz.idx[o:o+k], nz.val[o:o+k], x[i*k:i*k+k])
		nz.off[i], nz.cnt[i] = o, c
		o += c
	}
	return nz
}

// Train fits the network to (xTrain, yTrain) by mini-batch gradient descent
// as configured by tc, evaluating on (xVal, yVal) after every epoch, and
// leaves the network at the parameters of History.BestEpoch (the last ones
// with TrainConfig.KeepLast). The validation set may be nil, in which case the training set is monitored. progress, if
// not nil, is called after every recorded epoch. Train panics if the shapes
// of the data do not match the network; it returns an error if tc is
// invalid or the data contain NaN or Inf.
func (n *Network) Train(xTrain, yTrain, xVal, yVal *mat.Dense, tc TrainConfig, progress func(epoch, total int)) (History, error) {
	if err := tc.Validate(); err != nil {
		return History{}, err
	}
	t, err := n.newTrainer(xTrain, yTrain, xVal, yVal, tc.BatchSize)
	if err != nil {
		return History{}, err
	}
	return train(t, tc, progress)
}
