package models

import (
	"errors"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// handProblem is y = (1, 3, 2, 5) at x = (0, 1, 2, 3) with design [1 x].
// XᵀX = [4 6; 6 14], Xᵀy = (11, 22).
func handProblem() (*mat.Dense, []float64) {
	x := mat.NewDense(4, 2, []float64{
		1, 0,
		1, 1,
		1, 2,
		1, 3,
	})
	return x, []float64{1, 3, 2, 5}
}

func TestClosedFormByHand(t *testing.T) {
	x, y := handProblem()
	for _, tc := range []struct {
		name   string
		lambda float64
		want   []float64
	}{
		// [4 6; 6 14]β = (11, 22), det 20: β = (1.1, 1.1).
		{name: "OLS", lambda: 0, want: []float64{1.1, 1.1}},
		// nλ = 2 on the slope only: [4 6; 6 16]β = (11, 22), det 28:
		// β0 = (16·11 - 6·22)/28 = 11/7, β1 = (4·22 - 6·11)/28 = 11/14.
		{name: "Ridge 0.5", lambda: 0.5, want: []float64{11.0 / 7, 11.0 / 14}},
		// nλ = 20: [4 6; 6 34]β = (11, 22), det 100: β0 = 2.42, β1 = 0.22.
		{name: "Ridge 5", lambda: 5, want: []float64{2.42, 0.22}},
	} {
		var got []float64
		var err error
		if tc.lambda == 0 {
			got, err = OLS(x, y)
		} else {
			got, err = Ridge(x, y, tc.lambda)
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for j := range tc.want {
			if !scalar.EqualWithinAbsOrRel(got[j], tc.want[j], 1e-12, 1e-12) {
				t.Errorf("%s: β[%d] got %v, want %v", tc.name, j, got[j], tc.want[j])
			}
		}
		// The closed form zeroes the gradient of the Ridge cost.
		g := make([]float64, len(got))
		ridgeGradient(g, contiguous(x), y, got, tc.lambda, []int{0, 1, 2, 3})
		for j, v := range g {
			if !scalar.EqualWithinAbs(v, 0, 1e-12) {
				t.Errorf("%s: gradient[%d] at the solution got %v, want 0", tc.name, j, v)
			}
		}
	}
	if got := LinearPredict(x, []float64{1.1, 1.1}); !scalar.EqualWithinAbsOrRel(got[3], 4.4, 1e-12, 1e-12) {
		t.Errorf("LinearPredict got %v, want 4.4 at x = 3", got[3])
	}
}

func TestClosedFormErrors(t *testing.T) {
	x, y := handProblem()
	if _, err := Ridge(x, y, -1); err == nil {
		t.Error("negative lambda: no error")
	}
	y[0] = nan()
	if _, err := OLS(x, y); err == nil {
		t.Error("NaN target: no error")
	}
	// Two identical columns: rank deficient.
	xs := mat.NewDense(3, 2, []float64{1, 1, 1, 1, 1, 1})
	if _, err := OLS(xs, []float64{1, 2, 3}); err == nil {
		t.Error("rank-deficient design: no error")
	}
	// Ridge regularises the same design into a unique solution.
	if _, err := Ridge(xs, []float64{1, 2, 3}, 0.1); err != nil {
		t.Errorf("Ridge on rank-deficient design: %v", err)
	}
}

// TestRidgeGradient checks ridgeGradient against central differences of
// RidgeMSE on a random problem and a random mini-batch.
func TestRidgeGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 20)
	ys := make([]float64, 20)
	for i := range xs {
		xs[i], ys[i] = rng.Float64(), rng.NormFloat64()
	}
	x := PolyFeatures(xs, ys, 3) // any design with a constant column
	y := make([]float64, 20)
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	beta := make([]float64, PolyCols(3))
	for i := range beta {
		beta[i] = rng.NormFloat64()
	}
	idx := []int{3, 7, 1, 19, 12}
	sub := mat.NewDense(len(idx), len(beta), nil)
	ysub := make([]float64, len(idx))
	for i, r := range idx {
		sub.SetRow(i, x.RawRowView(r))
		ysub[i] = y[r]
	}
	for _, lambda := range []float64{0, 0.3} {
		g := make([]float64, len(beta))
		ridgeGradient(g, contiguous(x), y, beta, lambda, idx)
		cost := func(b []float64) float64 { return RidgeMSE(ysub, LinearPredict(sub, b), b, lambda) }
		checkGradient(t, "ridge", cost, g, beta, 1e-6)
	}
}

// TestLinearSGDConvergesToRidge trains Linear by mini-batch SGD with a
// decaying rate on a well-conditioned problem and compares its final
// coefficients with the closed form.
func TestLinearSGDConvergesToRidge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 200
	x := mat.NewDense(n, 3, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		a, b := 2*rng.Float64()-1, 2*rng.Float64()-1
		x.SetRow(i, []float64{1, a, b})
		y[i] = 1 + 2*a - b + 0.1*rng.NormFloat64()
	}
	for _, lambda := range []float64{0, 0.05} {
		want, err := Ridge(x, y, lambda)
		if err != nil {
			t.Fatal(err)
		}
		l := NewLinear(3, lambda, 1)
		h, err := l.Train(x, y, nil, nil, TrainConfig{
			Epochs: 300, BatchSize: 20, LR0: 0.1, Decay: 0.01, Momentum: 0.5, Seed: 2, KeepLast: true,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h.Diverged || len(h.Epochs) != 301 {
			t.Fatalf("λ=%v: diverged %v, %d epochs", lambda, h.Diverged, len(h.Epochs))
		}
		for j := range want {
			if !scalar.EqualWithinAbs(l.Beta[j], want[j], 2e-3) {
				t.Errorf("λ=%v: SGD β[%d] got %v, want closed form %v", lambda, j, l.Beta[j], want[j])
			}
		}
		if got, want := h.Epochs[300].TrainCost, MSE(y, l.Predict(x)); !scalar.EqualWithinAbsOrRel(got, want, 1e-12, 1e-12) {
			t.Errorf("λ=%v: history TrainCost got %v, want MSE %v", lambda, got, want)
		}
	}
}

func TestTrainStopsWhenAsked(t *testing.T) {
	x := PolyFeatures([]float64{0, 0.5, 1, 0.25}, []float64{1, 0.5, 0, 0.75}, 1)
	y := []float64{1, 2, 3, 1.5}
	stop := errors.New("cancelled")
	calls := 0
	tc := TrainConfig{Epochs: 50, BatchSize: 2, LR0: 0.01, Seed: 1, Stop: func() error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	}}
	h, err := NewLinear(3, 0, 1).Train(x, y, nil, nil, tc, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the Stop error", err)
	}
	if got := len(h.Epochs) - 1; got != 3 {
		t.Errorf("trained %d epochs before stopping, want 3", got)
	}
}
