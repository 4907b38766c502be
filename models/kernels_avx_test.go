//go:build amd64 && !purego

package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAVXKernelsMatchGo runs colSum, mulDerivative, the ReLU and leaky
// ReLU activations, the SGD update and gatherNZ with their assembly paths and without, on random data with
// zeros of both signs, infinities and NaNs, at lengths around multiples of
// four and eight, and requires the same bits. (NaNs only need to be NaN:
// which operand's payload an x86 addition passes on depends on the order
// the compiler puts commuting operands in, and a NaN never reaches a
// result, since a run with a NaN cost is declared diverged.)
func TestAVXKernelsMatchGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	fill := func(n int) []float64 { return specialFloats(rng, n) }
	same := func(what string, got, want []float64) {
		t.Helper()
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
				t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
			}
		}
	}
	both := func(f func()) {
		avx, avx512 := useAVX, useAVX512
		defer func() { useAVX, useAVX512 = avx, avx512 }()
		f()
		useAVX, useAVX512 = false, false
		f()
	}
	for trial := 0; trial < 20; trial++ {
		for _, n := range []int{1, 3, 4, 7, 8, 10, 16, 20, 32, 33, 64, 68} {
			for _, m := range []int{1, 2, 20} {
				d := fill(m * n)
				var got, want []float64
				both(func() {
					dst := make([]float64, n)
					colSum(dst, d, m, n)
					got, want = want, dst
				})
				same("colSum", got, want)
			}
			z, a, c0 := fill(n), fill(n), fill(n)
			for _, act := range []Activation{Identity, Sigmoid, ReLU, LeakyReLU} {
				var got, want []float64
				both(func() {
					c := append([]float64(nil), c0...)
					mulDerivative(act, 0.01, c, z, a)
					got, want = want, c
				})
				same("mulDerivative "+string(act), got, want)
			}
			for _, act := range []Activation{ReLU, LeakyReLU} {
				var got, want []float64
				both(func() {
					a := make([]float64, n)
					activate(act, 0.01, a, z, n, nil, nil)
					got, want = want, a
				})
				same("activate "+string(act), got, want)
			}
			g := fill(n)
			var got, want []float64
			both(func() {
				theta := append([]float64(nil), c0...)
				o := newOptimizer(TrainConfig{Momentum: 0.6}, n)
				copy(o.v, a)
				o.update(theta, g, 0.3)
				o.update(theta, z, 0.2)
				got, want = want, append(theta, o.v...)
			})
			same("SGD update", got, want)
			var gi, wi []int
			both(func() {
				idx, val := make([]int, n), make([]float64, n)
				cnt := gatherNZ(idx, val, z)
				gi, wi = wi, idx[:cnt]
				got, want = want, val[:cnt]
			})
			if len(gi) != len(wi) {
				t.Fatalf("gatherNZ: %d elements, want %d", len(gi), len(wi))
			}
			for i := range wi {
				if gi[i] != wi[i] {
					t.Fatalf("gatherNZ: index %d = %d, want %d", i, gi[i], wi[i])
				}
			}
			same("gatherNZ", got, want)
		}
	}
}
