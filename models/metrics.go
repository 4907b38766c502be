package models

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// probEps is the smallest probability whose logarithm the cross-entropy
// functions take: probabilities are clamped to [probEps, 1-probEps].
const probEps = 1e-15

func checkSameLen(a, b []float64) {
	if len(a) != len(b) {
		panic("models: length mismatch")
	}
	if len(a) == 0 {
		panic("models: empty input")
	}
}

// MSE returns the mean squared error (1/n) Σ (yTrue_i - yPred_i)².
// It panics if the lengths differ or are zero.
func MSE(yTrue, yPred []float64) float64 {
	checkSameLen(yTrue, yPred)
	var s float64
	for i, y := range yTrue {
		d := y - yPred[i]
		s += d * d
	}
	return s / float64(len(yTrue))
}

// RidgeMSE returns the Ridge cost MSE(yTrue, yPred) + λ Σ_{j≥1} β_j², the
// penalised cost minimised by Ridge and by Linear. beta[0] is the intercept
// and is not penalised.
func RidgeMSE(yTrue, yPred, beta []float64, lambda float64) float64 {
	return MSE(yTrue, yPred) + lambda*penalty(beta)
}

// penalty returns Σ_{j≥1} β_j².
func penalty(beta []float64) float64 {
	var s float64
	for _, b := range beta[min(1, len(beta)):] {
		s += b * b
	}
	return s
}

// R2 returns the coefficient of determination 1 - SS_res/SS_tot. When yTrue
// is constant (SS_tot = 0) it returns 1 for a perfect prediction and 0
// otherwise, so the result is always finite. It panics if the lengths differ
// or are zero.
func R2(yTrue, yPred []float64) float64 {
	checkSameLen(yTrue, yPred)
	var mean float64
	for _, y := range yTrue {
		mean += y
	}
	mean /= float64(len(yTrue))
	var res, tot float64
	for i, y := range yTrue {
		d := y - yPred[i]
		res += d * d
		t := y - mean
		tot += t * t
	}
	if tot == 0 {
		if res == 0 {
			return 1
		}
		return 0
	}
	return 1 - res/tot
}

func checkSameDims(a, b *mat.Dense) (r, c int) {
	r, c = a.Dims()
	rb, cb := b.Dims()
	if r != rb || c != cb {
		panic("models: dimension mismatch")
	}
	return r, c
}

// CrossEntropy returns the categorical cross-entropy of softmax outputs,
//
//	-(1/n) Σ_i Σ_j y_ij ln p_ij,
//
// for one-hot (or probability) targets y and predicted probabilities p, one
// sample per row. Probabilities are clamped to [1e-15, 1] before the
// logarithm. It panics if the dimensions differ.
func CrossEntropy(y, p *mat.Dense) float64 {
	r, c := checkSameDims(y, p)
	var s float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if t := y.At(i, j); t != 0 {
				s -= t * math.Log(math.Max(p.At(i, j), probEps))
			}
		}
	}
	return s / float64(r)
}

// BinaryCrossEntropy returns the cross-entropy of sigmoid outputs summed over
// the outputs and averaged over the samples,
//
//	-(1/n) Σ_i Σ_j [y_ij ln p_ij + (1-y_ij) ln(1-p_ij)],
//
// the cost of Nielsen's sigmoid output layer with a one-hot target.
// Probabilities are clamped to [1e-15, 1-1e-15]. It panics if the
// dimensions differ.
func BinaryCrossEntropy(y, p *mat.Dense) float64 {
	r, c := checkSameDims(y, p)
	var s float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			t := y.At(i, j)
			q := math.Min(math.Max(p.At(i, j), probEps), 1-probEps)
			s -= t*math.Log(q) + (1-t)*math.Log(1-q)
		}
	}
	return s / float64(r)
}

// Argmax returns, for each row of m, the index of its largest element (the
// first one on ties): the predicted class of a row of scores.
func Argmax(m *mat.Dense) []int {
	r, _ := m.Dims()
	out := make([]int, r)
	for i := range out {
		out[i] = argmax(m.RawRowView(i))
	}
	return out
}

func argmax(v []float64) int {
	best := 0
	for j, x := range v {
		if x > v[best] {
			best = j
		}
	}
	return best
}

// OneHot returns the len(labels)×classes matrix whose row i is 1 in column
// labels[i] and 0 elsewhere. It panics if a label is outside [0, classes).
func OneHot(labels []int, classes int) *mat.Dense {
	if len(labels) == 0 || classes <= 0 {
		panic("models: empty input")
	}
	m := mat.NewDense(len(labels), classes, nil)
	for i, l := range labels {
		if l < 0 || l >= classes {
			panic("models: label out of range")
		}
		m.Set(i, l, 1)
	}
	return m
}

// Accuracy returns the fraction of positions where pred equals labels.
// It panics if the lengths differ or are zero.
func Accuracy(labels, pred []int) float64 {
	if len(labels) != len(pred) {
		panic("models: length mismatch")
	}
	if len(labels) == 0 {
		panic("models: empty input")
	}
	var k int
	for i, l := range labels {
		if pred[i] == l {
			k++
		}
	}
	return float64(k) / float64(len(labels))
}

// ConfusionMatrix returns the classes×classes matrix of counts whose element
// [t][p] is the number of samples of true class t predicted as class p.
// It panics if the lengths differ or a class is outside [0, classes).
func ConfusionMatrix(labels, pred []int, classes int) [][]int {
	if len(labels) != len(pred) {
		panic("models: length mismatch")
	}
	cm := make([][]int, classes)
	for i := range cm {
		cm[i] = make([]int, classes)
	}
	for i, t := range labels {
		p := pred[i]
		if t < 0 || t >= classes || p < 0 || p >= classes {
			panic("models: label out of range")
		}
		cm[t][p]++
	}
	return cm
}
