package stages

import (
	"fmt"
	"strings"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/report"
)

// Experiment is one row of the report's table of training settings,
// generated from the parameters.
type Experiment struct {
	Key       string  `json:"key"` // the parameter block: "neural_regression", ...
	Name      string  `json:"name"`
	Grid      string  `json:"grid"` // what is searched, or the fixed configuration
	Epochs    int     `json:"epochs"`
	Batch     int     `json:"batch"`
	Patience  int     `json:"patience"`
	Init      string  `json:"init"`
	Optimizer string  `json:"optimizer"`
	Momentum  float64 `json:"momentum"`
	Decay     float64 `json:"decay"`
	RampUp    int     `json:"ramp_up"`
	Refine    string  `json:"refine,omitempty"`
}

// settingsOf lists the training settings of every experiment of p.
func settingsOf(p *config.Params) []Experiment {
	row := func(key, name, grid string, t config.Train, init string) Experiment {
		return Experiment{Key: key, Name: name, Grid: grid, Epochs: t.Epochs, Batch: t.BatchSize, Patience: t.Patience, Init: init,
			Optimizer: t.Optimizer, Momentum: t.Momentum, Decay: t.Decay, RampUp: t.RampUp}
	}
	lrs := func(xs []float64) string {
		var s []string
		for _, x := range xs {
			s = append(s, num(x))
		}
		return strings.Join(s, ", ")
	}
	refine := func(r config.Refine) string {
		if r.MaxSteps == 0 {
			return ""
		}
		s := fmt.Sprintf("up to %d steps", r.MaxSteps)
		if len(r.Architectures) > 0 {
			s += "; then " + strings.Join(r.Architectures, ", ")
		}
		return s
	}
	l, r, n := p.LinearSGD, p.NeuralRegression, p.NeuralClassification
	var ints []string
	for _, b := range l.BatchSizes {
		ints = append(ints, fmt.Sprint(b))
	}
	sgd := row("linear_sgd", "Ridge by SGD (λ = "+report.FormatSig(l.RidgeLambda, 2)+")", "batch "+strings.Join(ints, ", ")+"; γ0 "+lrs(l.LearningRates)+"; momentum "+lrs(l.Momenta), l.Train, "normal")
	sgd.Batch = 0 // searched
	out := []Experiment{sgd}
	tr := row("neural_regression", "terrain networks ("+strings.Join(r.Activations, ", ")+")", strings.Join(r.Architectures, ", ")+"; γ0 "+lrs(r.LearningRates), r.Train, r.Init)
	tr.Refine = refine(r.Refine)
	out = append(out, tr)
	for _, x := range r.Extra {
		out = append(out, row("neural_regression.extra", "extension "+x.Name+" ("+x.Activation+")", x.Architecture+"; γ0 "+num(x.LearningRate), x.Train, x.Init))
	}
	dg := row("neural_classification", "digits networks ("+strings.Join(n.Activations, ", ")+" hidden; "+strings.Join(n.Outputs, ", ")+" output)", strings.Join(n.Architectures, ", ")+"; γ0 "+lrs(n.LearningRates), n.Train, n.Init)
	dg.Refine = refine(n.Refine)
	out = append(out, dg)
	out = append(out, row("logistic", "logistic regression (SGD)", "64x10; γ0 "+num(p.Logistic.LearningRate)+"; L2 "+num(p.Logistic.L2), p.Logistic.Train, "glorot"))
	b := p.Baseline
	out = append(out, row("baseline", "Keras-style baseline", b.Architecture+" (ReLU); γ0 "+num(b.LearningRate), b.Train, "glorot"))
	if b.LongEpochs > 0 {
		t := b.Train
		t.Epochs, t.Patience = b.LongEpochs, b.LongPatience
		out = append(out, row("baseline.long", "Keras-style baseline, to convergence", b.Architecture+" (ReLU); γ0 "+num(b.LearningRate), t, "glorot"))
	}
	return out
}

// settingsTable is the table of training settings of the Methods section.
func settingsTable(es []Experiment) report.Table {
	t := report.Table{Name: "settings", Caption: "Training settings of every experiment, generated from the parameters of this run (params.yaml and the profile). Patience is the early-stopping window in epochs (0: off); the learning rate decays as γ0/(1 + iτ) after a ramp-up of R steps; refinement adds cells beyond a grid's edge.",
		Header: []string{"experiment", "searched / fixed", "epochs", "batch", "patience", "initialisation", "optimiser", "momentum μ", "decay τ", "ramp-up R", "refinement"},
		Align:  []string{"left", "left", "right", "right", "right", "left", "left", "right", "right", "right", "left"}}
	for _, e := range es {
		batch := fmt.Sprint(e.Batch)
		if e.Batch == 0 {
			batch = "searched"
		}
		ref := e.Refine
		if ref == "" {
			ref = "—"
		}
		init := e.Init
		switch init {
		case "he":
			init = "He"
		case "glorot":
			init = "Glorot"
		case "normal":
			init = "normal"
		}
		opt := e.Optimizer
		if opt == "sgd" {
			opt = "SGD"
		} else if opt == "adam" {
			opt = "Adam"
		}
		t.Rows = append(t.Rows, []string{e.Name, e.Grid, fmt.Sprint(e.Epochs), batch, fmt.Sprint(e.Patience), init, opt, num(e.Momentum), num(e.Decay), fmt.Sprint(e.RampUp), ref})
	}
	return t
}
