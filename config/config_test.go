package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// project writes a params.yaml (the repository's own, with edits) and an
// optional quick profile into a temporary directory.
func project(t *testing.T, edit func(string) string, quick string) string {
	t.Helper()
	base, err := os.ReadFile("../params.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := string(base)
	if edit != nil {
		src = edit(src)
	}
	if err := os.WriteFile(filepath.Join(dir, "params.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if quick != "" {
		if err := os.WriteFile(filepath.Join(dir, "params.quick.yaml"), []byte(quick), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRepositoryParamsLoad(t *testing.T) {
	for _, profile := range []string{"", "quick"} {
		p, err := Load(Options{Dir: "..", Profile: profile})
		if err != nil {
			t.Fatalf("profile %q: %v", profile, err)
		}
		if p.Seeds < 1 || p.Terrain.XSparsity < 2 {
			t.Errorf("profile %q: implausible params %+v", profile, p)
		}
	}
}

func TestPrecedence(t *testing.T) {
	dir := project(t, nil, "terrain:\n  degree: 5\n  x_sparsity: 10\n")
	p, err := Load(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if p.Terrain.Degree != 8 {
		t.Errorf("file: degree = %d, want 8", p.Terrain.Degree)
	}
	p, err = Load(Options{Dir: dir, Profile: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Terrain.Degree != 5 || p.Terrain.Window != 400 {
		t.Errorf("profile: degree = %d window = %d, want 5 and the file's 400", p.Terrain.Degree, p.Terrain.Window)
	}
	p, err = Load(Options{Dir: dir, Profile: "quick", Environ: []string{"REPRO_TERRAIN_DEGREE=6", "HOME=/x"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Terrain.Degree != 6 {
		t.Errorf("env: degree = %d, want 6", p.Terrain.Degree)
	}
	p, err = Load(Options{Dir: dir, Profile: "quick", Environ: []string{"REPRO_TERRAIN_DEGREE=6"}, Set: []string{"terrain.degree=7", "linear_sgd.momenta=[0.1, 0.2]"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Terrain.Degree != 7 || len(p.LinearSGD.Momenta) != 2 {
		t.Errorf("--set: degree = %d momenta = %v, want 7 and [0.1 0.2]", p.Terrain.Degree, p.LinearSGD.Momenta)
	}
}

// TestBadConfig: every bad input is an *Error (exit 2 in the CLI) naming
// the key and the value and saying what is allowed.
func TestBadConfig(t *testing.T) {
	repl := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("params.yaml has no %q", old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	for _, tc := range []struct {
		name  string
		edit  func(string) string
		quick string
		env   []string
		set   []string
		want  []string // substrings of the error
	}{
		{name: "unknown top-level key", edit: func(s string) string { return s + "\nbogus: 1\n" }, want: []string{"params.yaml", "bogus", "unknown key"}},
		{name: "misspelled key", edit: repl("x_sparsity: 20", "x_sparsty: 20"), want: []string{"terrain.x_sparsty", "did you mean terrain.x_sparsity"}},
		{name: "misspelled nested key", edit: repl("momentum: 0.5", "momentun: 0.5"), want: []string{"linear_sgd.train.momentun", "did you mean linear_sgd.train.momentum"}},
		{name: "wrong type int", edit: repl("degree: 8", "degree: eight"), want: []string{"terrain.degree", `"eight"`, "want an integer"}},
		{name: "float for int", edit: repl("degree: 8", "degree: 8.5"), want: []string{"terrain.degree", "8.5", "want an integer"}},
		{name: "wrong type list", edit: repl("batch_sizes: [5, 10, 20, 40]", "batch_sizes: 10"), want: []string{"linear_sgd.batch_sizes", "want a list"}},
		{name: "string in number list", edit: repl("learning_rates: [0.03, 0.1, 0.3, 1]", "learning_rates: [0.01, fast]"), want: []string{"linear_sgd.learning_rates[1]", `"fast"`, "want a number"}},
		{name: "negative learning rate", edit: repl("learning_rates: [0.03, 0.1, 0.3, 1]", "learning_rates: [0.01, -0.1]"), want: []string{"linear_sgd.learning_rates[1] = -0.1", "must be > 0"}},
		{name: "zero learning rate", set: []string{"logistic.learning_rate=0"}, want: []string{"--set", "logistic.learning_rate = 0", "must be > 0"}},
		{name: "empty grid", edit: repl("momenta: [0, 0.5, 0.9]", "momenta: []"), want: []string{"linear_sgd.momenta", "empty"}},
		{name: "empty architectures", set: []string{"neural_regression.architectures=[]"}, want: []string{"neural_regression.architectures", "empty"}},
		{name: "mini-batch larger than the data", set: []string{"neural_classification.train.batch_size=5000"}, want: []string{"neural_classification.train.batch_size = 5000", "larger than the 1000 training points"}},
		{name: "terrain mini-batch too large", set: []string{"linear_sgd.batch_sizes=[10, 100000]"}, want: []string{"linear_sgd.batch_sizes[1] = 100000", "larger than"}},
		{name: "x_sparsity < 2", set: []string{"terrain.x_sparsity=1"}, want: []string{"terrain.x_sparsity = 1", "must be >= 2"}},
		{name: "architecture input size", set: []string{"neural_regression.architectures=[3x8x1]"}, want: []string{"neural_regression.architectures[0] = \"3x8x1\"", "input layer has 3 nodes but the data have 2 features"}},
		{name: "architecture output size", set: []string{"neural_classification.architectures=[64x32x9]"}, want: []string{"output layer has 9 nodes but the task needs 10"}},
		{name: "architecture syntax", set: []string{"baseline.architecture=64-32-10"}, want: []string{"baseline.architecture", "joined by x"}},
		{name: "unknown activation", set: []string{"neural_regression.activations=[tanh]"}, want: []string{"neural_regression.activations[0] = \"tanh\"", "one of sigmoid, relu, leaky_relu, identity"}},
		{name: "unknown optimizer", set: []string{"baseline.train.optimizer=rmsprop"}, want: []string{"baseline.train.optimizer", "one of sgd, adam"}},
		{name: "momentum out of range", set: []string{"linear_sgd.train.momentum=1.5"}, want: []string{"linear_sgd.train.momentum = 1.5", "[0, 1)"}},
		{name: "zero seeds", set: []string{"seeds=0"}, want: []string{"seeds = 0", "must be >= 1"}},
		{name: "set of a missing key", set: []string{"terrain.colour=red"}, want: []string{"--set", "terrain.colour", "no such key"}},
		{name: "set misspelled", set: []string{"terrian.degree=3"}, want: []string{"terrian.degree", "did you mean terrain.degree"}},
		{name: "set without =", set: []string{"terrain.degree"}, want: []string{"--set", "want key=value"}},
		{name: "malformed YAML", edit: func(s string) string { return s + "\nterrain: [unclosed\n" }, want: []string{"params.yaml", "malformed YAML"}},
		{name: "tab indentation", edit: func(s string) string { return "seeds:\n\t- 1\n" + s }, want: []string{"params.yaml", "malformed YAML"}},
		{name: "bad env value", env: []string{"REPRO_TERRAIN_DEGREE=high"}, want: []string{"REPRO_TERRAIN_DEGREE", "terrain.degree", `"high"`, "want an integer"}},
		{name: "unknown env variable", env: []string{"REPRO_TERRAIN_DEGRE=3"}, want: []string{"REPRO_TERRAIN_DEGRE", "did you mean REPRO_TERRAIN_DEGREE"}},
		{name: "bad profile value", quick: "terrain:\n  window: -3\n", want: []string{"params.quick.yaml", "terrain.window = -3", "must be >= 8"}},
		{name: "unknown key in profile", quick: "terain:\n  window: 100\n", want: []string{"params.quick.yaml", "terain", "did you mean terrain"}},
		{name: "missing profile", quick: "", set: nil, want: []string{"--profile quick", "params.quick.yaml not found"}},
		{name: "negative lambda", set: []string{"terrain.ridge_lambdas=[0.1, -1]"}, want: []string{"terrain.ridge_lambdas[1] = -1", "must be >= 0"}},
		{name: "grid offset of a whole spacing", set: []string{"terrain.grid_offsets=[[0.5, 1]]"}, want: []string{"terrain.grid_offsets[0] = [0.5 1]", "fraction of terrain.x_sparsity"}},
		{name: "grid offset not a pair", set: []string{"terrain.grid_offsets=[[0.5]]"}, want: []string{"terrain.grid_offsets[0] = [0.5]", "want [row, column]"}},
		{name: "resplit seed equal to the study's", set: []string{"digits.resplit_seeds=[2021, 2020]"}, want: []string{"digits.resplit_seeds[1] = 2020", "distinct from digits.split_seed"}},
		{name: "resplit seed repeated", set: []string{"digits.resplit_seeds=[5, 5]"}, want: []string{"digits.resplit_seeds[1] = 5"}},
		{name: "mapping for scalar", set: []string{"terrain.degree={a: 1}"}, want: []string{"terrain.degree", "want an integer"}},
		{name: "too many per class", set: []string{"digits.train_per_class=160"}, want: []string{"digits.train_per_class = 160", "must leave a test set"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, tc.edit, tc.quick)
			profile := ""
			if tc.quick != "" || tc.name == "missing profile" {
				profile = "quick"
			}
			_, err := Load(Options{Dir: dir, Profile: profile, Environ: tc.env, Set: tc.set})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestUnreadableParams(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "params.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Load(Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "params.yaml: cannot read") {
		t.Errorf("err = %v, want params.yaml: cannot read", err)
	}
	var ce *Error
	_ = errors.As(err, &ce)
}

func TestKeysAndEnvNames(t *testing.T) {
	ks := strings.Join(Keys(), " ")
	for _, want := range []string{"terrain.x_sparsity", "linear_sgd.train.batch_size", "seeds"} {
		if !strings.Contains(ks, want) {
			t.Errorf("Keys() lacks %s", want)
		}
	}
	if got := EnvName("terrain.x_sparsity"); got != "REPRO_TERRAIN_X_SPARSITY" {
		t.Errorf("EnvName = %s", got)
	}
}

// FuzzParseYAML checks that the strict decoder never panics on any
// parameter file, and that whatever it accepts validates.
func FuzzParseYAML(f *testing.F) {
	base, err := os.ReadFile("../params.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	f.Add([]byte("terrain: {degree: 3}\n"))
	f.Add([]byte("seeds: [1, 2]\n"))
	f.Add([]byte("linear_sgd:\n  train: {epochs: -1}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseYAML("fuzz.yaml", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		d := &decoder{source: func(string) string { return "fuzz.yaml" }}
		var p Params
		if err := d.decode("", normalise(m), reflectValue(&p)); err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Key == "" && len(m) > 0 {
				t.Fatalf("decode error without a key: %v", err)
			}
			return
		}
		_ = p.validate(d)
	})
}
