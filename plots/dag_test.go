package plots

import (
	"fmt"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// fixturePipelineDAG is the default profile's pipeline as the report's
// figure shows it (stages.dagOf: grid points grouped into families),
// refinement steps and placements included: eight layers, up to fourteen
// families in one.
func fixturePipelineDAG() ([]string, [][2]int) {
	nodes := []string{
		"terrain/load",
		"terrain/split",
		"terrain/scale",
		"terrain/design",
		"digits/load",
		"digits/split",
		"digits/scale",
		"linear/ols",
		"linear/ridge",
		"linear/sgd/* (80)",
		"linear/sgd-momentum/* (15)",
		"linear/sgd/summary",
		"linear/betas/ols",
		"linear/betas/ridge",
		"neural/regression/* (185)",
		"neural/regression/refine/* (60)",
		"neural/regression/tune/* (4)",
		"neural/regression/init-check/*",
		"terrain/placement/* (4)",
		"linear/placement/* (4)",
		"neural/regression/placement/* (8)",
		"neural/classification/* (180)",
		"neural/classification/refine/* (80)",
		"neural/classification/tune",
		"logistic/sgd/* (5)",
		"logistic/sgd",
		"logistic/lbfgs",
		"baseline/keras-style/* (5)",
		"baseline/keras-style",
		"baseline/keras-style-long/* (5)",
		"baseline/keras-style-long",
		"digits/raw",
		"baseline/keras-style-raw/* (5)",
		"baseline/keras-style-raw",
		"learning-curve/* (3)",
		"figures/schedule",
		"figures/terrain-split",
		"figures/digit-samples",
		"figures/class-counts",
		"figures/sgd-grid",
		"figures/sgd-momentum",
		"figures/sgd-betas",
		"figures/nn-terrain-heat",
		"figures/nn-terrain-curves",
		"figures/terrain-predictions",
		"figures/nn-digits-heat-sigmoid",
		"figures/nn-digits-heat-relu",
		"figures/confusion",
		"figures/digits-curves",
		"figures/output-layer",
		"figures/learning-curve",
	}
	edges := [][2]int{{0, 1}, {0, 2}, {1, 2}, {2, 3}, {4, 5}, {4, 6}, {5, 6}, {3, 7}, {2, 7}, {3, 8}, {2, 8}, {3, 9}, {3, 10}, {3, 11}, {2, 11}, {9, 11}, {10, 11}, {3, 12}, {3, 13}, {2, 14}, {2, 15}, {14, 15}, {2, 16}, {14, 16}, {15, 16}, {2, 17}, {16, 17}, {0, 18}, {1, 18}, {18, 19}, {8, 19}, {11, 19}, {18, 20}, {16, 20}, {6, 21}, {6, 22}, {21, 22}, {6, 23}, {21, 23}, {22, 23}, {6, 24}, {24, 25}, {6, 26}, {6, 27}, {27, 28}, {6, 29}, {29, 30}, {4, 31}, {5, 31}, {31, 32}, {32, 33}, {0, 34}, {16, 34}, {0, 36}, {1, 36}, {4, 37}, {5, 38}, {11, 39}, {11, 40}, {12, 41}, {13, 41}, {3, 41}, {16, 42}, {16, 43}, {11, 43}, {8, 43}, {16, 44}, {2, 44}, {8, 44}, {23, 45}, {23, 46}, {23, 47}, {23, 48}, {25, 48}, {28, 48}, {23, 49}, {34, 50}}
	return nodes, edges
}

// fixtureWideLayers is a synthetic graph of nlayer layers of perLayer
// families each, with long names, every family reading two of the layer
// before.
func fixtureWideLayers(nlayer, perLayer int) ([]string, [][2]int) {
	var nodes []string
	var edges [][2]int
	for l := range nlayer {
		for k := range perLayer {
			nodes = append(nodes, fmt.Sprintf("stage-%d/family-%d/refine/placement/* (%d)", l, k, 10*l+k+100))
			if l > 0 {
				i := len(nodes) - 1
				edges = append(edges, [2]int{i - perLayer, i}, [2]int{i - perLayer - k + (k+1)%perLayer, i})
			}
		}
	}
	return nodes, edges
}

// TestDAGFitsTheColumn: the pipeline's DAG, and graphs of many long-named
// families per layer, fit the report's wide column (dagMaxW units, shown
// at no less than a pixel per unit) with labels of 9 units, every label
// drawn whole over its lines.
func TestDAGFitsTheColumn(t *testing.T) {
	pn, pe := fixturePipelineDAG()
	cases := []struct {
		name  string
		nodes []string
		edges [][2]int
	}{
		{"default pipeline", pn, pe},
	}
	for _, nl := range []int{6, 8, 10} {
		n, e := fixtureWideLayers(nl, 12)
		cases = append(cases, struct {
			name  string
			nodes []string
			edges [][2]int
		}{fmt.Sprintf("%d layers of 12", nl), n, e})
	}
	for _, c := range cases {
		b, err := DAG(c.nodes, c.edges, nil, WithTitle("The pipeline's stages (grid points grouped)"))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkLegible(t, c.name, b)
		width, texts := svgTextsAt(t, b)
		if width > dagMaxW+0.01 {
			t.Errorf("%s: DAG is %.1f units wide, want at most %d", c.name, width, dagMaxW)
		}
		t.Logf("%s: %.0f units wide, labels in at most %d lines", c.name, width, maxLines(fitDAG(c.nodes, c.edges, mustLevels(t, len(c.nodes), c.edges), dagMaxW)))
		var drawn []string
		for _, tx := range texts {
			drawn = append(drawn, tx.text)
		}
		all := strings.Join(drawn, "")
		lay := fitDAG(c.nodes, c.edges, mustLevels(t, len(c.nodes), c.edges), dagMaxW)
		for i, name := range c.nodes {
			lines := lay.lines[i]
			if got := strings.Join(lines, ""); strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(name, " ", "") {
				t.Errorf("%s: label %q drawn as %q", c.name, name, lines)
			}
			for _, l := range lines {
				if !strings.Contains(all, l) {
					t.Errorf("%s: line %q of %q not in the SVG", c.name, l, name)
				}
			}
		}
	}
}

// TestDAGKeepsShortLabelsWhole: a graph that fits on one line per label
// keeps them so (breaking is only for graphs too wide otherwise).
func TestDAGKeepsShortLabelsWhole(t *testing.T) {
	nodes, edges := fixtureBigDAG()
	lay := layoutDAG(nodes, edges, mustLevels(t, len(nodes), edges), dagMinGapX)
	if lay.w+2*margin > dagMaxW {
		t.Skip("the fixture does not fit on one line")
	}
	fit := fitDAG(nodes, edges, mustLevels(t, len(nodes), edges), dagMaxW)
	for i, l := range fit.lines {
		if len(l) != 1 {
			t.Errorf("%q broken into %q", nodes[i], l)
		}
	}
}

func TestWrapLabel(t *testing.T) {
	sty := textStyle(dagFont)
	name := "neural/classification/refine/* (80)"
	for _, tc := range []struct {
		wrap vg.Length
		want []string
	}{
		{0, []string{name}},
		{sty.Width(name), []string{name}},
		{sty.Width("classification/refine/* (80)"), []string{"neural/", "classification/refine/* (80)"}},
		{sty.Width("refine/* (80)"), []string{"neural/", "classification/", "refine/* (80)"}},
		{1, []string{"neural/", "classification/", "refine/", "*", "(80)"}},
	} {
		got := wrapLabel(sty, name, tc.wrap)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap at %.1f: %q, want %q", tc.wrap, got, tc.want)
		}
	}
}

func maxLines(lay *dagLayout) int {
	n := 0
	for _, l := range lay.lines {
		n = max(n, len(l))
	}
	return n
}
