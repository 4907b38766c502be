package stages

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/gobuild"
	"github.com/repro-dev/repro/pipeline"
)

// TestEveryListMakesAReport: every list-valued parameter the validation
// accepts produces a report. The quick profile runs in-process (one store
// for all variants, so that what they share runs once) with the activation
// and architecture lists cut to one element, and with an activation added;
// the report must name every activation it was given and refer to each
// digits heat map it draws.
func TestEveryListMakesAReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quick profile several times")
	}
	dir := t.TempDir()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"params.yaml", "params.quick.yaml", "data", "templates"} {
		if err := os.Symlink(filepath.Join(root, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := pipeline.OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(st.Dir, "state")
	bl, err := gobuild.Load(context.Background(), gobuild.Config{Dir: root, Target: "./cmd/repro", CacheDir: state})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := pipeline.NewFingerprinterForBuild(bl, pipeline.CurrentBuild(), state)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		set  []string
		want []string // in the report's text
	}{
		{"one activation each", []string{"neural_classification.activations=[relu]", "neural_regression.activations=[relu]"},
			[]string{"fig-nn-digits-heat-relu"}},
		{"one architecture each", []string{"neural_classification.architectures=[64x32x10]", "neural_regression.architectures=[2x8x8x1]", "neural_regression.extra=[]"},
			[]string{"fig-nn-digits-heat-sigmoid", "fig-nn-digits-heat-relu"}},
		{"an activation added", []string{"neural_classification.activations=[sigmoid, relu, leaky_relu]", "neural_regression.activations=[sigmoid, relu, leaky_relu, identity]"},
			[]string{"fig-nn-digits-heat-leaky_relu", "identity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := config.Load(config.Options{Dir: dir, Profile: "quick", Set: tc.set})
			if err != nil {
				t.Fatal(err)
			}
			g, err := Build(p, Env{Profile: "quick"})
			if err != nil {
				t.Fatal(err)
			}
			e := &pipeline.Engine{Graph: g, Store: st, Code: fp, Root: dir}
			if _, err := e.Run(context.Background(), g.Stages()); err != nil {
				t.Fatal(err)
			}
			html, err := os.ReadFile(filepath.Join(dir, "artifacts", "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(html), w) {
					t.Errorf("the report lacks %q", w)
				}
			}
		})
	}
}
