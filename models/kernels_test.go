package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCombineMatchesGo checks that combine (the assembly kernel where there
// is one) gives bit-identical results to combineGo for every block width,
// with and without an initial row, for sparse and empty lists, and that
// combineStrided with coefficients in a column gives the same.
func TestCombineMatchesGo(t *testing.T) {
	t.Logf("assembly kernel: %v (AVX-512 blocks: %v)", useAVX, useAVX512)
	wide := useAVX512
	defer func() { useAVX512 = wide }()
	for _, useAVX512 = range []bool{wide, false} {
		testCombineMatchesGo(t)
	}
}

func testCombineMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 140; n++ {
		for _, cnt := range []int{0, 1, 2, 7, 33} {
			for _, withC0 := range []bool{false, true} {
				stride := n + rng.IntN(5)
				rows := cnt + 3
				b := make([]float64, rows*stride)
				for i := range b {
					b[i] = rng.NormFloat64()
				}
				b[0] = math.Copysign(0, -1)
				idx := make([]int, cnt)
				val := make([]float64, cnt)
				for q := range idx {
					idx[q] = rng.IntN(rows)
					val[q] = rng.NormFloat64() * 1e3
				}
				var c0 []float64
				if withC0 {
					c0 = make([]float64, n)
					for j := range c0 {
						c0[j] = rng.NormFloat64()
					}
				}
				got, want := make([]float64, n), make([]float64, n)
				combine(got, c0, idx, val, b, stride)
				combineGo(want, c0, idx, val, 1, b, stride)
				for j := range got {
					if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
						t.Fatalf("AVX-512 %v, n %d, %d rows, c0 %v: c[%d] = %v, want %v", useAVX512, n, cnt, withC0, j, got[j], want[j])
					}
				}
				// The same coefficients as a column of a matrix with 3
				// columns.
				col := make([]float64, 3*cnt+1)
				for q, v := range val {
					col[3*q+1] = v
					col[3*q] = rng.NormFloat64()
				}
				combineStrided(got, c0, idx, col[1:], 3, b, stride)
				for j := range got {
					if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
						t.Fatalf("AVX-512 %v, strided, n %d, %d rows, c0 %v: c[%d] = %v, want %v", useAVX512, n, cnt, withC0, j, got[j], want[j])
					}
				}
			}
		}
	}
}

func TestCombineRange(t *testing.T) {
	for _, p := range []int{3, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("row %d of a 3-row matrix: no panic", p)
				}
			}()
			b := make([]float64, 3*8)
			combine(make([]float64, 8), nil, []int{0, p}, []float64{1, 1}, b, 8)
		}()
	}
}
