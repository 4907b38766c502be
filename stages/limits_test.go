package stages

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/repro-dev/repro/config"
)

// TestStageCount: the grid points CheckStageCount counts are a lower bound
// of the stages Build declares, and the graph enforces the limit itself:
// Build passes at the number of stages it declares and fails one below,
// naming the lists that multiply; no count of the other stages is kept by
// hand.
func TestStageCount(t *testing.T) {
	for _, tc := range []struct {
		profile string
		set     []string
	}{
		{"", nil},
		{"quick", nil},
		{"quick", []string{"mnist.enabled=true"}},
		{"quick", []string{"learning_curve.x_sparsities=[]", "neural_regression.extra=[]"}},
		{"quick", []string{"seeds=7", "neural_classification.activations=[relu]", "neural_regression.activations=[sigmoid, relu, leaky_relu, identity]"}},
	} {
		p, err := config.Load(config.Options{Dir: "..", Profile: tc.profile, Set: tc.set})
		if err != nil {
			t.Fatal(err)
		}
		g, err := Build(p, Env{Profile: "test", MNISTDir: "/mnist"})
		if err != nil {
			t.Fatal(err)
		}
		n := len(g.Stages())
		if grid, _ := stageCount(p); grid > uint64(n) || grid < uint64(n)/2 {
			t.Errorf("profile %q %v: %d grid points, Build declares %d stages", tc.profile, tc.set, grid, n)
		}
		if _, err := Build(p, Env{Profile: "test", MNISTDir: "/mnist", MaxStages: n}); err != nil {
			t.Errorf("profile %q %v: at a limit of %d, its own count: %v", tc.profile, tc.set, n, err)
		}
		_, err = Build(p, Env{Profile: "test", MNISTDir: "/mnist", MaxStages: n - 1})
		if want := fmt.Sprintf("declare more than %s stages, more than the limit of %s stages", thousands(uint64(n-1)), thousands(uint64(n-1))); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "the grids multiply: ") {
			t.Errorf("profile %q %v: at a limit of %d: %v; want %q and the lists that multiply", tc.profile, tc.set, n-1, err, want)
		}
	}
}

// TestStageLimit: parameters that multiply into too many stages are refused
// at once, before any stage is declared, naming the lists that multiply;
// --max-stages (Env.MaxStages) raises the limit.
func TestStageLimit(t *testing.T) {
	lrs := make([]string, 400)
	for i := range lrs {
		lrs[i] = fmt.Sprint(float64(i+1) / 1000)
	}
	archs := make([]string, 300)
	for i := range archs {
		archs[i] = fmt.Sprintf("64x%dx10", i+1)
	}
	many := make([]string, 3000)
	for i := range many {
		many[i] = fmt.Sprint(float64(i+1) / 1e6)
	}
	for _, tc := range []struct {
		name string
		set  []string
		max  int
		want []string // parts of the error; none: no error
	}{
		{name: "classification grid of 960,000 points", set: []string{"neural_classification.learning_rates=[" + strings.Join(lrs, ", ") + "]", "neural_classification.architectures=[" + strings.Join(archs, ", ") + "]"},
			want: []string{"the parameters declare 960,", "grid points, more than the limit of 10,000 stages (raise it with --max-stages",
				"neural/classification: neural_classification.outputs (2) x neural_classification.activations (2) x neural_classification.architectures (300) x neural_classification.learning_rates (400) x seeds (2) = 960,000"}},
		{name: "two grids over the limit", set: []string{"linear_sgd.learning_rates=[" + strings.Join(many, ", ") + "]", "linear_sgd.batch_sizes=[10, 20]", "neural_regression.learning_rates=[" + strings.Join(many[:2000], ", ") + "]"},
			want: []string{"linear/sgd: linear_sgd.batch_sizes (2) x linear_sgd.learning_rates (3000) x seeds (2) = 12,000", "neural/regression: neural_regression.activations (3) x neural_regression.architectures (2) x neural_regression.learning_rates (2000) x seeds (2) = 24,000;"}},
		{name: "under a raised limit", set: []string{"linear_sgd.learning_rates=[" + strings.Join(many, ", ") + "]", "linear_sgd.batch_sizes=[10, 20]"}, max: 30_000},
		{name: "a lowered limit", max: 110, want: []string{"the parameters declare more than 110 stages, more than the limit of 110 stages"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := config.Load(config.Options{Dir: "..", Profile: "quick", Set: tc.set})
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			_, err = Build(p, Env{Profile: "quick", MaxStages: tc.max})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if d := time.Since(t0); d > 100*time.Millisecond {
				t.Errorf("refused after %v, want at once", d)
			}
		})
	}
	// Counts that overflow an integer saturate.
	p, _ := config.Load(config.Options{Dir: "..", Profile: "quick"})
	huge := make([]string, 1<<16)
	p.NeuralClassification.Architectures, p.NeuralClassification.LearningRates = huge, make([]float64, 1<<16)
	p.NeuralClassification.Outputs, p.NeuralClassification.Activations = huge, huge
	p.Seeds = 1 << 16
	if err := CheckStageCount(p, 0); err == nil || !strings.Contains(err.Error(), "declare more than 18,446,744,073,709,551,614 grid points") {
		t.Errorf("saturated count: %v", err)
	}
}
