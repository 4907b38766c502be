package models

import (
	"errors"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// NewLogistic returns a multinomial logistic regression model as a network
// without hidden layers: one Softmax layer of classes nodes trained with
// cross-entropy and the L2 penalty l2 Σ w² (the intercepts, which are the
// biases, are not penalised). Weights start from InitGlorot. Train it with
// Network.Train, or fit it directly with FitLogistic.
func NewLogistic(inputs, classes int, l2 float64, seed uint64) *Network {
	return NewNetwork(logisticConfig(inputs, classes, l2), seed)
}

func logisticConfig(inputs, classes int, l2 float64) NetConfig {
	return NetConfig{
		Inputs: inputs,
		Layers: []Layer{{Size: classes, Act: Softmax}},
		Init:   InitGlorot,
		Cost:   CostCrossEntropy,
		L2:     l2,
	}
}

// LBFGSResult summarises a FitLogistic run. It encodes to JSON.
type LBFGSResult struct {
	Iterations int     // major iterations of L-BFGS
	FuncEvals  int     // evaluations of the cost
	GradEvals  int     // evaluations of the gradient
	Cost       float64 // penalised cost at the solution
	GradNorm   float64 // largest absolute element of the gradient at the solution
	Status     string  // why L-BFGS stopped, as reported by gonum/optimize
}

// LogisticOptions configures FitLogistic. The zero value fits without a
// penalty and with the default iteration bound.
type LogisticOptions struct {
	// L2 is the penalty l2 Σ w² on the weights (not on the intercepts);
	// 0 means no penalty. It must not be negative.
	L2 float64
	// MaxIter bounds the major iterations of L-BFGS; 0 (or less) means 1000.
	MaxIter int
}

// FitLogistic fits multinomial logistic regression to the inputs x and the
// one-hot targets y by minimising the penalised cross-entropy
//
//	-(1/n) Σ_i Σ_k y_ik ln softmax(x_i W + b)_k + l2 Σ w²
//
// with L-BFGS from gonum/optimize and the analytic gradient, starting from
// zero parameters, with l2 = o.L2 and at most o.MaxIter major iterations.
// This is the model of NewLogistic, and the returned network predicts like
// one trained by SGD. It panics if the rows of x and y differ, and returns
// an error for non-finite data, a negative L2 or a failed optimisation; when
// L-BFGS stops early with a usable point the network is returned together
// with the error.
func FitLogistic(x, y *mat.Dense, o LogisticOptions) (*Network, LBFGSResult, error) {
	l2, maxIter := o.L2, o.MaxIter
	if l2 < 0 {
		return nil, LBFGSResult{}, errors.New("models: l2 must be non-negative")
	}
	_, in := x.Dims()
	_, classes := y.Dims()
	n := newNetwork(logisticConfig(in, classes, l2))
	prob, err := n.fullBatchProblem(x, y)
	if err != nil {
		return nil, LBFGSResult{}, err
	}
	if maxIter <= 0 {
		maxIter = 1000
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-8,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-12, Iterations: 50},
	}
	res, err := optimize.Minimize(prob, make([]float64, len(n.theta)), settings, &optimize.LBFGS{})
	if res == nil {
		return nil, LBFGSResult{}, err
	}
	if checkFinite(res.X, "") != nil {
		return nil, LBFGSResult{}, errors.New("models: L-BFGS produced non-finite parameters")
	}
	copy(n.theta, res.X)
	g := make([]float64, len(res.X))
	prob.Grad(g, res.X)
	out := LBFGSResult{
		Iterations: res.MajorIterations,
		FuncEvals:  res.FuncEvaluations,
		GradEvals:  res.GradEvaluations,
		Cost:       prob.Func(res.X),
		GradNorm:   maxAbs(g),
		Status:     res.Status.String(),
	}
	return n, out, err
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		if x < 0 {
			x = -x
		}
		if x > m {
			m = x
		}
	}
	return m
}

// fullBatchProblem returns the penalised cost of n over all rows of (x, y)
// and its gradient as an optimize.Problem over the flat parameter vector.
// Both functions set the parameters of n to their argument.
func (n *Network) fullBatchProblem(x, y *mat.Dense) (optimize.Problem, error) {
	rows := n.checkData(x, y)
	ws := n.newWorkspace(rows, true)
	copy(ws.x, contiguous(x))
	copy(ws.y, contiguous(y))
	if err := checkFinite(ws.x, "inputs"); err != nil {
		return optimize.Problem{}, err
	}
	if err := checkFinite(ws.y, "targets"); err != nil {
		return optimize.Problem{}, err
	}
	return optimize.Problem{
		Func: func(p []float64) float64 {
			copy(n.theta, p)
			n.forward(ws, ws.x, rows, nil)
			c, _ := n.batchCost(ws, ws.y, rows)
			return c/float64(rows) + n.penalty()
		},
		Grad: func(g, p []float64) {
			copy(n.theta, p)
			n.forward(ws, ws.x, rows, nil)
			n.backward(ws, rows)
			copy(g, ws.grad)
		},
	}, nil
}

// penalty returns L2 Σ w² over the weights of every layer.
func (n *Network) penalty() float64 {
	if n.cfg.L2 == 0 {
		return 0
	}
	var s float64
	for _, sp := range n.sp {
		for _, w := range n.theta[sp.w0:sp.w1] {
			s += w * w
		}
	}
	return n.cfg.L2 * s
}
