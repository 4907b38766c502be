package models

// Schedule is a learning-rate schedule: a base rate, a 1/t decay and a
// linear ramp-up (see LearningRate). The zero value is a constant rate of 0;
// set LR0 and leave the rest zero for a constant rate.
type Schedule struct {
	LR0    float64 // the base learning rate lr0
	Decay  float64 // the 1/t decay per step; 0 means no decay
	RampUp int     // steps of linear ramp-up; 0 (or 1) means no ramp-up
}

// LearningRate returns the learning rate of optimiser step i (counted from 0
// over the whole run) under the schedule s:
//
//	lr(i) = LR0 / (1 + i·Decay) · min(1, (i+1)/RampUp)
//
// The second factor is a linear ramp-up over the first RampUp steps; it is 1
// when RampUp <= 1. With Decay 0 and no ramp-up the rate is constant.
func LearningRate(i int, s Schedule) float64 {
	lr := s.LR0 / (1 + float64(i)*s.Decay)
	if s.RampUp > 1 && i+1 < s.RampUp {
		lr *= float64(i+1) / float64(s.RampUp)
	}
	return lr
}
