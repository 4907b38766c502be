package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpAVXMatchesMathExp checks that expShift and sigmoids give the bits
// of math.Exp and sigmoid for a million random arguments and for the edge
// cases (±0, ±Inf, NaN, the ends of the vector range, overflow and
// subnormal results), at every alignment of the tail.
func TestExpAVXMatchesMathExp(t *testing.T) {
	t.Logf("vector path %v, FMA sequence %v", expVec, expFMA)
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 0, 1<<20)
	for len(x) < cap(x)-64 {
		switch rng.IntN(4) {
		case 0:
			x = append(x, (rng.Float64()*2-1)*750)
		case 1:
			x = append(x, rng.NormFloat64()*5)
		case 2:
			x = append(x, rng.NormFloat64()*1e-6)
		default:
			x = append(x, math.Float64frombits(rng.Uint64()))
		}
	}
	edges := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), expLo, expHi,
		math.Nextafter(expLo, -1000), math.Nextafter(expHi, 1000), 709.78, 709.79, -745.1, -745.2, -720, 1e300, -1e300,
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64}
	x = append(x, edges...)
	dst := make([]float64, len(x))
	for _, shift := range []float64{0, 1.5, -3} {
		for off := 0; off < 4; off++ {
			src := x[off:]
			expShift(dst[:len(src)], src, shift)
			for i, v := range src {
				if want := math.Exp(v - shift); math.Float64bits(dst[i]) != math.Float64bits(want) {
					t.Fatalf("expShift: exp(%v - %v) = %v, want %v", v, shift, dst[i], want)
				}
			}
		}
	}
	// Short runs (the tails done again in the last four), each
	// ending in the edge cases at the end of x.
	for n := 1; n <= 12; n++ {
		for end := len(x) - len(edges); end <= len(x); end++ {
			src := x[end-n : end]
			expShift(dst[:n], src, 0.5)
			for i, v := range src {
				if want := math.Exp(v - 0.5); math.Float64bits(dst[i]) != math.Float64bits(want) {
					t.Fatalf("expShift, %d elements: exp(%v - 0.5) = %v, want %v", n, v, dst[i], want)
				}
			}
			sigmoids(dst[:n], src)
			for i, v := range src {
				if want := sigmoid(v); math.Float64bits(dst[i]) != math.Float64bits(want) {
					t.Fatalf("sigmoids, %d elements: sigmoid(%v) = %v, want %v", n, v, dst[i], want)
				}
			}
		}
	}
	for off := 0; off < 4; off++ {
		src := x[off:]
		sigmoids(dst[:len(src)], src)
		for i, v := range src {
			if want := sigmoid(v); math.Float64bits(dst[i]) != math.Float64bits(want) {
				t.Fatalf("sigmoids: sigmoid(%v) = %v, want %v", v, dst[i], want)
			}
		}
	}
}

// TestGatherNZ checks gatherNZ against the definition at every length up to
// 40, with zeros of both signs, NaN and infinities.
func TestGatherNZ(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 40; n++ {
		for trial := 0; trial < 50; trial++ {
			v := specialFloats(rng, n)
			idx, val := make([]int, n), make([]float64, n)
			cnt := gatherNZ(idx, val, v)
			var wi []int
			var wv []float64
			for q, x := range v {
				if x != 0 {
					wi, wv = append(wi, q), append(wv, x)
				}
			}
			if cnt != len(wi) {
				t.Fatalf("n=%d: count %d, want %d", n, cnt, len(wi))
			}
			for i := range wi {
				if idx[i] != wi[i] || math.Float64bits(val[i]) != math.Float64bits(wv[i]) {
					t.Fatalf("n=%d: element %d is (%d, %v), want (%d, %v)", n, i, idx[i], val[i], wi[i], wv[i])
				}
			}
		}
	}
}

// specialFloats returns n random floats, about one in ten +0, one in ten
// -0 and one in ten NaN, ±Inf, 1e300 or -1e-300, the others normal.
func specialFloats(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch rng.IntN(10) {
		case 0:
			v[i] = 0
		case 1:
			v[i] = math.Copysign(0, -1)
		case 2:
			v[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e300, -1e-300}[rng.IntN(5)]
		default:
			v[i] = rng.NormFloat64()
		}
	}
	return v
}
