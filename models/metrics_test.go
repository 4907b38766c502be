package models

import (
	"reflect"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

const tol = 1e-12

func TestMSEAndR2(t *testing.T) {
	for _, tc := range []struct {
		name      string
		y, p      []float64
		mse, r2   float64
		beta      []float64
		lambda    float64
		ridgeCost float64
	}{
		// mean 2, SS_tot = 2, residuals (0.5, 0, -1): SS_res = 1.25.
		{name: "three", y: []float64{1, 2, 3}, p: []float64{0.5, 2, 4}, mse: 1.25 / 3, r2: 1 - 1.25/2,
			beta: []float64{10, 1, -2}, lambda: 0.5, ridgeCost: 1.25/3 + 0.5*5},
		{name: "perfect", y: []float64{1, 2}, p: []float64{1, 2}, mse: 0, r2: 1,
			beta: []float64{3}, lambda: 1, ridgeCost: 0},
		{name: "constant target", y: []float64{2, 2}, p: []float64{2, 3}, mse: 0.5, r2: 0,
			beta: []float64{0, 0}, lambda: 1, ridgeCost: 0.5},
		{name: "constant perfect", y: []float64{2, 2}, p: []float64{2, 2}, mse: 0, r2: 1,
			beta: []float64{0, 1}, lambda: 1, ridgeCost: 1},
	} {
		if got := MSE(tc.y, tc.p); !scalar.EqualWithinAbsOrRel(got, tc.mse, tol, tol) {
			t.Errorf("%s: MSE got %v, want %v", tc.name, got, tc.mse)
		}
		if got := R2(tc.y, tc.p); !scalar.EqualWithinAbsOrRel(got, tc.r2, tol, tol) {
			t.Errorf("%s: R2 got %v, want %v", tc.name, got, tc.r2)
		}
		if got := RidgeMSE(tc.y, tc.p, tc.beta, tc.lambda); !scalar.EqualWithinAbsOrRel(got, tc.ridgeCost, tol, tol) {
			t.Errorf("%s: RidgeMSE got %v, want %v", tc.name, got, tc.ridgeCost)
		}
	}
}

func TestMetricsPanicOnShape(t *testing.T) {
	for name, f := range map[string]func(){
		"MSE length":   func() { MSE([]float64{1}, []float64{1, 2}) },
		"MSE empty":    func() { MSE(nil, nil) },
		"R2 length":    func() { R2([]float64{1, 2}, []float64{1}) },
		"CE dims":      func() { CrossEntropy(mat.NewDense(1, 2, nil), mat.NewDense(2, 1, nil)) },
		"Accuracy":     func() { Accuracy([]int{1}, []int{1, 2}) },
		"OneHot range": func() { OneHot([]int{3}, 3) },
		"Confusion":    func() { ConfusionMatrix([]int{0}, []int{5}, 3) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestCrossEntropy(t *testing.T) {
	y := mat.NewDense(2, 3, []float64{
		1, 0, 0,
		0, 0, 1,
	})
	p := mat.NewDense(2, 3, []float64{
		0.5, 0.25, 0.25,
		0.1, 0.1, 0.8,
	})
	// -(ln 0.5 + ln 0.8)/2 = 0.4581453659370776
	if got, want := CrossEntropy(y, p), 0.4581453659370776; !scalar.EqualWithinAbsOrRel(got, want, tol, tol) {
		t.Errorf("CrossEntropy got %v, want %v", got, want)
	}
	// Binary: row 1: -(ln .5 + ln .75 + ln .75); row 2: -(ln .9 + ln .9 + ln .8).
	// = (0.6931471805599453 + 2*0.2876820724517809 + 2*0.10536051565782628 + 0.2231435513142097)/2
	want := (0.6931471805599453 + 2*0.2876820724517809 + 2*0.10536051565782628 + 0.2231435513142097) / 2
	if got := BinaryCrossEntropy(y, p); !scalar.EqualWithinAbsOrRel(got, want, tol, tol) {
		t.Errorf("BinaryCrossEntropy got %v, want %v", got, want)
	}
	// A zero probability on the true class is clamped, not infinite.
	p0 := mat.NewDense(1, 2, []float64{0, 1})
	y0 := mat.NewDense(1, 2, []float64{1, 0})
	if got, want := CrossEntropy(y0, p0), 34.538776394910684; !scalar.EqualWithinAbsOrRel(got, want, 1e-9, 1e-9) {
		t.Errorf("clamped CrossEntropy got %v, want %v (-ln 1e-15)", got, want)
	}
	if got := BinaryCrossEntropy(y0, p0); !finite(got) {
		t.Errorf("clamped BinaryCrossEntropy got %v, want finite", got)
	}
}

func TestClassificationMetrics(t *testing.T) {
	labels := []int{0, 1, 2, 2, 1}
	scores := mat.NewDense(5, 3, []float64{
		0.9, 0.1, 0, // 0
		0.2, 0.3, 0.5, // 2
		0, 0, 1, // 2
		0.5, 0.5, 0, // tie: first, 0
		0, 1, 0, // 1
	})
	pred := Argmax(scores)
	if want := []int{0, 2, 2, 0, 1}; !reflect.DeepEqual(pred, want) {
		t.Fatalf("Argmax got %v, want %v", pred, want)
	}
	if got, want := Accuracy(labels, pred), 0.6; got != want {
		t.Errorf("Accuracy got %v, want %v", got, want)
	}
	want := [][]int{
		{1, 0, 0},
		{0, 1, 1},
		{1, 0, 1},
	}
	if got := ConfusionMatrix(labels, pred, 3); !reflect.DeepEqual(got, want) {
		t.Errorf("ConfusionMatrix got %v, want %v", got, want)
	}
	oh := OneHot([]int{2, 0}, 3)
	if got, want := oh.RawMatrix().Data, []float64{0, 0, 1, 1, 0, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("OneHot got %v, want %v", got, want)
	}
}

func TestPolyFeatures(t *testing.T) {
	terms := PolyTerms(3)
	wantTerms := []string{"1", "x", "y", "x^2", "xy", "y^2", "x^3", "x^2y", "xy^2", "y^3"}
	if !reflect.DeepEqual(terms, wantTerms) {
		t.Errorf("PolyTerms(3) got %v, want %v", terms, wantTerms)
	}
	x := PolyFeatures([]float64{2, 0.5}, []float64{3, -1}, 3)
	want := mat.NewDense(2, 10, []float64{
		1, 2, 3, 4, 6, 9, 8, 12, 18, 27,
		1, 0.5, -1, 0.25, -0.5, 1, 0.125, -0.25, 0.5, -1,
	})
	if !mat.Equal(x, want) {
		t.Errorf("PolyFeatures got\n%v\nwant\n%v", mat.Formatted(x), mat.Formatted(want))
	}
	for _, d := range []int{0, 1, 2, 8} {
		if got, want := len(PolyTerms(d)), (d+1)*(d+2)/2; got != want || PolyCols(d) != want {
			t.Errorf("degree %d: %d terms, PolyCols %d, want %d", d, got, PolyCols(d), want)
		}
		if _, c := PolyFeatures([]float64{1}, []float64{1}, d).Dims(); c != PolyCols(d) {
			t.Errorf("degree %d: %d columns, want %d", d, c, PolyCols(d))
		}
	}
	if got := PolyTerms(8)[44]; got != "y^8" {
		t.Errorf("last term of degree 8 got %q, want y^8", got)
	}
}

func TestLearningRate(t *testing.T) {
	for _, tc := range []struct {
		i      int
		lr0    float64
		decay  float64
		rampUp int
		want   float64
	}{
		{i: 0, lr0: 0.1, decay: 0, rampUp: 0, want: 0.1},
		{i: 1000, lr0: 0.1, decay: 0, rampUp: 0, want: 0.1},
		{i: 100, lr0: 0.1, decay: 0.01, rampUp: 0, want: 0.05},       // 0.1/(1+1)
		{i: 0, lr0: 0.1, decay: 0.01, rampUp: 4, want: 0.025},        // 0.1 · 1/4
		{i: 1, lr0: 0.1, decay: 0.01, rampUp: 4, want: 0.05 / 1.01},  // 0.1/1.01 · 2/4
		{i: 2, lr0: 0.1, decay: 0.01, rampUp: 4, want: 0.075 / 1.02}, // 0.1/1.02 · 3/4
		{i: 3, lr0: 0.1, decay: 0.01, rampUp: 4, want: 0.1 / 1.03},   // ramp finished
		{i: 199, lr0: 0.001, decay: 0.0005, rampUp: 200, want: 0.001 / 1.0995},
		{i: 99, lr0: 0.001, decay: 0.0005, rampUp: 200, want: 0.0005 / 1.0495},
		{i: 9999, lr0: 0.001, decay: 0.0005, rampUp: 200, want: 0.001 / 5.9995},
	} {
		if got := LearningRate(tc.i, Schedule{LR0: tc.lr0, Decay: tc.decay, RampUp: tc.rampUp}); !scalar.EqualWithinAbsOrRel(got, tc.want, 1e-15, 1e-13) {
			t.Errorf("LearningRate(%d, %v, %v, %d) got %v, want %v", tc.i, tc.lr0, tc.decay, tc.rampUp, got, tc.want)
		}
	}
}
