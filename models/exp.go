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
// dst and src must not overlap.
func expShift(dst, src []float64, shift float64) {
	expRun(dst[:len(src)], src, shift, false)
}

// sigmoids sets a[i] = sigmoid(z[i]) for every i < len(z). a and z must
// not overlap.
func sigmoids(a, z []float64) {
	expRun(a[:len(z)], z, 0, true)
}

// expRun is expShift (sig false) or sigmoids (sig true) on len(dst) ==
// len(src) elements. With four or more, expAVX does them all: a tail of
// fewer than four is done again as part of the last four, which gives the
// same values again (the elements do not depend on each other).
func expRun(dst, src []float64, shift float64, sig bool) {
	n := len(src)
	if !expVec || n < 4 {
		for i, v := range src {
			if sig {
				dst[i] = sigmoid(v)
			} else {
				dst[i] = math.Exp(v - shift)
			}
		}
		return
	}
	n4 := n &^ 3
	ok := expAVX(&dst[0], &src[0], n4, shift, sig, expFMA)
	if n4 < n {
		ok = expAVX(&dst[n-4], &src[n-4], 4, shift, sig, expFMA) && ok
	}
	if ok {
		return
	}
	for i, v := range src {
		if sig {
			if t := -v; !(t >= expLo && t <= expHi) {
				dst[i] = sigmoid(v)
			}
		} else if t := v - shift; !(t >= expLo && t <= expHi) {
			dst[i] = math.Exp(t)
		}
	}
}
