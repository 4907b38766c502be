package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostileConfig: parameters that are ambiguous (keys differing only by
// case, empty or null values, several documents), that name a path where a
// name belongs, or whose counts and sizes would exhaust memory or overflow,
// are errors naming the source and the key, at once.
func TestHostileConfig(t *testing.T) {
	big := fmt.Sprint(uint64(1) << 62)
	lambdas := strings.TrimSuffix(strings.Repeat("0.1, ", 101), ", ")
	bomb := "x: &a [1,1,1,1,1,1,1,1,1]\ny: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nz: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
		"w: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nv: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nu: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
		"t: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\ns: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\nr: [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
	for _, tc := range []struct {
		name    string
		quick   string // the profile's file; "" for no profile
		profile string // --profile, when not "quick"
		env     []string
		set     []string
		want    []string // parts of the error
	}{
		// Ambiguous files and values.
		{name: "keys differing by case", quick: "terrain:\n  Degree: 3\n  degree: 5\n",
			want: []string{"params.quick.yaml: terrain.degree: written both as \"Degree\" (line 2) and \"degree\" (line 3); keys are not case-sensitive: keep one"}},
		{name: "sections differing by case", quick: "Terrain:\n  degree: 3\nterrain:\n  window: 100\n",
			want: []string{"params.quick.yaml: terrain: written both as \"Terrain\" (line 1) and \"terrain\" (line 3)"}},
		{name: "null value", quick: "terrain:\n  degree:\n", want: []string{"params.quick.yaml: terrain.degree: no value (line 2): give one, or leave the key out"}},
		{name: "explicit null", quick: "terrain:\n  degree: ~\n", want: []string{"params.quick.yaml: terrain.degree: no value"}},
		{name: "null section", quick: "mnist:\n", want: []string{"params.quick.yaml: mnist: no value (line 1)"}},
		{name: "null in a list of mappings", quick: "neural_regression:\n  extra:\n    - name:\n", want: []string{"params.quick.yaml: neural_regression.extra[0].name: no value"}},
		{name: "two documents", quick: "terrain:\n  degree: 3\n---\nterrain:\n  degree: 5\n",
			want: []string{"params.quick.yaml: several YAML documents (the second starts at line 3); a parameter file holds one"}},
		{name: "empty --set", set: []string{"terrain.degree="}, want: []string{`--set: terrain.degree = "": no value: give one ("" for an empty string)`}},
		{name: "blank --set", set: []string{"terrain.degree=  "}, want: []string{`--set: terrain.degree = "  ": no value`}},
		{name: "null --set", set: []string{"terrain.degree=null"}, want: []string{`--set: terrain.degree = "null": no value`}},
		{name: "empty string --set for a number", set: []string{`terrain.degree=""`}, want: []string{`terrain.degree = "": want an integer`}},
		{name: "empty environment variable", env: []string{"REPRO_TERRAIN_DEGREE="}, want: []string{`REPRO_TERRAIN_DEGREE: terrain.degree = "": no value`}},
		{name: "null environment variable", env: []string{"REPRO_TERRAIN_DEGREE=~"}, want: []string{`REPRO_TERRAIN_DEGREE: terrain.degree = "~": no value`}},
		{name: "two documents in --set", set: []string{"terrain.degree=3\n---\n5"}, want: []string{"--set: terrain.degree", "several YAML documents"}},
		{name: "deep nesting", set: []string{"terrain.degree=" + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)},
			want: []string{`--set: terrain.degree = "[[[[`, `"... (200000 bytes): not a YAML value: exceeded max depth`}},
		{name: "alias bomb", quick: bomb, want: []string{"params.quick.yaml: malformed YAML", "excessive aliasing"}},

		// Paths where a name or an absolute URL belongs.
		{name: "relative file URL", set: []string{"store.remote=file://relative/path"}, want: []string{`store.remote = "file://relative/path": want an absolute directory: file:///absolute/path`}},
		{name: "dot file URL", set: []string{"store.remote=file://./store"}, want: []string{"want an absolute directory"}},
		{name: "opaque file URL", set: []string{"store.remote=file:store"}, want: []string{"want an absolute directory"}},
		{name: "file URL of the root", set: []string{"store.remote=file:///"}, want: []string{"want an absolute directory"}},
		{name: "profile with a path", profile: "../quick", want: []string{`--profile: profile = "../quick": want a plain name`}},
		{name: "profile with a slash", profile: "a/b", want: []string{"want a plain name"}},
		{name: "profile with a space", profile: "my profile", want: []string{"want a plain name"}},
		{name: "extra network named with markup", set: []string{"neural_regression.extra=[{name: '<b>x</b>', architecture: 2x8x1, activation: relu, learning_rate: 0.1, init: he, train: {epochs: 1, batch_size: 1, optimizer: sgd}}]"},
			want: []string{`neural_regression.extra[0].name = "<b>x</b>": want a plain name`}},
		{name: "two extra networks of one name", set: []string{"neural_regression.extra=[{name: a, architecture: 2x8x1, activation: relu, learning_rate: 0.1, init: he, train: {epochs: 1, batch_size: 1, optimizer: sgd}}, {name: a, architecture: 2x8x1, activation: relu, learning_rate: 0.1, init: he, train: {epochs: 1, batch_size: 1, optimizer: sgd}}]"},
			want: []string{`neural_regression.extra[1].name = "a": the same name as neural_regression.extra[0]`}},

		// Counts and sizes.
		{name: "window", set: []string{"terrain.window=9223372036854775807"}, want: []string{"terrain.window = 9223372036854775807: must be at most 65536"}},
		{name: "x_sparsity overflowing twice", set: []string{"terrain.x_sparsity=" + big}, want: []string{"terrain.x_sparsity = " + big + ": must be at most half of terrain.window"}},
		{name: "learning-curve spacing overflowing twice", set: []string{"learning_curve.x_sparsities=[" + big + "]"}, want: []string{"learning_curve.x_sparsities[0] = " + big + ": must be at most half"}},
		{name: "learning-curve budgets, one short", set: []string{"learning_curve.budgets=[1, 2]"}, want: []string{"learning_curve.budgets = [1 2]: want one budget per size of learning_curve.x_sparsities (3), or none"}},
		{name: "learning-curve budget of 0", set: []string{"learning_curve.budgets=[1, 0, 2]"}, want: []string{"learning_curve.budgets[1] = 0: must be >= 1"}},
		{name: "per-class counts overflowing their sum", set: []string{"digits.train_per_class=9223372036854775807", "digits.val_per_class=1"}, want: []string{"digits.train_per_class = 9223372036854775807: must be at most 170"}},
		{name: "ridge lambdas", set: []string{"terrain.ridge_lambdas=[" + lambdas + "]"}, want: []string{"terrain.ridge_lambdas = 101: 101 values: want at most 100"}},
		{name: "schedule steps", set: []string{"schedule.steps=9223372036854775807"}, want: []string{"schedule.steps = 9223372036854775807: must be at most 1000000000"}},
		{name: "schedule ramp-up", set: []string{"schedule.ramp_up=2000000000"}, want: []string{"schedule.ramp_up = 2000000000: must be at most 1000000000"}},
		{name: "epochs", set: []string{"logistic.train.epochs=1000000000000"}, want: []string{"logistic.train.epochs = 1000000000000: must be at most 100000"}},
		{name: "patience", set: []string{"neural_regression.train.patience=1000000"}, want: []string{"neural_regression.train.patience = 1000000: must be at most 100000"}},
		{name: "ramp-up", set: []string{"baseline.train.ramp_up=" + big}, want: []string{"baseline.train.ramp_up = " + big + ": must be at most 1000000000"}},
		{name: "batch size", set: []string{"terrain.window=65536", "terrain.x_sparsity=2", "linear_sgd.train.batch_size=100000000"}, want: []string{"linear_sgd.train.batch_size = 100000000: must be at most 1048576"}},
		{name: "beta epochs", set: []string{"linear_sgd.beta_epochs=10000000"}, want: []string{"linear_sgd.beta_epochs = 10000000: must be at most 100000"}},
		{name: "beta runs", set: []string{"linear_sgd.beta_runs=200000000"}, want: []string{"linear_sgd.beta_runs = 200000000: must be at most 1000"}},
		{name: "L-BFGS iterations", set: []string{"logistic.lbfgs_iterations=10000000"}, want: []string{"logistic.lbfgs_iterations = 10000000: must be at most 100000"}},
		{name: "deep network", set: []string{"neural_regression.architectures=[2" + strings.Repeat("x4", 40) + "x1]"}, want: []string{"neural_regression.architectures[0]", "42 layers: want at most 32"}},
		{name: "wide network", set: []string{"neural_regression.architectures=[2x4096x4096x4096x1]"}, want: []string{"neural_regression.architectures[0]", "33579009 weights and biases: want at most 16777216"}},
		{name: "signed layer size", set: []string{"baseline.architecture=64x+32x10"}, want: []string{`baseline.architecture = "64x+32x10": layer 1 size "+32": want an integer from 1 to 4096`}},
		{name: "seeds beyond int64", set: []string{"seeds=18446744073709551615"}, want: []string{"seeds = 18446744073709551615: want an integer, at most 9223372036854775807"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, nil, tc.quick)
			profile := tc.profile
			if tc.quick != "" {
				profile = "quick"
			}
			t0 := time.Now()
			_, err := Load(Options{Dir: dir, Profile: profile, Environ: tc.env, Set: tc.set})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error of %d bytes: a long value must be shortened", len(err.Error()))
			}
			if d := time.Since(t0); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestWhatStaysAllowed: the checks above refuse nothing the study uses.
func TestWhatStaysAllowed(t *testing.T) {
	dir := project(t, nil, "---\nterrain:\n  degree: 3\n...\n")
	for _, tc := range []struct {
		profile string
		env     []string
		set     []string
	}{
		{profile: "quick"}, // one document, with its markers
		{set: []string{`store.remote=""`}},
		{set: []string{"store.remote=file:///shared/store"}},
		{env: []string{"REPRO_STORE_REMOTE=file:///shared/store"}},
		{set: []string{"base_seed=18446744073709551615"}},
		{set: []string{"terrain.window=65536", "terrain.x_sparsity=16"}},
		{set: []string{"neural_regression.architectures=[2x4000x4000x1]"}},
		{set: []string{"neural_regression.extra=[{name: wide_adam-2, architecture: 2x8x1, activation: relu, learning_rate: 0.1, init: he, train: {epochs: 1, batch_size: 1, optimizer: sgd}}]"}},
	} {
		if _, err := Load(Options{Dir: dir, Profile: tc.profile, Environ: tc.env, Set: tc.set}); err != nil {
			t.Errorf("%+v: %v", tc, err)
		}
	}
}

// TestParamsFileMustBeRegular: a parameter file that is a named pipe is an
// error at once (it was read until a writer came).
func TestParamsFileMustBeRegular(t *testing.T) {
	dir := project(t, nil, "")
	if err := syscall.Mkfifo(filepath.Join(dir, "params.fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Load(Options{Dir: dir, Profile: "fifo"})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "params.fifo.yaml: cannot read") || !strings.Contains(err.Error(), "a named pipe (FIFO), not a regular file") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Load still reading a named pipe after 5 s")
	}
	os.Remove(filepath.Join(dir, "params.fifo.yaml"))
	var ce *Error
	_, err := Load(Options{Dir: dir, Profile: "fifo"})
	if err == nil || errors.As(err, &ce) {
		t.Errorf("missing profile: %v", err)
	}
}
