package stages

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/numfmt"
)

// DefaultMaxStages is the most stages Build declares unless Env.MaxStages
// says otherwise (repro's --max-stages). The default profile declares under
// a thousand; the bound keeps a grid that multiplies out of hand (every list
// of a grid times every other, times the seeds) from filling memory with
// stage declarations before anything runs.
const DefaultMaxStages = 10_000

// stageFamily is one family of stages whose count is a product of
// parameter lengths.
type stageFamily struct {
	name  string   // "neural/classification"
	keys  []string // the keys whose lengths multiply
	lens  []int
	count uint64 // their product, saturated at math.MaxUint64
}

func (f stageFamily) String() string {
	parts := make([]string, len(f.keys))
	for i, k := range f.keys {
		parts[i] = fmt.Sprintf("%s (%d)", k, f.lens[i])
	}
	return fmt.Sprintf("%s: %s = %s", f.name, strings.Join(parts, " x "), thousands(f.count))
}

// family multiplies the lengths of keys, without overflow.
func family(name string, keys []string, lens ...int) stageFamily {
	f := stageFamily{name: name, keys: keys, lens: lens, count: 1}
	for _, n := range lens {
		f.count = mulSat(f.count, uint64(n))
	}
	return f
}

func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

func addSat(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

// stageCount returns how many grid points Build declares for p (saturated
// at math.MaxUint64), a lower bound of its stages, and their families,
// whose counts multiply. It lets Build refuse a grid that multiplies out
// of hand before declaring anything, naming the lists that multiply; the
// graph's own limit (pipeline.Graph.Limit) counts every stage as it is
// declared, so no count of the other stages is kept here.
func stageCount(p *config.Params) (uint64, []stageFamily) {
	seeds := p.Seeds
	l, r, n, m := p.LinearSGD, p.NeuralRegression, p.NeuralClassification, p.MNIST
	fams := []stageFamily{
		family("linear/sgd", []string{"linear_sgd.batch_sizes", "linear_sgd.learning_rates", "seeds"}, len(l.BatchSizes), len(l.LearningRates), seeds),
		family("linear/sgd-ols", []string{"linear_sgd.batch_sizes", "linear_sgd.learning_rates", "seeds"}, len(l.BatchSizes), len(l.LearningRates), seeds),
		family("linear/sgd-momentum", []string{"linear_sgd.momenta", "seeds"}, len(l.Momenta), seeds),
		family("neural/regression", []string{"neural_regression.activations", "neural_regression.architectures", "neural_regression.learning_rates", "seeds"},
			len(r.Activations), len(r.Architectures), len(r.LearningRates), seeds),
		family("neural/regression/extra", []string{"neural_regression.extra", "seeds"}, len(r.Extra), seeds),
		family("neural/classification", []string{"neural_classification.outputs", "neural_classification.activations", "neural_classification.architectures", "neural_classification.learning_rates", "seeds"},
			len(n.Outputs), len(n.Activations), len(n.Architectures), len(n.LearningRates), seeds),
		family("logistic/sgd", []string{"seeds"}, seeds),
		family("baseline/keras-style", []string{"seeds"}, seeds),
		family("learning-curve", []string{"learning_curve.x_sparsities"}, len(p.LearningCurve.XSparsities)),
	}
	if r.Refine.MaxSteps > 0 {
		fams = append(fams, family("neural/regression/refine", []string{"neural_regression.activations", "neural_regression.refine.max_steps", "seeds"}, len(r.Activations), r.Refine.MaxSteps, seeds))
	}
	if n.Refine.MaxSteps > 0 {
		fams = append(fams, family("neural/classification/refine", []string{"neural_classification.outputs", "neural_classification.activations", "neural_classification.refine.max_steps", "seeds"},
			len(n.Outputs), len(n.Activations), n.Refine.MaxSteps, seeds))
	}
	if m.Enabled {
		fams = append(fams, family("mnist", []string{"mnist.architectures", "seeds"}, len(m.Architectures), seeds))
	}
	if p.Baseline.LongEpochs > 0 {
		fams = append(fams, family("baseline/keras-style-long", []string{"seeds"}, seeds))
	}
	if p.Baseline.RawInputs {
		fams = append(fams, family("baseline/keras-style-raw", []string{"seeds"}, seeds))
	}
	var total uint64
	for _, f := range fams {
		total = addSat(total, f.count)
	}
	return total, fams
}

// CheckStageCount returns an error when the parameters declare more than
// max stages (DefaultMaxStages if max <= 0), naming the parameter lists
// whose lengths multiply, largest first.
func CheckStageCount(p *config.Params, max int) error {
	max = limitOf(max)
	total, _ := stageCount(p)
	if total <= uint64(max) {
		return nil
	}
	return limitError(p, max, thousands(total)+" grid points")
}

func limitOf(max int) int {
	if max <= 0 {
		return DefaultMaxStages
	}
	return max
}

// limitError says that the parameters declare count, more than max
// stages, and names the lists that multiply, largest first.
func limitError(p *config.Params, max int, count string) error {
	_, fams := stageCount(p)
	slices.SortStableFunc(fams, func(a, b stageFamily) int {
		switch {
		case a.count > b.count:
			return -1
		case a.count < b.count:
			return 1
		}
		return 0
	})
	// The families that make the count: the largest, and those of at
	// least a tenth of it.
	var show []string
	for _, f := range fams[:3] {
		if f.count > 1 && f.count >= fams[0].count/10 {
			show = append(show, f.String())
		}
	}
	err := fmt.Sprintf("the parameters declare %s, more than the limit of %s stages (raise it with --max-stages if you mean it)", count, thousands(uint64(max)))
	if len(show) > 0 {
		err += "; the grids multiply: " + strings.Join(show, "; ")
	}
	return errors.New(err)
}

// thousands formats n with comma separators ("480,062"); "more than
// 18,446,744,073,709,551,614" for a saturated count.
func thousands(n uint64) string {
	if n == math.MaxUint64 {
		return "more than " + numfmt.Thousands(n-1)
	}
	return numfmt.Thousands(n)
}
