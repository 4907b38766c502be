package models_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/repro-dev/repro/models"
)

func ExamplePolyTerms() {
	fmt.Println(models.PolyTerms(2))
	x := models.PolyFeatures([]float64{2}, []float64{3}, 2)
	fmt.Println(x.RawRowView(0))
	// Output:
	// [1 x y x^2 xy y^2]
	// [1 2 3 4 6 9]
}

func ExampleLearningRate() {
	for _, i := range []int{0, 99, 199, 9999} {
		fmt.Printf("step %4d: %.3g\n", i, models.LearningRate(i, models.Schedule{LR0: 0.001, Decay: 0.0005, RampUp: 200}))
	}
	// Output:
	// step    0: 5e-06
	// step   99: 0.000476
	// step  199: 0.00091
	// step 9999: 0.000167
}

func ExampleRidge() {
	// y = 1, 3, 2, 5 at x = 0, 1, 2, 3; the intercept is not penalised.
	x := mat.NewDense(4, 2, []float64{1, 0, 1, 1, 1, 2, 1, 3})
	y := []float64{1, 3, 2, 5}
	ols, _ := models.OLS(x, y)
	ridge, _ := models.Ridge(x, y, 0.5)
	fmt.Printf("OLS   %.4f\nRidge %.4f\n", ols, ridge)
	// Output:
	// OLS   [1.1000 1.1000]
	// Ridge [1.5714 0.7857]
}

func ExampleNetwork_Train() {
	// XOR with one hidden layer and a softmax output.
	x := mat.NewDense(4, 2, []float64{0, 0, 0, 1, 1, 0, 1, 1})
	y := models.OneHot([]int{0, 1, 1, 0}, 2)
	n := models.NewNetwork(models.NetConfig{
		Inputs: 2,
		Layers: []models.Layer{{Size: 8, Act: models.Sigmoid}, {Size: 2, Act: models.Softmax}},
		Init:   models.InitGlorot,
		Cost:   models.CostCrossEntropy,
	}, 1)
	h, err := n.Train(x, y, nil, nil, models.TrainConfig{Epochs: 2000, BatchSize: 4, LR0: 0.5, Momentum: 0.9, Seed: 1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.PredictClass(x), h.Stopped, h.Diverged)
	// Output:
	// [0 1 1 0] epochs false
}
