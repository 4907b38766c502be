package plots

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files under testdata/")
	dump   = flag.String("dump", "", "write every test figure as SVG into this directory")
)

// figure is one rendering of the test table.
type figure struct {
	name   string
	render func() ([]byte, error)
	want   []string // texts the SVG must contain (title, axis labels, ...)
}

func rng() *rand.Rand { return rand.New(rand.NewPCG(1, 1)) }

func fixtureBandsPanels(nb, nl int) []Panel {
	r := rng()
	var panels []Panel
	for b := range nb {
		for l := range nl {
			var ss []Series
			for k, name := range []string{"OLS", "Ridge"} {
				n := 40 + 20*k + 10*b
				s := Series{Name: name}
				for i := range n {
					x := float64(i + 1)
					m := 0.02 + 0.5/(x*float64(l+1)) + 0.003*r.Float64()
					sd := 0.1 * m * (1 + r.Float64())
					s.X = append(s.X, x)
					s.Mean = append(s.Mean, m)
					s.Lo = append(s.Lo, m-sd)
					s.Hi = append(s.Hi, m+sd)
					s.Best = append(s.Best, m*0.9)
				}
				ss = append(ss, s)
			}
			panels = append(panels, Panel{
				Title:  fmt.Sprintf("batch %d, lr %g", 8<<b, 0.1/math.Pow(10, float64(l))),
				Series: ss,
				LogY:   l == 1,
			})
		}
	}
	return panels
}

func fixtureHeat(seed uint64, diverge bool) HeatPanel {
	r := rand.New(rand.NewPCG(seed, 2))
	xt := []string{"1e-4", "1e-3", "1e-2", "1e-1"}
	yt := []string{"[2]", "[4]", "[8]", "[4, 4]", "[8, 8]"}
	p := HeatPanel{XTicks: xt, YTicks: yt}
	for y := range yt {
		var m, s []float64
		var d []bool
		for x := range xt {
			m = append(m, 0.003+0.01*r.Float64()+0.002*float64(y))
			s = append(s, 0.0005*r.Float64())
			d = append(d, diverge && x == 3 && y >= 3)
		}
		p.Mean = append(p.Mean, m)
		p.SD = append(p.SD, s)
		p.Diverged = append(p.Diverged, d)
	}
	return p
}

func fixtureTerrain(rows, cols int) []float64 {
	z := make([]float64, rows*cols)
	for r := range rows {
		for c := range cols {
			x, y := float64(c)/float64(cols), float64(r)/float64(rows)
			z[r*cols+c] = 0.5 + 0.3*math.Sin(6*x)*math.Cos(4*y) + 0.2*y
		}
	}
	return z
}

func fixtureRoles(rows, cols, sparsity int) []uint8 {
	role := make([]uint8, rows*cols)
	half := sparsity / 2
	for r := range rows {
		for c := range cols {
			switch {
			case r%sparsity == 0 && c%sparsity == 0:
				role[r*cols+c] = 1
			case r%sparsity == half && c%sparsity == half:
				role[r*cols+c] = 2
			}
		}
	}
	return role
}

func fixtureDigits() ([][]float64, []int) {
	r := rng()
	var imgs [][]float64
	var labels []int
	for d := range 10 {
		img := make([]float64, 64)
		for i := range img {
			row, col := i/8, i%8
			// A crude shape per digit: a ring plus a bar depending on d.
			ring := math.Abs(math.Hypot(float64(row)-3.5, float64(col)-3.5)-2.5) < 0.9
			bar := col == d%8 && row > 0
			if ring || bar {
				img[i] = 10 + 6*r.Float64()
			}
		}
		img[0] = 16 // top-left pixel marks orientation
		imgs = append(imgs, img)
		labels = append(labels, d)
	}
	return imgs, labels
}

func fixtureDAG() ([]string, [][2]int) {
	nodes := []string{"data/terrain", "data/digits", "split/terrain", "split/digits",
		"linear/ols", "linear/ridge", "sgd/linear/* (24)", "neural/regression/* (54)",
		"neural/classification/* (36)", "logistic/* (6)", "figures/F6", "figures/F9",
		"figures/F12", "tables/T2", "report"}
	edges := [][2]int{{0, 2}, {1, 3}, {2, 4}, {2, 5}, {2, 6}, {2, 7}, {3, 8}, {3, 9},
		{6, 10}, {7, 11}, {8, 12}, {4, 13}, {5, 13}, {7, 13}, {10, 14}, {11, 14}, {12, 14}, {13, 14}, {9, 14}}
	return nodes, edges
}

// fixtureBigDAG is a provenance graph of about seventy nodes.
func fixtureBigDAG() ([]string, [][2]int) {
	nodes := []string{"config", "data/terrain", "data/digits", "split/terrain", "split/digits"}
	var edges [][2]int
	edges = append(edges, [2]int{0, 3}, [2]int{0, 4}, [2]int{1, 3}, [2]int{2, 4})
	var fits []int
	for i, name := range []string{"linear/closed-form/* (4)", "sgd/linear/* (48)", "sgd/momentum/* (12)",
		"neural/regression/sigmoid/* (54)", "neural/regression/relu/* (54)", "neural/regression/leaky/* (54)",
		"neural/classification/sigmoid/* (36)", "neural/classification/relu/* (36)", "logistic/sgd/* (6)",
		"logistic/lbfgs (1)", "keras-style/adam/* (10)", "neural/softmax-vs-sigmoid/* (10)", "learning-curve/* (40)"} {
		nodes = append(nodes, name)
		fits = append(fits, len(nodes)-1)
		split := 3
		if i >= 6 && i <= 11 {
			split = 4
		}
		edges = append(edges, [2]int{split, len(nodes) - 1})
	}
	var summaries []int
	for i := range 8 {
		nodes = append(nodes, fmt.Sprintf("select/best-%d", i))
		summaries = append(summaries, len(nodes)-1)
		edges = append(edges, [2]int{fits[i], len(nodes) - 1}, [2]int{fits[(i+3)%len(fits)], len(nodes) - 1})
	}
	var outputs []int
	for i := range 30 {
		kind := "figures/F"
		if i%4 == 3 {
			kind = "tables/T"
		}
		nodes = append(nodes, fmt.Sprintf("%s%d", kind, i+2))
		outputs = append(outputs, len(nodes)-1)
		edges = append(edges, [2]int{summaries[i%len(summaries)], len(nodes) - 1})
		if i%3 == 0 {
			edges = append(edges, [2]int{fits[i%len(fits)], len(nodes) - 1})
		}
		if i%7 == 0 {
			edges = append(edges, [2]int{3 + i%2, len(nodes) - 1})
		}
	}
	nodes = append(nodes, "report/html", "report/check")
	for _, o := range outputs {
		edges = append(edges, [2]int{o, len(nodes) - 2})
	}
	edges = append(edges, [2]int{len(nodes) - 2, len(nodes) - 1}, [2]int{0, len(nodes) - 2})
	return nodes, edges
}

func figures() []figure {
	bandsPanels := fixtureBandsPanels(2, 2)
	heatA, heatB, heatC := fixtureHeat(1, false), fixtureHeat(2, true), fixtureHeat(3, true)
	heatA.Title, heatB.Title, heatC.Title = "sigmoid", "ReLU", "leaky ReLU"
	const rows, cols = 60, 80
	z := fixtureTerrain(rows, cols)
	role := fixtureRoles(rows, cols, 10)
	pred := make([]float64, len(z))
	truth := make([]float64, len(z))
	for i := range z {
		truth[i], pred[i] = math.NaN(), math.NaN()
		if role[i] == 0 {
			truth[i] = z[i]
			pred[i] = z[i] + 0.05*math.Sin(float64(i))
		}
	}
	imgs, labels := fixtureDigits()
	nodes, edges := fixtureDAG()
	steps := make([]float64, 200)
	lr := make([]float64, 200)
	for i := range steps {
		steps[i] = float64(i * 50)
		lr[i] = 0.001 * math.Min(1, steps[i]/200) / (1 + steps[i]*0.0005)
	}
	conf := [][]int{{50, 2, 0}, {1, 45, 4}, {0, 3, 47}}
	curve := []Series{
		{Name: "Ridge", X: []float64{100, 300, 1000, 3000}, Mean: []float64{0.02, 0.012, 0.009, 0.0085},
			Lo: []float64{0.015, 0.010, 0.0085, 0.008}, Hi: []float64{0.025, 0.014, 0.0095, 0.009}},
		{Name: "network", X: []float64{100, 300, 1000, 3000}, Mean: []float64{0.03, 0.01, 0.005, 0.003},
			Lo: []float64{0.02, 0.008, 0.004, 0.0028}, Hi: []float64{0.04, 0.012, 0.006, 0.0032}},
	}
	norms := []Panel{
		{Title: "softmax output", YLabel: "weight value", Series: bandsPanels[0].Series[:1]},
		{Title: "sigmoid output", YLabel: "weight value", Series: bandsPanels[1].Series[:1]},
		{Title: "softmax output", YLabel: "bias value", Series: bandsPanels[2].Series[1:]},
		{Title: "sigmoid output", YLabel: "bias value", Series: bandsPanels[3].Series[1:]},
	}
	terms := []string{"1", "x", "y", "x^2", "xy", "y^2"}
	mkGroup := func(name string, shift float64) BoxGroup {
		r := rand.New(rand.NewPCG(uint64(shift*100), 3))
		g := BoxGroup{Name: name}
		for t := range terms {
			var v []float64
			for range 30 {
				v = append(v, shift*float64(t)-1+r.NormFloat64()*0.3)
			}
			g.Values = append(g.Values, v)
		}
		return g
	}
	return []figure{
		{"schedule", func() ([]byte, error) { return Schedule(steps, lr, "Learning-rate schedule") },
			[]string{"Learning-rate schedule", "step", "learning rate"}},
		{"bands", func() ([]byte, error) {
			return Bands(bandsPanels, BandsOptions{Title: "Validation MSE of SGD", XLabel: "epoch", YLabel: "validation MSE"})
		}, []string{"Validation MSE of SGD", "epoch", "validation MSE", "OLS", "Ridge", "batch 8, lr 0.1"}},
		{"paramnorms", func() ([]byte, error) { return ParamNorms("Output-layer parameters", norms) },
			[]string{"Output-layer parameters", "epoch", "weight value", "bias value"}},
		{"learningcurve", func() ([]byte, error) {
			return LearningCurve(curve, CurveOptions{Title: "Learning curve", YLabel: "test MSE", LogY: true})
		},
			[]string{"Learning curve", "number of training points", "test MSE", "Ridge", "network"}},
		{"heatmap", func() ([]byte, error) {
			return HeatMap(HeatPanel{XTicks: heatA.XTicks, YTicks: heatA.YTicks, Mean: heatA.Mean, SD: heatA.SD, Diverged: heatB.Diverged},
				HeatOptions{Title: "Validation MSE, sigmoid", XLabel: "learning rate", YLabel: "hidden layers", Format: "%.4f", LowerIsBetter: true},
				WithColorLabel("validation MSE"))
		}, []string{"Validation MSE, sigmoid", "learning rate", "hidden layers", "diverged", "validation MSE", "± "}},
		{"heatmaps", func() ([]byte, error) {
			return HeatMaps([]HeatPanel{heatA, heatB, heatC},
				HeatOptions{Title: "Validation MSE by activation", XLabel: "learning rate", YLabel: "hidden layers", Format: "%.4f", LowerIsBetter: true},
				WithLogColor(), WithColorLabel("validation MSE"))
		}, []string{"Validation MSE by activation", "learning rate", "hidden layers", "sigmoid", "leaky ReLU"}},
		{"confusion", func() ([]byte, error) { return Confusion([]string{"0", "1", "2"}, conf, "Confusion matrix") },
			[]string{"Confusion matrix", "predicted class", "true class", "47"}},
		{"terrainsplit", func() ([]byte, error) { return TerrainSplit(rows, cols, z, role) },
			[]string{"Terrain data", "training (48 points)", "validation", "test", "elevation", "x (grid column)", "y (grid row)"}},
		{"terrainmaps", func() ([]byte, error) {
			return TerrainMaps(rows, cols, []MapPanel{{Title: "truth", Z: truth}, {Title: "ReLU network", Z: pred}, {Title: "Ridge", Z: pred}})
		}, []string{"truth", "ReLU network", "Ridge", "elevation"}},
		{"digits", func() ([]byte, error) { return DigitSamples(imgs, labels) },
			[]string{"One sample image per digit class", "digit 0", "digit 9", "pixel intensity"}},
		{"classcounts", func() ([]byte, error) {
			counts := make([][][]int, 2)
			for g := range counts {
				for s := range 3 {
					var cs []int
					for c := range 10 {
						cs = append(cs, []int{100, 20, 60}[s]+g*(c%3)*5-(1-g)*(c%4)*3)
					}
					counts[g] = append(counts[g], cs)
				}
			}
			return ClassCounts([]string{"random split", "per-class split"}, []string{"train", "validation", "test"}, counts)
		}, []string{"Images per class", "random split", "per-class split", "train", "validation", "test", "class (digit)", "number of images"}},
		{"betaboxes", func() ([]byte, error) {
			return BetaBoxes(terms, []BoxGroup{mkGroup("SGD OLS", 0.5), mkGroup("SGD Ridge", 0.3)},
				[]float64{-1, -0.7, -0.4, -0.1, 0.2, 0.5}, "closed-form Ridge")
		}, []string{"Coefficients over runs", "SGD OLS", "SGD Ridge", "closed-form Ridge", "coefficient value", "term", "x^2"}},
		{"dag", func() ([]byte, error) { return DAG(nodes, edges, nil) },
			[]string{"neural/regression/* (54)", "report", "Dependency graph"}},
		{"dagbig", func() ([]byte, error) {
			n, e := fixtureBigDAG()
			return DAG(n, e, nil, WithTitle("Provenance of the report"))
		}, []string{"Provenance of the report", "report/check", "figures/F31"}},
	}
}

// TestFiguresWellFormed renders every figure, parses it as XML and looks for
// its texts.
func TestFiguresWellFormed(t *testing.T) {
	for _, f := range figures() {
		t.Run(f.name, func(t *testing.T) {
			b, err := f.render()
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			texts := svgTexts(t, b)
			joined := strings.Join(texts, "\n")
			for _, w := range f.want {
				if !strings.Contains(joined, w) {
					t.Errorf("SVG has no text containing %q; texts: %q", w, texts)
				}
			}
			if *dump != "" {
				if err := os.WriteFile(filepath.Join(*dump, f.name+".svg"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// svgTexts parses b as XML (failing the test if it is not well-formed SVG)
// and returns the content of its <text> elements.
func svgTexts(t *testing.T, b []byte) []string {
	t.Helper()
	_, texts := svgTextsAt(t, b)
	out := make([]string, len(texts))
	for i, tx := range texts {
		out[i] = tx.text
	}
	return out
}

// TestDeterministic renders every figure twice and compares the bytes.
func TestDeterministic(t *testing.T) {
	for _, f := range figures() {
		a, err := f.render()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		b, err := f.render()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renderings differ (%d and %d bytes)", f.name, len(a), len(b))
		}
	}
}

// TestGolden compares a few figures byte for byte with testdata/*.svg;
// go test ./plots/ -update rewrites them.
func TestGolden(t *testing.T) {
	golden := map[string]bool{"schedule": true, "heatmap": true, "confusion": true}
	for _, f := range figures() {
		if !golden[f.name] {
			continue
		}
		got, err := f.render()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		path := filepath.Join("testdata", f.name+".svg")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./plots/ -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run with -update after checking the figure)", f.name, path)
		}
	}
}

// TestBadInput checks that bad input is an *InputError naming the argument.
func TestBadInput(t *testing.T) {
	ok := []float64{1, 2, 3}
	good := Series{Name: "a", X: ok, Mean: ok}
	heat := fixtureHeat(1, false)
	imgs, labels := fixtureDigits()
	nan := math.NaN()
	cases := []struct {
		name, arg string
		call      func() ([]byte, error)
	}{
		{"schedule empty", "steps", func() ([]byte, error) { return Schedule(nil, nil, "t") }},
		{"schedule length", "lr", func() ([]byte, error) { return Schedule(ok, ok[:2], "t") }},
		{"schedule nan", "lr", func() ([]byte, error) { return Schedule(ok, []float64{1, nan, 2}, "t") }},
		{"bands empty", "panels", func() ([]byte, error) { return Bands(nil, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"}) }},
		{"bands no series", "panels[0].Series", func() ([]byte, error) { return Bands([]Panel{{}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"}) }},
		{"bands mean", "panels[0].Series[1].Mean", func() ([]byte, error) {
			return Bands([]Panel{{Series: []Series{good, {X: ok, Mean: ok[:1]}}}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"})
		}},
		{"bands lo only", "panels[0].Series[0].Lo", func() ([]byte, error) {
			return Bands([]Panel{{Series: []Series{{X: ok, Mean: ok, Lo: ok}}}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"})
		}},
		{"bands hi", "panels[0].Series[0].Hi", func() ([]byte, error) {
			return Bands([]Panel{{Series: []Series{{X: ok, Mean: ok, Lo: ok, Hi: ok[:2]}}}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"})
		}},
		{"bands best", "panels[0].Series[0].Best", func() ([]byte, error) {
			return Bands([]Panel{{Series: []Series{{X: ok, Mean: ok, Best: ok[:2]}}}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"})
		}},
		{"bands x nan", "panels[0].Series[0].X", func() ([]byte, error) {
			return Bands([]Panel{{Series: []Series{{X: []float64{1, nan, 3}, Mean: ok}}}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"})
		}},
		{"bands size", "WithSize", func() ([]byte, error) {
			return Bands([]Panel{{Series: []Series{good}}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"}, WithSize(-1, 3))
		}},
		{"learning curve x<=0", "series[0].X", func() ([]byte, error) {
			return LearningCurve([]Series{{X: []float64{0, 1, 2}, Mean: ok}}, CurveOptions{Title: "t", YLabel: "y"})
		}},
		{"heatmap mean rows", "mean", func() ([]byte, error) {
			return HeatMap(HeatPanel{XTicks: heat.XTicks, YTicks: heat.YTicks, Mean: heat.Mean[:2]}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", LowerIsBetter: true})
		}},
		{"heatmap sd cols", "sd[1]", func() ([]byte, error) {
			sd := append([][]float64{}, heat.SD...)
			sd[1] = sd[1][:1]
			return HeatMap(HeatPanel{XTicks: heat.XTicks, YTicks: heat.YTicks, Mean: heat.Mean, SD: sd}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", LowerIsBetter: true})
		}},
		{"heatmap format", "format", func() ([]byte, error) {
			return HeatMap(HeatPanel{XTicks: heat.XTicks, YTicks: heat.YTicks, Mean: heat.Mean}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", Format: "%d%d", LowerIsBetter: true})
		}},
		{"heatmap xticks", "xticks", func() ([]byte, error) {
			return HeatMap(HeatPanel{YTicks: heat.YTicks, Mean: heat.Mean}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", LowerIsBetter: true})
		}},
		{"heatmaps diverged", "panels[1].Diverged", func() ([]byte, error) {
			b := heat
			b.Diverged = [][]bool{{true}}
			return HeatMaps([]HeatPanel{heat, b}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", LowerIsBetter: true})
		}},
		{"heatmaps level", "panels[1].Level", func() ([]byte, error) {
			b := heat
			b.Level = [][]bool{{true}}
			return HeatMaps([]HeatPanel{heat, b}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", LowerIsBetter: true})
		}},
		{"heatmaps log", "panels[0].Mean[0][0]", func() ([]byte, error) {
			b := fixtureHeat(4, false)
			b.Mean[0][0] = -1
			return HeatMaps([]HeatPanel{b}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", LowerIsBetter: true}, WithLogColor())
		}},
		{"confusion rows", "counts", func() ([]byte, error) { return Confusion([]string{"a", "b"}, [][]int{{1, 2}}, "t") }},
		{"confusion negative", "counts[1][0]", func() ([]byte, error) {
			return Confusion([]string{"a", "b"}, [][]int{{1, 2}, {-1, 2}}, "t")
		}},
		{"terrain z", "z", func() ([]byte, error) { return TerrainSplit(3, 4, make([]float64, 11), make([]uint8, 12)) }},
		{"terrain role", "role", func() ([]byte, error) { return TerrainSplit(3, 4, make([]float64, 12), make([]uint8, 10)) }},
		{"terrain role value", "role[5]", func() ([]byte, error) {
			r := make([]uint8, 12)
			r[5] = 7
			return TerrainSplit(3, 4, fixtureTerrain(3, 4), r)
		}},
		{"terrain rows", "rows", func() ([]byte, error) { return TerrainSplit(0, 4, nil, nil) }},
		{"maps empty", "panels", func() ([]byte, error) { return TerrainMaps(3, 4, nil) }},
		{"maps z", "panels[1].Z", func() ([]byte, error) {
			return TerrainMaps(3, 4, []MapPanel{{Z: make([]float64, 12)}, {Z: make([]float64, 3)}})
		}},
		{"digits count", "labels", func() ([]byte, error) { return DigitSamples(imgs, labels[:3]) }},
		{"digits pixels", "images[2]", func() ([]byte, error) {
			bad := append([][]float64{}, imgs...)
			bad[2] = bad[2][:10]
			return DigitSamples(bad, labels)
		}},
		{"digits empty", "images", func() ([]byte, error) { return DigitSamples(nil, nil) }},
		{"class counts groups", "counts", func() ([]byte, error) {
			return ClassCounts([]string{"a", "b"}, []string{"train"}, [][][]int{{{1, 2}}})
		}},
		{"class counts sets", "counts[0]", func() ([]byte, error) {
			return ClassCounts([]string{"a"}, []string{"train", "test"}, [][][]int{{{1, 2}}})
		}},
		{"class counts classes", "counts[0][1]", func() ([]byte, error) {
			return ClassCounts([]string{"a"}, []string{"train", "test"}, [][][]int{{{1, 2}, {1}}})
		}},
		{"beta reference", "reference", func() ([]byte, error) {
			return BetaBoxes([]string{"1", "x"}, []BoxGroup{{Name: "g", Values: [][]float64{{1}, {2}}}}, []float64{1}, "ref")
		}},
		{"beta values", "groups[0].Values", func() ([]byte, error) {
			return BetaBoxes([]string{"1", "x"}, []BoxGroup{{Name: "g", Values: [][]float64{{1}}}}, nil, "")
		}},
		{"beta terms", "terms", func() ([]byte, error) { return BetaBoxes(nil, []BoxGroup{{Name: "g"}}, nil, "") }},
		{"dag edge", "edges[1]", func() ([]byte, error) { return DAG([]string{"a", "b"}, [][2]int{{0, 1}, {1, 2}}, nil) }},
		{"dag cycle", "edges", func() ([]byte, error) { return DAG([]string{"a", "b"}, [][2]int{{0, 1}, {1, 0}}, nil) }},
		{"dag levels", "levels", func() ([]byte, error) { return DAG([]string{"a", "b"}, nil, []int{0}) }},
		{"dag level order", "edges[0]", func() ([]byte, error) {
			return DAG([]string{"a", "b"}, [][2]int{{0, 1}}, []int{1, 0})
		}},
		{"dag empty", "nodes", func() ([]byte, error) { return DAG(nil, nil, nil) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b []byte
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panicked: %v", r)
					}
				}()
				b, err = c.call()
			}()
			if err == nil {
				t.Fatalf("got %d bytes and no error, want an error naming %q", len(b), c.arg)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %T %v, want *InputError", err, err)
			}
			if ie.Arg != c.arg {
				t.Errorf("error %q names %q, want %q", err, ie.Arg, c.arg)
			}
		})
	}
}

// TestGapsAndDivergence checks that non-finite values become gaps and an
// all-diverged panel renders a note instead of failing.
func TestGapsAndDivergence(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	x := []float64{1, 2, 3, 4, 5}
	p := []Panel{
		{Title: "gap", Series: []Series{{Name: "a", X: x, Mean: []float64{1, nan, 3, 4, inf},
			Lo: []float64{0.5, 1, nan, 3, 4}, Hi: []float64{2, 3, 4, 5, 6}}}},
		{Title: "all diverged", LogY: true, Series: []Series{{Name: "b", X: x, Mean: []float64{nan, inf, nan, inf, -1}}}},
	}
	b, err := Bands(p, BandsOptions{Title: "gaps", XLabel: "epoch", YLabel: "error"}, WithSharedY())
	if err != nil {
		t.Fatal(err)
	}
	if texts := strings.Join(svgTexts(t, b), "\n"); !strings.Contains(texts, "no finite values") {
		t.Errorf("all-diverged panel has no note; texts %q", texts)
	}
}

func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{0.001, 1, []string{"0.001", "0.01", "0.1", "1"}},
		{0.003, 0.02, []string{"0.005", "0.01", "0.02"}},
		{2e-6, 3e-4, []string{"1e-05", "0.0001"}},
	} {
		var got []string
		for _, tk := range (logTicks{}).Ticks(c.lo, c.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("logTicks(%g, %g) labels = %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

// TestEdgeCases renders degenerate but valid inputs: they must give
// well-formed SVG, not an error and not a panic.
func TestEdgeCases(t *testing.T) {
	nan := math.NaN()
	one := []float64{1}
	allDiverged := [][]bool{{true, true}, {true, true}}
	cases := []struct {
		name string
		call func() ([]byte, error)
	}{
		{"schedule one point", func() ([]byte, error) { return Schedule(one, one, "t") }},
		{"bands one point", func() ([]byte, error) {
			return Bands([]Panel{{Series: []Series{{Name: "a", X: one, Mean: one, Lo: one, Hi: one}}}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"})
		}},
		{"bands constant", func() ([]byte, error) {
			return Bands([]Panel{{LogY: true, Series: []Series{{X: []float64{1, 2}, Mean: []float64{3, 3}}}}}, BandsOptions{Title: "t", XLabel: "x", YLabel: "y"})
		}},
		{"heatmap all diverged", func() ([]byte, error) {
			m := [][]float64{{nan, nan}, {nan, nan}}
			return HeatMap(HeatPanel{XTicks: []string{"a", "b"}, YTicks: []string{"c", "d"}, Mean: m, SD: m, Diverged: allDiverged}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", Format: "%.2f", LowerIsBetter: true})
		}},
		{"heatmap one cell", func() ([]byte, error) {
			return HeatMap(HeatPanel{XTicks: []string{"a"}, YTicks: []string{"b"}, Mean: [][]float64{{2}}}, HeatOptions{Title: "t", XLabel: "x", YLabel: "y"})
		}},
		{"confusion zeros", func() ([]byte, error) { return Confusion([]string{"a", "b"}, [][]int{{0, 0}, {0, 0}}, "t") }},
		{"confusion one class", func() ([]byte, error) { return Confusion([]string{"a"}, [][]int{{3}}, "t") }},
		{"terrain one point", func() ([]byte, error) { return TerrainSplit(1, 1, one, []uint8{1}) }},
		{"terrain constant", func() ([]byte, error) { return TerrainSplit(2, 2, []float64{1, 1, 1, nan}, make([]uint8, 4)) }},
		{"maps one panel", func() ([]byte, error) { return TerrainMaps(2, 3, []MapPanel{{Z: []float64{1, 2, 3, nan, 5, 6}}}) }},
		{"digits blank", func() ([]byte, error) { return DigitSamples([][]float64{make([]float64, 4)}, []int{7}) }},
		{"class counts zeros", func() ([]byte, error) { return ClassCounts([]string{"g"}, []string{"s"}, [][][]int{{{0, 0}}}) }},
		{"betaboxes diverged term", func() ([]byte, error) {
			return BetaBoxes([]string{"1", "x"}, []BoxGroup{{Name: "g", Values: [][]float64{{nan}, {1, 2, 3}}}}, nil, "")
		}},
		{"dag single", func() ([]byte, error) { return DAG([]string{"only"}, nil, nil) }},
		{"dag scaled", func() ([]byte, error) {
			n, e := fixtureDAG()
			return DAG(n, e, nil, WithSize(10, 5))
		}},
		{"markup in text", func() ([]byte, error) {
			return Schedule([]float64{1, 2}, []float64{1, 2}, `a < b & "c" > 'd'`)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.call()
			if err != nil {
				t.Fatal(err)
			}
			svgTexts(t, b)
			if *dump != "" {
				name := "edge-" + strings.ReplaceAll(c.name, " ", "-") + ".svg"
				if err := os.WriteFile(filepath.Join(*dump, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestConcurrent renders every figure from several goroutines at once (run
// with -race): the package has no shared mutable state.
func TestConcurrent(t *testing.T) {
	figs := figures()
	want := make([][]byte, len(figs))
	for i, f := range figs {
		b, err := f.render()
		if err != nil {
			t.Fatal(err)
		}
		want[i] = b
	}
	errs := make(chan error, 2*len(figs))
	for range 2 {
		for i, f := range figs {
			go func() {
				b, err := f.render()
				if err == nil && !bytes.Equal(b, want[i]) {
					err = fmt.Errorf("%s: concurrent rendering differs", f.name)
				}
				errs <- err
			}()
		}
	}
	for range 2 * len(figs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
