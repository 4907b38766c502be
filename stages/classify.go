package stages

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

func digitsMatrices(s DigitsSets) (xt, yt, xv, yv, xs *mat.Dense) {
	oh := func(l []int) *mat.Dense { return models.OneHot(l, 10) }
	return s.TrainX.Dense(), oh(s.TrainY), s.ValX.Dense(), oh(s.ValY), s.TestX.Dense()
}

// classifyNet trains one digits network (a grid point, a logistic
// regression by SGD or the Keras-style baseline) and scores it on the
// validation and test images.
// SetsInput is the scaled digits sets.
type SetsInput struct{ Sets pipeline.In[DigitsSets] }

func classifyNet(c pipeline.Ctx, p NetParams, in SetsInput) (NetRun, error) {
	s := in.Sets.Value
	xt, yt, xv, yv, xs := digitsMatrices(s)
	net, r, err := trainNet(c, p, xt, yt, xv, yv, models.MonitorErrorRate)
	if err != nil {
		return r, err
	}
	score(&r, net, xv, s.ValY, xs, s.TestY)
	return r, nil
}

func score(r *NetRun, net *models.Network, xv *mat.Dense, yv []int, xs *mat.Dense, ys []int) {
	vp := net.PredictClass(xv)
	r.ValAcc, r.ValHit = models.Accuracy(yv, vp), hitsOf(yv, vp)
	pred := net.PredictClass(xs)
	r.TestAcc = models.Accuracy(ys, pred)
	r.Confusion = models.ConfusionMatrix(ys, pred, 10)
	r.TestHit = hitsOf(ys, pred)
}

// hitsOf is 1 for each right prediction and 0 for each wrong one.
func hitsOf(y, pred []int) []byte {
	out := make([]byte, len(y))
	for i := range y {
		if y[i] == pred[i] {
			out[i] = 1
		}
	}
	return out
}

// LBFGSParams configure the reference fit of logistic regression.
type LBFGSParams struct {
	L2      float64 `json:"l2"`
	MaxIter int     `json:"max_iter"`
}

// lbfgsParams sets the parameters of logistic/lbfgs from params.yaml (Build calls it).
func lbfgsParams(lg config.Logistic) LBFGSParams {
	return LBFGSParams{L2: lg.L2, MaxIter: lg.LBFGSIters}
}

// LBFGSFit is logistic regression fitted by L-BFGS.
type LBFGSFit struct {
	Result          models.LBFGSResult
	ValAcc, TestAcc float64
	Confusion       [][]int
	TestHit         []byte // per test image, 1 if classified right
}

// Metrics: digits.logistic.lbfgs.test_accuracy and .val_accuracy.
func (f LBFGSFit) Metrics() map[string]float64 {
	return map[string]float64{"digits.logistic.lbfgs.test_accuracy": f.TestAcc, "digits.logistic.lbfgs.val_accuracy": f.ValAcc,
		"digits.logistic.lbfgs.iterations": float64(f.Result.Iterations)}
}

func logisticLBFGS(_ pipeline.Ctx, p LBFGSParams, in SetsInput) (LBFGSFit, error) {
	s := in.Sets.Value
	xt, yt, xv, _, xs := digitsMatrices(s)
	net, res, err := models.FitLogistic(xt, yt, models.LogisticOptions{L2: p.L2, MaxIter: p.MaxIter})
	if net == nil && err != nil {
		return LBFGSFit{}, err
	}
	var r NetRun
	score(&r, net, xv, s.ValY, xs, s.TestY)
	return LBFGSFit{Result: res, ValAcc: r.ValAcc, TestAcc: r.TestAcc, Confusion: r.Confusion, TestHit: r.TestHit}, nil
}

// SeedsParams list the runs of one method over seeds and name its metrics.
type SeedsParams struct {
	Metric string   `json:"metric"` // e.g. "digits.logistic.sgd"
	Stages []string `json:"stages"`
	// What names the method in warnings; BudgetNote, when set, says why
	// its epoch budget is what it is (a late best epoch is then expected).
	What       string `json:"what,omitempty"`
	BudgetNote string `json:"budget_note,omitempty"`
}

// SeedsSummary is one method over seeds.
type SeedsSummary struct {
	Metric          string
	Runs            []NetRun
	TestAcc, ValAcc []float64
	BestEpoch       []float64 // epoch of the best validation error, per seed
	// Edges say whether the best epoch came at the end of the budget.
	Edges Edges
}

// Metrics: <metric>.test_accuracy, .val_accuracy and .best_epoch (mean,
// .sd, and the per-seed values .seeds[i] that repro diff tests changes on).
func (s SeedsSummary) Metrics() map[string]float64 {
	m := map[string]float64{}
	put := func(name string, xs []float64) {
		mean, sd := meanSD(xs)
		m[s.Metric+"."+name] = mean
		m[s.Metric+"."+name+".sd"] = sd
		pipeline.PutSeedValues(m, s.Metric+"."+name, xs)
	}
	put("test_accuracy", s.TestAcc)
	put("val_accuracy", s.ValAcc)
	put("best_epoch", s.BestEpoch)
	return m
}

func seedsSummary(_ pipeline.Ctx, p SeedsParams, in RunsInput) (SeedsSummary, error) {
	s := SeedsSummary{Metric: p.Metric}
	byName := in.byName()
	for _, st := range p.Stages {
		r, ok := byName[st]
		if !ok {
			return s, fmt.Errorf("the inputs hold no run %s", st)
		}
		s.Runs = append(s.Runs, r)
		s.TestAcc = append(s.TestAcc, r.TestAcc)
		s.ValAcc = append(s.ValAcc, r.ValAcc)
		s.BestEpoch = append(s.BestEpoch, float64(r.BestEpoch))
	}
	var be []int
	epochs := 0
	for _, r := range s.Runs {
		be = append(be, r.BestEpoch)
		epochs = max(epochs, r.Epochs)
	}
	b := budgetOf(epochs, be)
	b.Reason = p.BudgetNote
	s.Edges = Edges{What: p.What, Budget: &b}
	return s, nil
}

// ClsGrid is one panel of the digits tuning: a hidden activation and an
// output activation, over architectures and learning rates.
type ClsGrid struct {
	Hidden, Output string
	Params         TuneParams
}

// ClsTuneParams list the panels of the digits grid.
type ClsTuneParams struct {
	Panels []ClsGrid `json:"panels"`
	// Study names the study's own best network, a cell of the grid whose
	// best learning rate on validation is kept as ClsTune.Study.
	Study StudyCell `json:"study,omitzero"`
	// Bootstrap sets the paired test that marks the cells level with the
	// best of their panel (the report's resampling).
	Bootstrap BootstrapParams `json:"bootstrap"`
}

// StudyCell is an architecture and activations of the digits grid.
type StudyCell struct {
	Arch   string `json:"arch"`
	Hidden string `json:"hidden"`
	Output string `json:"output"`
}

// ClsPanel is the tuning result of one panel.
type ClsPanel struct {
	Hidden, Output string
	Heat           Heat // mean and sd of the validation error rate (1 - accuracy)
	Best           ClsBest
	// Edges say where the best cell lies on each axis (after refinement)
	// and whether its best epoch came at the end of the budget.
	Edges Edges
}

// ClsBest is the best cell of a panel or of the whole grid, with its runs.
type ClsBest struct {
	Hidden, Output, Arch string
	LR                   float64
	ValAcc, TestAcc      []float64
	Runs                 []NetRun
	Stages               []string `json:",omitempty"` // the stages that trained Runs (grid points or refinement steps)
}

// ClsTune is the digits grid: every panel, the best network overall and the
// best with each output activation, all chosen on validation accuracy.
type ClsTune struct {
	Panels                 []ClsPanel
	Best, Softmax, Sigmoid ClsBest
	// Study is the study's own best architecture at its best learning rate
	// on validation (empty without ClsTuneParams.Study).
	Study ClsBest `json:",omitzero"`
}

// Metrics: digits.nn.best (and .softmax, .sigmoid_output) test and
// validation accuracy, mean, sd and per-seed values over seeds.
func (t ClsTune) Metrics() map[string]float64 {
	m := map[string]float64{}
	for name, b := range map[string]ClsBest{"best": t.Best, "softmax": t.Softmax, "sigmoid_output": t.Sigmoid} {
		if len(b.Runs) == 0 {
			continue
		}
		ta, tsd := meanSD(b.TestAcc)
		va, vsd := meanSD(b.ValAcc)
		p := "digits.nn." + name + "."
		m[p+"test_accuracy"], m[p+"test_accuracy.sd"] = ta, tsd
		m[p+"val_accuracy"], m[p+"val_accuracy.sd"] = va, vsd
		pipeline.PutSeedValues(m, p+"test_accuracy", b.TestAcc)
		pipeline.PutSeedValues(m, p+"val_accuracy", b.ValAcc)
	}
	return m
}

// ClsTuneInput is what the digits tuning reads: the grid points and the
// refinements' runs.
type ClsTuneInput struct {
	Sets  pipeline.In[DigitsSets]
	Runs  []pipeline.In[NetRun]
	Steps []pipeline.In[RefineRun]
}

// clsTrainer trains one seed of a cell of the digits networks with the
// settings base and scores it on the validation and test images.
func clsTrainer(c pipeline.Ctx, base NetParams, s DigitsSets) func(arch string, lr float64, seed uint64) (NetRun, error) {
	xt, yt, xv, yv, xs := digitsMatrices(s)
	return func(arch string, lr float64, seed uint64) (NetRun, error) {
		np := base
		np.Arch, np.Train.LR, np.Seed = arch, lr, seed
		net, r, err := trainNet(quiet(c), np, xt, yt, xv, yv, models.MonitorErrorRate)
		if err != nil {
			return r, err
		}
		score(&r, net, xv, s.ValY, xs, s.TestY)
		return r, nil
	}
}

func classifyTune(c pipeline.Ctx, p ClsTuneParams, in ClsTuneInput) (ClsTune, error) {
	var t ClsTune
	bestOf := map[string]float64{}
	byName := RunsInput{in.Runs}.byName()
	for _, g := range p.Panels {
		cells, err := gridCells(byName, g.Params)
		if err != nil {
			return t, err
		}
		done, err := collectSteps(g.Params, in.Steps)
		if err != nil {
			return t, err
		}
		tn, err := replayRefine(g.Params, cells, done, nil)
		if err != nil {
			return t, fmt.Errorf("panel %s/%s: refining: %w", g.Hidden, g.Output, err)
		}
		h := tn.heat()
		h.Level, h.Worse = tn.levelWithBest(h, p.Bootstrap.config())
		if st := p.Study; st.Arch != "" && st.Hidden == g.Hidden && st.Output == g.Output {
			t.Study = studyCell(&tn, st)
		}
		cell := tn.Cells[tn.Best]
		b := ClsBest{Hidden: g.Hidden, Output: g.Output, Arch: tn.Best.Arch, LR: tn.Best.LR, Runs: cell.Runs, Stages: cellStages(g.Params, done, tn.Best)}
		var bestEpochs []int
		for _, r := range cell.Runs {
			b.ValAcc = append(b.ValAcc, r.ValAcc)
			b.TestAcc = append(b.TestAcc, r.TestAcc)
			bestEpochs = append(bestEpochs, r.BestEpoch)
		}
		budget := budgetOf(g.Params.Base.Train.Epochs, bestEpochs)
		edges := Edges{What: fmt.Sprintf("digits network (%s hidden, %s output)", activationName(g.Hidden), g.Output), Axes: tn.Edges, Budget: &budget}
		t.Panels = append(t.Panels, ClsPanel{Hidden: g.Hidden, Output: g.Output, Heat: h, Best: b, Edges: edges})
		mv, _ := meanSD(b.ValAcc)
		consider := func(name string, dst *ClsBest) {
			if old, ok := bestOf[name]; !ok || mv > old {
				bestOf[name] = mv
				*dst = b
			}
		}
		consider("best", &t.Best)
		switch g.Output {
		case "softmax":
			consider("softmax", &t.Softmax)
		case "sigmoid":
			consider("sigmoid", &t.Sigmoid)
		}
	}
	if math.IsNaN(bestOf["best"]) {
		return t, fmt.Errorf("no usable cell in the digits grid")
	}
	return t, nil
}

// studyCell is the cell of architecture st.Arch with the best mean
// validation error (no diverged seed) among the learning rates tried.
func studyCell(tn *tuned, st StudyCell) ClsBest {
	b := ClsBest{Hidden: st.Hidden, Output: st.Output, Arch: st.Arch}
	best := math.Inf(1)
	for k, c := range tn.Cells {
		if k.Arch != st.Arch {
			continue
		}
		m, _, div := c.stats()
		if div > 0 || math.IsNaN(m) || m > best || (m == best && k.LR > b.LR) {
			continue
		}
		best, b.LR, b.Runs = m, k.LR, c.Runs
	}
	b.ValAcc, b.TestAcc = nil, nil
	for _, r := range b.Runs {
		b.ValAcc = append(b.ValAcc, r.ValAcc)
		b.TestAcc = append(b.TestAcc, r.TestAcc)
	}
	return b
}
