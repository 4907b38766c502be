package stages

import (
	"math"
	"strconv"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// TrainParams are the settings of one training loop, as stored in a
// stage's parameters.
type TrainParams struct {
	Epochs    int     `json:"epochs"`
	BatchSize int     `json:"batch_size"`
	LR        float64 `json:"lr"`
	Momentum  float64 `json:"momentum"`
	Decay     float64 `json:"decay"`
	RampUp    int     `json:"ramp_up"`
	Patience  int     `json:"patience"`
	Optimizer string  `json:"optimizer"`
}

func trainParams(t config.Train, lr float64) TrainParams {
	return TrainParams{Epochs: t.Epochs, BatchSize: t.BatchSize, LR: lr, Momentum: t.Momentum,
		Decay: t.Decay, RampUp: t.RampUp, Patience: t.Patience, Optimizer: t.Optimizer}
}

// config turns the parameters into the models' training configuration.
func (t TrainParams) config(seed uint64, monitor models.Monitor) models.TrainConfig {
	return models.TrainConfig{Epochs: t.Epochs, BatchSize: t.BatchSize, LR0: t.LR, Decay: t.Decay, RampUp: t.RampUp,
		Optimizer: models.Optimizer(t.Optimizer), Momentum: t.Momentum, Patience: t.Patience, Monitor: monitor, Seed: seed}
}

// seeds lists the seeds of every grid point.
func seeds(p *config.Params) []uint64 {
	out := make([]uint64, p.Seeds)
	for i := range out {
		out[i] = p.BaseSeed + uint64(i)
	}
	return out
}

// num formats a parameter value for a stage name.
func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// layers turns "64x32x10" plus activations into the models' layers.
func layers(arch, hidden, output string) (inputs int, ls []models.Layer, err error) {
	sizes, err := config.ParseArchitecture(arch)
	if err != nil {
		return 0, nil, err
	}
	for i, s := range sizes[1:] {
		act := models.Activation(hidden)
		if i == len(sizes)-2 {
			act = models.Activation(output)
		}
		ls = append(ls, models.Layer{Size: s, Act: act})
	}
	return sizes[0], ls, nil
}

// progress reports a training loop's epochs as the stage's progress.
func progress(c pipeline.Ctx) func(epoch, total int) {
	if c == nil {
		return nil
	}
	return func(epoch, total int) { c.Progress(epoch, total) }
}

// stoppable makes a training loop stop after the current epoch when the run
// is cancelled (Ctrl-C).
func stoppable(c pipeline.Ctx, tc models.TrainConfig) models.TrainConfig {
	if c != nil {
		tc.Stop = c.Err
	}
	return tc
}

// meanSD returns the mean and the sample standard deviation (0 for one value).
func meanSD(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

// band returns, per epoch, the mean and the empirical 5 % and 95 % quantiles
// (min and max for fewer than 20 runs) of curves of possibly different
// lengths (early stopping): an epoch counts the runs that reached it.
func band(curves [][]float64) (mean, lo, hi []float64) {
	n := 0
	for _, c := range curves {
		n = max(n, len(c))
	}
	for e := 0; e < n; e++ {
		var vs []float64
		for _, c := range curves {
			if e < len(c) {
				vs = append(vs, c[e])
			}
		}
		m, _ := meanSD(vs)
		l, h := vs[0], vs[0]
		for _, v := range vs {
			l, h = math.Min(l, v), math.Max(h, v)
		}
		mean, lo, hi = append(mean, m), append(lo, l), append(hi, h)
	}
	return mean, lo, hi
}
