package models

import "math"

// Exponentials four at a time. On amd64, math.Exp is an assembly routine
// (math/exp_amd64.s) that runs one of two fixed sequences of IEEE operations
// — with fused multiply-adds if the processor has FMA, without otherwise —
// for arguments whose result is a normal number, and handles the others
// (NaN, ±Inf, overflow, subnormal results) separately. expAVX runs the same
// sequences in the four lanes of AVX registers, so for arguments in
// [-708, 709] its results are math.Exp's bit for bit; elements with an
// argument outside that range, or NaN, are recomputed with math.Exp. Which
// sequence math.Exp uses is not exported (GODEBUG=cpu.fma=off changes it),
// so the package tries its candidates against math.Exp on a spread of
// arguments when it starts and uses the vector path only if one agrees on
// every one of them; TestExpAVXMatchesMathExp checks many more.

// expVec selects expAVX, and expFMA its FMA sequence.
var expVec, expFMA = chooseExp()

// expLo and expHi bound the arguments for which expAVX is exact.
const expLo, expHi = -708.0, 709.0

func chooseExp() (vec, fma bool) {
	if !useAVX {
		return false, false
	}
	cands := []bool{false}
	if hasFMA() {
		cands = []bool{true, false}
	}
	for _, f := range cands {
		if expAgrees(expProbe(), f) {
			return true, f
		}
	}
	return false, false
}

// expProbe returns 2048 arguments spread over [-708, 709], more densely over
// [-40, 40], where the networks' pre-activations lie.
func expProbe() []float64 {
	x := make([]float64, 2048)
	const phi = 0.6180339887498949
	for i := range x {
		f := math.Mod(float64(i)*phi, 1)
		if i%2 == 0 {
			x[i] = expLo + (expHi-expLo)*f
		} else {
			x[i] = -40 + 80*f
		}
	}
	return x
}

// expAgrees reports whether expAVX with the given sequence gives math.Exp's
// bits for exp(x) and 1/(1+exp(-x)) at every x (all within [-708, 709]).
func expAgrees(x []float64, fma bool) bool {
	n := len(x) &^ 3
	if n == 0 {
		return true
	}
	got := make([]float64, n)
	for _, sig := range []bool{false, true} {
		if !expAVX(&got[0], &x[0], n, 0, sig, fma) {
			return false
		}
		for i, v := range x[:n] {
			want := math.Exp(v)
			if sig {
				want = sigmoid(v)
			}
			if math.Float64bits(got[i]) != math.Float64bits(want) {
				return false
			}
		}
	}
	return true
}

// expShift sets dst[i] = math.Exp(src[i] - shift) for every i < len(src).
func expShift(dst, src []float64, shift float64) {
	dst = dst[:len(src)]
	n := 0
	if expVec && len(src) >= 4 {
		n = len(src) &^ 3
		if !expAVX(&dst[0], &src[0], n, shift, false, expFMA) {
			for i, v := range src[:n] {
				if t := v - shift; !(t >= expLo && t <= expHi) {
					dst[i] = math.Exp(t)
				}
			}
		}
	}
	for i := n; i < len(src); i++ {
		dst[i] = math.Exp(src[i] - shift)
	}
}

// sigmoids sets a[i] = sigmoid(z[i]) for every i < len(z).
func sigmoids(a, z []float64) {
	a = a[:len(z)]
	n := 0
	if expVec && len(z) >= 4 {
		n = len(z) &^ 3
		if !expAVX(&a[0], &z[0], n, 0, true, expFMA) {
			for i, v := range z[:n] {
				if t := -v; !(t >= expLo && t <= expHi) {
					a[i] = sigmoid(v)
				}
			}
		}
	}
	for i := n; i < len(z); i++ {
		a[i] = sigmoid(z[i])
	}
}
