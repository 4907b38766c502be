package stages

import (
	"fmt"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// InitCheckParams retrain the chosen cell of one kind of terrain network
// with another weight initialisation (the study's sigmoid networks used He,
// which is meant for ReLU units): the same architecture, learning rate,
// training settings and seeds.
type InitCheckParams struct {
	Label string    `json:"label"` // the tuning's label, e.g. "sigmoid"
	Init  string    `json:"init"`  // the initialisation to compare with
	Base  NetParams `json:"base"`  // the tuning's settings (architecture and rate come from its choice)
	Seeds []uint64  `json:"seeds"`
}

// InitCheck is the chosen cell of a tuning retrained with another
// initialisation.
type InitCheck struct {
	Label, Init, Arch string
	LR                float64
	Runs              []NetRun
}

// Metrics: terrain.nn.<label>.init_<init>.test_mse (mean, and .sd).
func (c InitCheck) Metrics() map[string]float64 {
	var mses []float64
	for _, r := range c.Runs {
		mses = append(mses, r.TestMSE)
	}
	m, sd := meanSD(mses)
	p := fmt.Sprintf("terrain.nn.%s.init_%s.test_mse", c.Label, c.Init)
	return map[string]float64{p: m, p + ".sd": sd}
}

// InitCheckInput is the scaled terrain and the tuning whose choice is
// retrained.
type InitCheckInput struct {
	Scaled pipeline.In[TerrainScaled]
	Tune   pipeline.In[RegTune]
}

func initCheck(c pipeline.Ctx, p InitCheckParams, in InitCheckInput) (InitCheck, error) {
	t, tune := in.Scaled.Value, in.Tune.Value
	out := InitCheck{Label: p.Label, Init: p.Init, Arch: tune.BestArch, LR: tune.BestLR}
	xt, yt := pointsMatrix(t.Train)
	xv, yv := pointsMatrix(t.Val)
	xs, _ := pointsMatrix(t.Test)
	runs, err := parallelSeeds(c, p.Seeds, func(seed uint64) (NetRun, error) {
		np := p.Base
		np.Arch, np.Train.LR, np.Init, np.Seed = tune.BestArch, tune.BestLR, p.Init, seed
		net, r, err := trainNet(quiet(c), np, xt, yt, xv, yv, models.MonitorCost)
		if err != nil {
			return r, err
		}
		scoreTerrain(&r, t, net, xv, xs)
		return r, nil
	})
	out.Runs = runs
	return out, err
}
