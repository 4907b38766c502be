package models

import "math"

// Activation names the activation function of a layer.
type Activation string

// The activation functions. Softmax is allowed on the output layer only.
const (
	Identity  Activation = "identity"   // f(z) = z
	Sigmoid   Activation = "sigmoid"    // f(z) = 1/(1+e^-z)
	ReLU      Activation = "relu"       // f(z) = max(z, 0)
	LeakyReLU Activation = "leaky_relu" // f(z) = z for z >= 0, αz otherwise
	Softmax   Activation = "softmax"    // f(z)_j = e^z_j / Σ_k e^z_k, per row
)

// HiddenActivations are the activations a hidden layer may use, and
// OutputActivations those a classifier's output layer may use (a
// regression's output is Identity): the one list the configuration checks
// against and the report names.
var (
	HiddenActivations = []Activation{Sigmoid, ReLU, LeakyReLU, Identity}
	OutputActivations = []Activation{Softmax, Sigmoid}
)

// Name is the activation as prose writes it ("ReLU", "leaky ReLU").
func (a Activation) Name() string {
	switch a {
	case ReLU:
		return "ReLU"
	case LeakyReLU:
		return "leaky ReLU"
	}
	return string(a)
}

// TeX is the activation's formula in TeX, without the dollar signs, as
// the report's Methods section writes it (α is the slope of LeakyReLU,
// NetConfig.LeakyAlpha). An activation added to HiddenActivations needs a
// case here for the report to name it with its formula.
func (a Activation) TeX() string {
	switch a {
	case Identity:
		return `z`
	case Sigmoid:
		return `\sigma(z) = 1/(1+e^{-z})`
	case ReLU:
		return `\max(0, z)`
	case LeakyReLU:
		return `\max(0, z) + \alpha \min(0, z)`
	case Softmax:
		return `a_k = e^{z_k} / \sum_j e^{z_j}`
	}
	return ""
}

// DefaultLeakyAlpha is the slope of LeakyReLU for negative inputs when
// NetConfig.LeakyAlpha is 0.
const DefaultLeakyAlpha = 0.01

func (a Activation) valid() bool {
	switch a {
	case Identity, Sigmoid, ReLU, LeakyReLU, Softmax:
		return true
	}
	return false
}

// sigmoid returns 1/(1+e^-z). For z < -709 the exponential is +Inf and the
// result the correct limit 0, so no branch is needed.
func sigmoid(z float64) float64 {
	return 1 / (1 + math.Exp(-z))
}

// softplus returns ln(1+e^t) without overflow.
func softplus(t float64) float64 {
	return math.Max(t, 0) + math.Log1p(math.Exp(-math.Abs(t)))
}

// activate computes a = f(z) elementwise (row-wise for Softmax, rows of
// width cols, storing each row's maximum and sum of exponentials, as
// softmaxRow returns them, in smax and ssum). For Identity a and z are the
// same slice and nothing is done.
func activate(act Activation, alpha float64, a, z []float64, cols int, smax, ssum []float64) {
	a = a[:len(z)]
	if useAVX && (act == ReLU || act == LeakyReLU) && len(z) >= 4 {
		// Four at a time in assembly, the rest below.
		n := len(z) &^ 3
		actAVX(&a[0], &z[0], n, act == LeakyReLU, alpha)
		a, z = a[n:], z[n:]
	}
	switch act {
	case Identity:
		if &a[0] != &z[0] {
			copy(a, z)
		}
	case Sigmoid:
		sigmoids(a, z)
	case ReLU:
		// Branch-free (the signs are too irregular to predict): keep
		// the bits of v where v > 0, else +0.
		for i, v := range z {
			a[i] = math.Float64frombits(math.Float64bits(v) & positiveMask(v))
		}
	case LeakyReLU:
		for i, v := range z {
			a[i] = v * slope(v, alpha)
		}
	case Softmax:
		rows := len(z) / cols
		smax, ssum = smax[:rows], ssum[:rows]
		for i := range rows {
			smax[i], ssum[i] = softmaxRow(a[i*cols:i*cols+cols], z[i*cols:i*cols+cols])
		}
	}
}

// softmaxRow computes the softmax of z into a, subtracting the maximum
// first so that no exponential overflows, and returns that maximum and the
// sum of the exponentials it divided by (ln Σ_j e^z_j = mx + ln s). A NaN in
// z makes the whole row NaN, as with math.Max.
func softmaxRow(a, z []float64) (mx, s float64) {
	a = a[:len(z)]
	mx = z[0]
	for _, v := range z[1:] {
		if v > mx {
			mx = v
		}
	}
	expShift(a, z, mx)
	for _, e := range a {
		s += e
	}
	inv := 1 / s
	for i := range a {
		a[i] *= inv
	}
	return mx, s
}

// derivative stores f'(z) elementwise in dst, using z or a = f(z). It is
// not defined for Softmax, whose Jacobian is not diagonal.
func derivative(act Activation, alpha float64, dst, z, a []float64) {
	dst = dst[:len(z)]
	switch act {
	case Identity:
		for i := range dst {
			dst[i] = 1
		}
	case Sigmoid:
		a = a[:len(dst)]
		for i, v := range a {
			dst[i] = v * (1 - v)
		}
	case ReLU:
		for i, v := range z {
			if v > 0 {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
	case LeakyReLU:
		for i, v := range z {
			if v > 0 {
				dst[i] = 1
			} else {
				dst[i] = alpha
			}
		}
	default:
		panic("models: no elementwise derivative for " + string(act))
	}
}

// positiveMask returns all ones if v > 0 and zero otherwise (NaN included),
// without a branch.
func positiveMask(v float64) uint64 {
	var m uint64
	if v > 0 {
		m = ^uint64(0)
	}
	return m
}

// slope returns 1 if v > 0 and alpha otherwise, without a branch.
func slope(v, alpha float64) float64 {
	return math.Float64frombits(math.Float64bits(1)&positiveMask(v) | math.Float64bits(alpha)&^positiveMask(v))
}

// mulDerivative multiplies every c[i] by f'(z[i]), using z or a = f(z).
// It is not defined for Softmax, whose Jacobian is not diagonal.
func mulDerivative(act Activation, alpha float64, c, z, a []float64) {
	c = c[:len(z)]
	a = a[:len(z)]
	if useAVX && len(c) >= 4 && act != Identity {
		kind := 0
		switch act {
		case Sigmoid:
			kind = 1
		case ReLU:
			kind = 2
		case LeakyReLU:
			kind = 3
		}
		if kind != 0 {
			// Four at a time in assembly, the rest below.
			n := len(c) &^ 3
			mulDerivAVX(&c[0], &z[0], &a[0], n, kind, alpha)
			c, z, a = c[n:], z[n:], a[n:]
		}
	}
	switch act {
	case Identity:
	case Sigmoid:
		for i, v := range a {
			c[i] *= v * (1 - v)
		}
	case ReLU:
		for i, v := range z {
			c[i] *= math.Float64frombits(math.Float64bits(1) & positiveMask(v))
		}
	case LeakyReLU:
		for i, v := range z {
			c[i] *= slope(v, alpha)
		}
	default:
		panic("models: no elementwise derivative for " + string(act))
	}
}
