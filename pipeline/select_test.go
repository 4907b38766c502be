package pipeline

import (
	"strings"
	"testing"
)

func TestMatchFamilies(t *testing.T) {
	for _, tc := range []struct {
		pat, name string
		want      bool
	}{
		// A family label of repro dag, "neural/regression/* (185)",
		// selects every stage it counts, at any depth.
		{"neural/*", "neural/regression/act=relu/arch=2x8x1/lr=1/seed=3", true},
		{"neural/regression/*", "neural/regression/tune/act=relu", true},
		{"neural/regression/*", "neural/classification/tune", false},
		{"neural/**", "neural/regression/extra=wide-adam/seed=1", true},
		{"neural/.../seed=1", "neural/regression/extra=wide-adam/seed=1", true},
		{"**/seed=1", "logistic/sgd/seed=1", true},
		{"**/seed=1", "logistic/sgd/seed=2", false},
		{"neural/*/tune", "neural/classification/tune", true},
		{"neural/*/tune", "neural/regression/tune/act=relu", true},
		{"neural/regression/act=relu*", "neural/regression/act=relu/arch=2x8x1/lr=1/seed=3", true},
		{"neural/regression/act=relu*", "neural/regression/act=leaky_relu/arch=2x8x1/lr=1/seed=3", false},
		// The stages under a stage, not the stage itself.
		{"logistic/sgd/*", "logistic/sgd/seed=1", true},
		{"logistic/sgd/*", "logistic/sgd", false},
		{"logistic/sgd", "logistic/sgd", true},
		{"figures/*", "figures/dag", true},
		{"figures/*", "terrain/load", false},
		{"terrain", "terrainx/y", false},
		{"terrain/", "terrain/load", true},
		{"", "terrain/load", false},
		{"[", "terrain/load", false},
	} {
		if got := Match(tc.pat, tc.name); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pat, tc.name, got, tc.want)
		}
	}
}

func TestSelectMatchedSeparatesUpstream(t *testing.T) {
	g := NewGraph()
	for _, s := range []struct {
		name string
		deps []string
	}{{"data/load", nil}, {"fit/a", []string{"data/load"}}, {"fit/b", []string{"data/load"}}, {"figures/x", []string{"fit/a"}}, {"figures/y", []string{"fit/b"}}} {
		g.stages = append(g.stages, &Stage{Name: s.name, Deps: s.deps})
		g.byName[s.name] = g.stages[len(g.stages)-1]
	}
	sel, matched, err := g.SelectMatched([]string{"figures/*"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sel {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, ","), "data/load,fit/a,fit/b,figures/x,figures/y"; got != want {
		t.Errorf("selected %s, want %s", got, want)
	}
	if len(matched) != 2 || !matched["figures/x"] || !matched["figures/y"] {
		t.Errorf("matched %v, want figures/x and figures/y only", matched)
	}
	if _, _, err := g.SelectMatched([]string{"fit/["}); err == nil || !strings.Contains(err.Error(), "bad stage pattern") {
		t.Errorf("a malformed glob: err = %v, want a bad stage pattern", err)
	}
}
