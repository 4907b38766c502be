package models

// LearningRate returns the learning rate of optimiser step i (counted from 0
// over the whole run):
//
//	lr(i) = lr0 / (1 + i·decay) · min(1, (i+1)/rampUp)
//
// The second factor is a linear ramp-up over the first rampUp steps; it is 1
// when rampUp <= 1. With decay 0 and no ramp-up the rate is constant.
func LearningRate(i int, lr0, decay float64, rampUp int) float64 {
	lr := lr0 / (1 + float64(i)*decay)
	if rampUp > 1 && i+1 < rampUp {
		lr *= float64(i+1) / float64(rampUp)
	}
	return lr
}
