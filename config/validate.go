package config

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

func reflectValue(p *Params) reflect.Value { return reflect.ValueOf(p).Elem() }

func names(acts []models.Activation) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = string(a)
	}
	return out
}

var (
	activations = names(models.HiddenActivations)
	outputs     = names(models.OutputActivations)
	inits       = []string{"normal", "glorot", "he"}
	optimizers  = []string{"sgd", "adam"}
	// remoteSchemes are those package remote opens.
	remoteSchemes = []string{"file", "s3", "gs", "azblob"}
	remoteModes   = []string{"read", "readwrite"}
)

// Bounds of a network, so that no architecture exhausts memory: each
// weight is held several times over while training (gradient, momentum or
// Adam's moments), by every stage running at once. The config checks them
// (ParseArchitecture, which stages use, parses any size).
const (
	MaxLayers  = 32      // layers, inputs and outputs included
	MaxWeights = 1 << 24 // weights and biases in all (16.8 million, 134 MB of float64)
)

// ParseArchitecture parses "64x32x10" into layer sizes.
func ParseArchitecture(s string) ([]int, error) {
	parts := strings.Split(s, "x")
	if len(parts) < 2 {
		return nil, fmt.Errorf("want sizes joined by x, inputs first and outputs last, such as 2x8x8x1")
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 4096 {
			return nil, fmt.Errorf("layer %d size %q: want an integer from 1 to 4096", i, p)
		}
		out[i] = n
	}
	return out, nil
}

// checkArchitecture parses an architecture within the bounds: 2 to
// MaxLayers sizes written as plain digits, with at most MaxWeights weights
// and biases.
func checkArchitecture(s string) ([]int, error) {
	if n := strings.Count(s, "x") + 1; n > MaxLayers {
		return nil, fmt.Errorf("%d layers: want at most %d", n, MaxLayers)
	}
	sizes, err := ParseArchitecture(s)
	if err != nil {
		return nil, err
	}
	weights := 0
	for i, p := range strings.Split(s, "x") {
		if p[0] < '0' || p[0] > '9' {
			return nil, fmt.Errorf("layer %d size %q: want an integer from 1 to 4096", i, p)
		}
		if i > 0 {
			weights += (sizes[i-1] + 1) * sizes[i]
		}
	}
	if weights > MaxWeights {
		return nil, fmt.Errorf("%d weights and biases: want at most %d", weights, MaxWeights)
	}
	return sizes, nil
}

// Upper bounds of counts and sizes: far above any use in the study, they
// keep a typo (an extra zero or three) from asking for more memory or time
// than a machine has, or from overflowing an int.
const (
	maxWindow      = 1 << 16       // terrain.window
	maxEpochs      = 100_000       // every train.epochs, patience and linear_sgd.beta_epochs
	maxBatch       = 1 << 20       // every batch size
	maxSteps       = 1_000_000_000 // schedule.steps and every ramp_up, in SGD steps
	maxBetaRuns    = 1000          // linear_sgd.beta_runs
	maxIterations  = 100_000       // logistic.lbfgs_iterations
	maxLambdas     = 100           // terrain.ridge_lambdas
	maxGridOffsets = 10            // terrain.grid_offsets: each retrains every chosen terrain model
	maxResplits    = 10            // digits.resplit_seeds: each retrains every chosen digits model
)

type checker struct {
	d   *decoder
	err error
}

func (c *checker) fail(key string, v any, format string, args ...any) {
	if c.err == nil {
		c.err = c.d.errf(key, v, format, args...)
	}
}

func (c *checker) intMin(key string, v, lo int) {
	if v < lo {
		c.fail(key, v, "must be >= %d", lo)
	}
}

func (c *checker) intRange(key string, v, lo, hi int) {
	c.intMin(key, v, lo)
	if v > hi {
		c.fail(key, v, "must be at most %d", hi)
	}
}

func (c *checker) posFloat(key string, v float64) {
	if !(v > 0) {
		c.fail(key, v, "must be > 0")
	}
}

func (c *checker) nonNeg(key string, v float64) {
	if v < 0 {
		c.fail(key, v, "must be >= 0")
	}
}

func (c *checker) unit(key string, v float64) {
	if v < 0 || v >= 1 {
		c.fail(key, v, "must be in [0, 1)")
	}
}

func (c *checker) oneOf(key, v string, allowed []string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(key, v, "must be one of %s", strings.Join(allowed, ", "))
}

func nonEmpty[T any](c *checker, key string, xs []T) {
	if len(xs) == 0 {
		c.fail(key, []any{}, "the grid is empty; give at least one value")
	}
}

func (c *checker) arch(key, s string, in, out int) {
	sizes, err := checkArchitecture(s)
	if err != nil {
		c.fail(key, s, "%v", err)
		return
	}
	if sizes[0] != in {
		c.fail(key, s, "the input layer has %d nodes but the data have %d features", sizes[0], in)
	}
	if sizes[len(sizes)-1] != out {
		c.fail(key, s, "the output layer has %d nodes but the task needs %d", sizes[len(sizes)-1], out)
	}
}

func (c *checker) train(key string, t Train, nTrain int) {
	c.intRange(key+".epochs", t.Epochs, 1, maxEpochs)
	c.intRange(key+".batch_size", t.BatchSize, 1, maxBatch)
	if nTrain > 0 && t.BatchSize > nTrain {
		c.fail(key+".batch_size", t.BatchSize, "larger than the %d training points", nTrain)
	}
	c.unit(key+".momentum", t.Momentum)
	c.nonNeg(key+".decay", t.Decay)
	c.intRange(key+".ramp_up", t.RampUp, 0, maxSteps)
	c.intRange(key+".patience", t.Patience, 0, maxEpochs)
	c.oneOf(key+".optimizer", t.Optimizer, optimizers)
}

// netGrid checks a network grid: architectures (with in inputs and out
// outputs), learning rates and hidden activations, none of them empty.
func (c *checker) netGrid(key string, archs []string, lrs []float64, acts []string, in, out int) {
	nonEmpty(c, key+".architectures", archs)
	for i, a := range archs {
		c.arch(fmt.Sprintf("%s.architectures[%d]", key, i), a, in, out)
	}
	nonEmpty(c, key+".learning_rates", lrs)
	for i, x := range lrs {
		c.posFloat(fmt.Sprintf("%s.learning_rates[%d]", key, i), x)
	}
	nonEmpty(c, key+".activations", acts)
	for i, a := range acts {
		c.oneOf(fmt.Sprintf("%s.activations[%d]", key, i), a, activations)
	}
}

// maxRefineSteps bounds the cells a refinement may add to one grid.
const maxRefineSteps = 10

func (c *checker) refine(key string, r Refine, in, out int) {
	c.intRange(key+".max_steps", r.MaxSteps, 0, maxRefineSteps)
	for i, a := range r.Architectures {
		c.arch(fmt.Sprintf("%s.architectures[%d]", key, i), a, in, out)
	}
}

// plainName reports whether s is 1 to max letters, digits, '-' and '_'.
func plainName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// CheckProfile checks a profile name: a plain name of letters, digits, '-'
// and '_' (it names the files params.<profile>.yaml and repro.<profile>.lock,
// so no path), or "" for the default.
func CheckProfile(profile string) error {
	if profile == "" || plainName(profile, 64) {
		return nil
	}
	return &Error{Source: "--profile", Key: "profile", Value: profile, Msg: "want a plain name: up to 64 letters, digits, - and _ (params.<profile>.yaml names the file)"}
}

// TerrainTrainPoints is an upper bound on the number of terrain training
// points for a window and grid spacing: one per grid cell.
func TerrainTrainPoints(window, xs int) int {
	if xs < 1 {
		return 0
	}
	n := (window + xs - 1) / xs
	return n * n
}

func (p *Params) validate(d *decoder) error {
	c := &checker{d: d}
	c.intMin("seeds", p.Seeds, 1)
	if p.Seeds > 100 {
		c.fail("seeds", p.Seeds, "must be at most 100")
	}

	t := p.Terrain
	if t.File == "" {
		c.fail("terrain.file", t.File, "give the path of an elevation grid (.npy, .npz, .tif)")
	}
	c.intRange("terrain.window", t.Window, 8, maxWindow)
	c.intMin("terrain.x_sparsity", t.XSparsity, 2)
	if t.XSparsity > t.Window/2 {
		c.fail("terrain.x_sparsity", t.XSparsity, "must be at most half of terrain.window (%d)", t.Window)
	}
	c.intMin("terrain.degree", t.Degree, 0)
	if t.Degree > 20 {
		c.fail("terrain.degree", t.Degree, "must be at most 20")
	}
	nonEmpty(c, "terrain.ridge_lambdas", t.RidgeLambdas)
	if len(t.RidgeLambdas) > maxLambdas {
		c.fail("terrain.ridge_lambdas", len(t.RidgeLambdas), "%d values: want at most %d", len(t.RidgeLambdas), maxLambdas)
	}
	for i, l := range t.RidgeLambdas {
		c.nonNeg(fmt.Sprintf("terrain.ridge_lambdas[%d]", i), l)
	}
	c.intRange("terrain.ridge_refine_steps", t.RidgeRefineSteps, 0, maxLambdas)
	if len(t.GridOffsets) > maxGridOffsets {
		c.fail("terrain.grid_offsets", len(t.GridOffsets), "%d placements: want at most %d", len(t.GridOffsets), maxGridOffsets)
	}
	for i, o := range t.GridOffsets {
		k := fmt.Sprintf("terrain.grid_offsets[%d]", i)
		if len(o) != 2 {
			c.fail(k, o, "want [row, column]: two shifts of the training grid, as fractions of terrain.x_sparsity")
			continue
		}
		if !(o[0] >= 0 && o[0] < 1 && o[1] >= 0 && o[1] < 1) {
			c.fail(k, o, "each shift is a fraction of terrain.x_sparsity: at least 0 and below 1")
		}
	}
	nTerrain := TerrainTrainPoints(t.Window, t.XSparsity)

	g := p.Digits
	if g.File == "" {
		c.fail("digits.file", g.File, "give the path of the digits CSV")
	}
	c.intRange("digits.train_per_class", g.TrainPerClass, 1, 170)
	c.intRange("digits.val_per_class", g.ValPerClass, 1, 170)
	if g.TrainPerClass+g.ValPerClass > 170 {
		c.fail("digits.train_per_class", g.TrainPerClass, "training plus validation per class (%d) must leave a test set: at most 170 (the smallest class has 174 images)", g.TrainPerClass+g.ValPerClass)
	}
	if len(g.ResplitSeeds) > maxResplits {
		c.fail("digits.resplit_seeds", len(g.ResplitSeeds), "%d splits: want at most %d", len(g.ResplitSeeds), maxResplits)
	}
	seenSplit := map[uint64]bool{g.SplitSeed: true}
	for i, s := range g.ResplitSeeds {
		if seenSplit[s] {
			c.fail(fmt.Sprintf("digits.resplit_seeds[%d]", i), s, "each further split needs a seed of its own, distinct from digits.split_seed (%d) and from the others", g.SplitSeed)
		}
		seenSplit[s] = true
	}
	nDigits := 10 * g.TrainPerClass

	s := p.Schedule
	c.posFloat("schedule.lr0", s.LR0)
	c.nonNeg("schedule.decay", s.Decay)
	c.intRange("schedule.ramp_up", s.RampUp, 0, maxSteps)
	c.intRange("schedule.steps", s.Steps, 1, maxSteps)

	l := p.LinearSGD
	nonEmpty(c, "linear_sgd.batch_sizes", l.BatchSizes)
	for i, b := range l.BatchSizes {
		k := fmt.Sprintf("linear_sgd.batch_sizes[%d]", i)
		c.intMin(k, b, 1)
		if b > nTerrain {
			c.fail(k, b, "larger than the at most %d terrain training points", nTerrain)
		}
	}
	nonEmpty(c, "linear_sgd.learning_rates", l.LearningRates)
	for i, x := range l.LearningRates {
		c.posFloat(fmt.Sprintf("linear_sgd.learning_rates[%d]", i), x)
	}
	nonEmpty(c, "linear_sgd.momenta", l.Momenta)
	for i, x := range l.Momenta {
		c.unit(fmt.Sprintf("linear_sgd.momenta[%d]", i), x)
	}
	c.train("linear_sgd.train", l.Train, nTerrain)
	c.nonNeg("linear_sgd.ridge_lambda", l.RidgeLambda)
	c.intRange("linear_sgd.beta_epochs", l.BetaEpochs, 1, maxEpochs)
	c.intRange("linear_sgd.beta_runs", l.BetaRuns, 2, maxBetaRuns)
	c.posFloat("linear_sgd.beta_learning_rate", l.BetaLR)

	r := p.NeuralRegression
	c.netGrid("neural_regression", r.Architectures, r.LearningRates, r.Activations, 2, 1)
	c.nonNeg("neural_regression.leaky_alpha", r.LeakyAlpha)
	c.oneOf("neural_regression.init", r.Init, inits)
	if r.SigmoidInit != "" {
		c.oneOf("neural_regression.sigmoid_init", r.SigmoidInit, inits)
	}
	c.train("neural_regression.train", r.Train, nTerrain)
	c.refine("neural_regression.refine", r.Refine, 2, 1)
	extraNames := map[string]int{}
	for i, n := range r.Extra {
		k := fmt.Sprintf("neural_regression.extra[%d]", i)
		if n.Name == "" {
			c.fail(k+".name", n.Name, "give a name")
		} else if !plainName(n.Name, 64) {
			c.fail(k+".name", n.Name, "want a plain name: up to 64 letters, digits, - and _ (it names stages)")
		} else if j, dup := extraNames[n.Name]; dup {
			c.fail(k+".name", n.Name, "the same name as neural_regression.extra[%d]", j)
		}
		extraNames[n.Name] = i
		c.arch(k+".architecture", n.Architecture, 2, 1)
		c.oneOf(k+".activation", n.Activation, activations)
		c.posFloat(k+".learning_rate", n.LearningRate)
		c.oneOf(k+".init", n.Init, inits)
		c.train(k+".train", n.Train, nTerrain)
	}

	n := p.NeuralClassification
	c.netGrid("neural_classification", n.Architectures, n.LearningRates, n.Activations, 64, 10)
	nonEmpty(c, "neural_classification.outputs", n.Outputs)
	for i, a := range n.Outputs {
		c.oneOf(fmt.Sprintf("neural_classification.outputs[%d]", i), a, outputs)
	}
	c.oneOf("neural_classification.init", n.Init, inits)
	c.nonNeg("neural_classification.l2", n.L2)
	c.train("neural_classification.train", n.Train, nDigits)
	c.refine("neural_classification.refine", n.Refine, 64, 10)
	if sn := n.StudyNetwork; sn.Architecture != "" {
		if !slices.Contains(n.Architectures, sn.Architecture) {
			c.fail("neural_classification.study_network.architecture", sn.Architecture, "must be one of neural_classification.architectures")
		}
		if !slices.Contains(n.Activations, sn.Hidden) {
			c.fail("neural_classification.study_network.hidden", sn.Hidden, "must be one of neural_classification.activations")
		}
		if !slices.Contains(n.Outputs, sn.Output) {
			c.fail("neural_classification.study_network.output", sn.Output, "must be one of neural_classification.outputs")
		}
	}

	lg := p.Logistic
	c.posFloat("logistic.learning_rate", lg.LearningRate)
	c.nonNeg("logistic.l2", lg.L2)
	c.train("logistic.train", lg.Train, nDigits)
	c.intRange("logistic.lbfgs_iterations", lg.LBFGSIters, 1, maxIterations)

	b := p.Baseline
	c.arch("baseline.architecture", b.Architecture, 64, 10)
	c.posFloat("baseline.learning_rate", b.LearningRate)
	c.train("baseline.train", b.Train, nDigits)
	c.intRange("baseline.long_epochs", b.LongEpochs, 0, maxEpochs)
	c.intRange("baseline.long_patience", b.LongPatience, 0, max(b.LongEpochs, 0))

	for i, xs := range p.LearningCurve.XSparsities {
		k := fmt.Sprintf("learning_curve.x_sparsities[%d]", i)
		c.intMin(k, xs, 2)
		if xs > t.Window/2 {
			c.fail(k, xs, "must be at most half of terrain.window (%d)", t.Window)
		}
	}
	if b := p.LearningCurve.Budgets; len(b) > 0 {
		if len(b) != len(p.LearningCurve.XSparsities) {
			c.fail("learning_curve.budgets", b, "want one budget per size of learning_curve.x_sparsities (%d), or none", len(p.LearningCurve.XSparsities))
		}
		for i, f := range b {
			c.intRange(fmt.Sprintf("learning_curve.budgets[%d]", i), f, 1, 64)
		}
	}
	if r := p.Store.Remote; r != "" {
		u, err := url.Parse(r)
		switch {
		case err != nil || !slices.Contains(remoteSchemes, u.Scheme) || (u.Host == "" && u.Scheme != "file"):
			c.fail("store.remote", r, "want the URL of a shared store: file:///path, s3://bucket, gs://bucket or azblob://container (or \"\" for the local store only)")
		case u.Scheme == "file" && (u.Opaque != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") || len(strings.Trim(u.Path, "/")) == 0):
			// file://dir/x would open /x (the host is ignored), file://./x a
			// path relative to wherever repro runs: both are mistakes.
			c.fail("store.remote", r, "want an absolute directory: file:///absolute/path (three slashes; a relative path or a host is not allowed)")
		}
	}
	c.store(p.Store)
	if m := p.MNIST; m.Enabled {
		nonEmpty(c, "mnist.architectures", m.Architectures)
		for i, a := range m.Architectures {
			c.arch(fmt.Sprintf("mnist.architectures[%d]", i), a, 784, 10)
		}
		c.oneOf("mnist.activation", m.Activation, activations)
		c.posFloat("mnist.learning_rate", m.LearningRate)
		if m.Validation < 1000 || m.Validation > 30000 {
			c.fail("mnist.validation", m.Validation, "must be between 1000 and 30000 of the 60000 training images")
		}
		c.train("mnist.train", m.Train, 60000-m.Validation)
	}
	if p.Report.Title == "" {
		c.fail("report.title", p.Report.Title, "give the report a title")
	}
	c.intRange("report.bootstrap_resamples", p.Report.BootstrapResamples, 200, 100000)
	return c.err
}

// store checks the remote's mode, size limit and trusted keys.
func (c *checker) store(s Store) {
	if s.RemoteMode != "" {
		c.oneOf("store.remote_mode", s.RemoteMode, remoteModes)
	}
	if n := s.MaxObjectBytes; n != 0 && (n < 1<<10 || n > 1<<40) {
		c.fail("store.max_object_bytes", n, "must be from 1024 (1 KiB) to 1099511627776 (1 TiB), or 0 for the default of 1 GiB")
	}
	seen := map[string]int{}
	for i, k := range s.TrustedKeys {
		key := fmt.Sprintf("store.trusted_keys[%d]", i)
		if strings.HasPrefix(strings.TrimSpace(k), "repro-ed25519-private:") {
			c.fail(key, "(hidden)", "this is a private key: remove it from the parameters (it is a secret; REPRO_SIGNING_KEY_FILE names its file) and list the public key from the .pub file")
			continue
		}
		pk, err := pipeline.ParsePublicKey(k)
		if err != nil {
			c.fail(key, k, "%v", err)
			continue
		}
		if j, ok := seen[pk.ID]; ok {
			c.fail(key, k, "the same key as store.trusted_keys[%d]", j)
		}
		seen[pk.ID] = i
	}
}
