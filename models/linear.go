package models

import (
	"errors"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// OLS returns the ordinary least-squares coefficients β minimising
// (1/n)||y - Xβ||², computed from the QR factorisation of the design matrix
// x (never an explicit inverse). It panics if len(y) differs from the number
// of rows of x. It returns an error, with the coefficients still computed,
// if x is too ill-conditioned for the solution to be trusted (a
// mat.Condition), and an error without coefficients if x has fewer rows
// than columns, the data are not finite or the solution is not finite.
func OLS(x *mat.Dense, y []float64) ([]float64, error) {
	return Ridge(x, y, 0)
}

// Ridge returns the coefficients β minimising the Ridge cost
//
//	(1/n)||y - Xβ||² + λ Σ_{j≥1} β_j²,
//
// whose first column of x is the unpenalised intercept (see the package
// documentation). It solves the equivalent least-squares problem
//
//	min || [X; sqrt(nλ)·D] β - [y; 0] ||,  D = diag(0, 1, ..., 1),
//
// by QR, which is the normal-equations solution (XᵀX + nλD)β = Xᵀy without
// squaring the condition number of X. Errors are as for OLS; lambda must be
// non-negative.
func Ridge(x *mat.Dense, y []float64, lambda float64) ([]float64, error) {
	n, p := x.Dims()
	if len(y) != n {
		panic("models: len(y) does not match the rows of x")
	}
	if lambda < 0 || math.IsNaN(lambda) || math.IsInf(lambda, 0) {
		return nil, errors.New("models: lambda must be finite and non-negative")
	}
	if err := checkFinite(contiguous(x), "design matrix"); err != nil {
		return nil, err
	}
	if err := checkFinite(y, "targets"); err != nil {
		return nil, err
	}
	a, b := x, mat.NewVecDense(n, append([]float64(nil), y...))
	if lambda > 0 {
		aug := mat.NewDense(n+p-1, p, nil)
		aug.Slice(0, n, 0, p).(*mat.Dense).Copy(x)
		s := math.Sqrt(float64(n) * lambda)
		for j := 1; j < p; j++ {
			aug.Set(n+j-1, j, s)
		}
		a = aug
		b = mat.NewVecDense(n+p-1, nil)
		for i, v := range y {
			b.SetVec(i, v)
		}
	}
	rows, _ := a.Dims()
	if rows < p {
		return nil, errors.New("models: fewer equations than coefficients")
	}
	var qr mat.QR
	qr.Factorize(a)
	beta := mat.NewVecDense(p, nil)
	if err := qr.SolveVecTo(beta, false, b); err != nil {
		if checkFinite(beta.RawVector().Data, "") != nil {
			return nil, err
		}
		return beta.RawVector().Data, err
	}
	return beta.RawVector().Data, nil
}

// LinearPredict returns Xβ. It panics if len(beta) differs from the number
// of columns of x.
func LinearPredict(x *mat.Dense, beta []float64) []float64 {
	n, p := x.Dims()
	if len(beta) != p {
		panic("models: len(beta) does not match the columns of x")
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = dot(x.RawRowView(i), beta)
	}
	return out
}

// LinearInitSD is the standard deviation of the initial coefficients of
// NewLinear, the study's β_j ~ 3·N(0, 1).
const LinearInitSD = 3

// Linear is a linear model y ≈ Xβ trained by the same mini-batch loop as
// Network, on the Ridge cost (OLS when Lambda is 0). X must have the
// constant column first: Beta[0] is the intercept and is not penalised.
type Linear struct {
	Beta   []float64 // coefficients, one per column of the design matrix
	Lambda float64   // Ridge penalty λ; 0 for OLS
}

// NewLinear returns a linear model for a design matrix of p columns whose
// coefficients are drawn from N(0, LinearInitSD²) by a PCG generator seeded
// by seed. It panics if p < 1 or lambda is negative.
func NewLinear(p int, lambda float64, seed uint64) *Linear {
	if p < 1 || lambda < 0 || math.IsNaN(lambda) {
		panic("models: NewLinear needs p >= 1 and lambda >= 0")
	}
	rng := rand.New(rand.NewPCG(seed, initStream))
	l := &Linear{Beta: make([]float64, p), Lambda: lambda}
	for i := range l.Beta {
		l.Beta[i] = LinearInitSD * rng.NormFloat64()
	}
	return l
}

// Predict returns Xβ for the design matrix x.
func (l *Linear) Predict(x *mat.Dense) []float64 { return LinearPredict(x, l.Beta) }

// Train fits the coefficients to (x, y) by mini-batch gradient descent on
// the Ridge cost, with gradient (2/m)X_bᵀ(X_bβ - y_b) + 2λDβ over each
// mini-batch b of m rows, evaluating the MSE on (xVal, yVal) after every
// epoch, and leaves Beta at the coefficients of History.BestEpoch (the last
// ones with TrainConfig.KeepLast). The validation set may be nil. Shapes that do not match panic; invalid tc or
// non-finite data return an error.
func (l *Linear) Train(x *mat.Dense, y []float64, xVal *mat.Dense, yVal []float64, tc TrainConfig, progress func(epoch, total int)) (History, error) {
	if err := tc.Validate(); err != nil {
		return History{}, err
	}
	if tc.Monitor == MonitorErrorRate {
		return History{}, errors.New("models: a linear model has no error rate")
	}
	p := len(l.Beta)
	t := &linTrainer{l: l, p: p, grad: make([]float64, p)}
	t.x, t.y, t.nt = linData(x, y, p)
	if xVal != nil {
		t.xv, t.yv, t.nv = linData(xVal, yVal, p)
	}
	for _, v := range [][]float64{t.x, t.y, t.xv, t.yv, l.Beta} {
		if err := checkFinite(v, "data"); err != nil {
			return History{}, err
		}
	}
	return train(t, tc, progress)
}

func linData(x *mat.Dense, y []float64, p int) ([]float64, []float64, int) {
	n, c := x.Dims()
	if c != p {
		panic("models: design matrix has the wrong number of columns")
	}
	if len(y) != n {
		panic("models: len(y) does not match the rows of x")
	}
	return contiguous(x), y, n
}

// linTrainer binds a Linear to its data for the training loop.
type linTrainer struct {
	l      *Linear
	p      int
	x, y   []float64
	xv, yv []float64
	nt, nv int
	grad   []float64
}

func (t *linTrainer) params() []float64 { return t.l.Beta }
func (t *linTrainer) spans() []span     { return []span{{w0: 1, w1: t.p, b0: 0, b1: 1}} }
func (t *linTrainer) classifier() bool  { return false }
func (t *linTrainer) hasVal() bool      { return t.nv > 0 }
func (t *linTrainer) nTrain() int       { return t.nt }

func (t *linTrainer) gradient(idx []int) []float64 {
	ridgeGradient(t.grad, t.x, t.y, t.l.Beta, t.l.Lambda, idx)
	return t.grad
}

// ridgeGradient stores in g the gradient of the Ridge cost over the rows idx
// of x (contiguous, len(beta) columns) and y.
func ridgeGradient(g, x, y, beta []float64, lambda float64, idx []int) {
	p := len(beta)
	clear(g)
	for _, r := range idx {
		xr := x[r*p : r*p+p]
		axpy(dot(xr, beta)-y[r], xr, g)
	}
	s := 2 / float64(len(idx))
	for j := range g {
		g[j] *= s
	}
	for j := 1; j < p; j++ {
		g[j] += 2 * lambda * beta[j]
	}
}

func (t *linTrainer) evaluate(val bool) (cost, acc float64) {
	x, y, n := t.x, t.y, t.nt
	if val {
		x, y, n = t.xv, t.yv, t.nv
	}
	p := t.p
	for r := 0; r < n; r++ {
		e := dot(x[r*p:r*p+p], t.l.Beta) - y[r]
		cost += e * e
	}
	return cost / float64(n), 0
}
