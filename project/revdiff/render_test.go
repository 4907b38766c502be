package revdiff

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/repro-dev/repro/pipeline"
)

// The rendering of lock diffs (diffrender.go), on the fixtures of package
// pipeline's diff tests.

// lockOf builds a lock from stages; metrics and outputs as given.
func lockOf(decls map[string]string, stages map[string]*pipeline.LockStage) *pipeline.Lock {
	return &pipeline.Lock{Version: 1, Profile: "quick", Toolchain: "go1.26.8 linux/amd64", Declarations: decls, Stages: stages}
}

func twoLocks() (*pipeline.Lock, *pipeline.Lock) {
	a := lockOf(map[string]string{
		"github.com/repro-dev/repro/stages.gridSplit": "1111", "github.com/repro-dev/repro/stages.split": "2222", "github.com/repro-dev/repro/models.Sigmoid": "3333", "github.com/repro-dev/repro/plots.Gone": "4444",
	}, map[string]*pipeline.LockStage{
		"load": {Key: "k1", Func: "github.com/repro-dev/repro/stages.load", Code: "c1", Params: json.RawMessage(`{}`),
			Files: map[string]string{"data/x.csv": "f1"}, Outputs: map[string]string{"value": "o1"}},
		"split": {Key: "k2", Func: "github.com/repro-dev/repro/stages.split", Code: "c2", Params: json.RawMessage(`{"x_sparsity": 10, "seed": 1}`),
			Inputs: map[string]string{"load": "o1"}, Outputs: map[string]string{"value": "o2"}, Metrics: map[string]float64{"n.train": 100}},
		"fit": {Key: "k3", Func: "github.com/repro-dev/repro/stages.fit", Code: "c3", Params: json.RawMessage(`{"lr": 0.1}`),
			Inputs: map[string]string{"split": "o2"}, Outputs: map[string]string{"value": "o3"},
			Metrics: map[string]float64{"fit.mse": 0.5, "fit.r2": 0.8, "fit.zero": 0, "fit.same": 7, "fit.gone": 1}},
		"figures/fit": {Key: "k4", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Inputs: map[string]string{"fit": "o3"}, Outputs: map[string]string{"figure.svg": "s1", "value": "v1"}},
		"figures/same": {Key: "k5", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Outputs: map[string]string{"figure.svg": "s2"}},
		"old": {Key: "k6", Func: "github.com/repro-dev/repro/stages.old", Code: "c6", Outputs: map[string]string{"value": "o6"}},
	})
	b := lockOf(map[string]string{
		"github.com/repro-dev/repro/stages.gridSplit": "1112", "github.com/repro-dev/repro/stages.split": "2222", "github.com/repro-dev/repro/models.Sigmoid": "3333", "github.com/repro-dev/repro/stages.newHelper": "5555",
	}, map[string]*pipeline.LockStage{
		"load": {Key: "k1", Func: "github.com/repro-dev/repro/stages.load", Code: "c1", Params: json.RawMessage(`{}`),
			Files: map[string]string{"data/x.csv": "f1"}, Outputs: map[string]string{"value": "o1"}},
		"split": {Key: "k2b", Func: "github.com/repro-dev/repro/stages.split", Code: "c2b", Params: json.RawMessage(`{"seed":1,"x_sparsity":20}`),
			Inputs: map[string]string{"load": "o1"}, Outputs: map[string]string{"value": "o2b"}, Metrics: map[string]float64{"n.train": 25}},
		"fit": {Key: "k3b", Func: "github.com/repro-dev/repro/stages.fit", Code: "c3", Params: json.RawMessage(`{"lr": 0.1}`),
			Inputs: map[string]string{"split": "o2b"}, Outputs: map[string]string{"value": "o3b"},
			Metrics: map[string]float64{"fit.mse": 0.55, "fit.r2": 0.7, "fit.zero": 0.01, "fit.same": 7, "fit.new": 3}},
		"figures/fit": {Key: "k4b", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Inputs: map[string]string{"fit": "o3b"}, Outputs: map[string]string{"figure.svg": "s1b", "value": "v1b"}},
		"figures/same": {Key: "k5", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Outputs: map[string]string{"figure.svg": "s2"}},
		"figures/new": {Key: "k7", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Outputs: map[string]string{"figure.png": "p7"}},
	})
	return a, b
}

func TestDiffRulesRendered(t *testing.T) {
	a, b := twoLocks()
	d := pipeline.DiffLocks(a, b)
	var rules []pipeline.MetricRule
	for _, e := range []string{"fit.* > +5%", "fit.r2 < -0.05", "fit.same >= 0", "n.train < -50%", "nothing.* < 0"} {
		r, err := pipeline.ParseMetricRule(e)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	d.Check(rules) // what it finds is tested in package pipeline; here, how it reads
	if txt := Text(d); !strings.Contains(txt, "rules: 5 violations") || !strings.Contains(txt, "FAIL fit.r2 < -0.05: fit.r2 changed -0.1 (-12.5%) (0.8 -> 0.7)") {
		t.Errorf("text lacks the violations:\n%s", Text(d))
	}
	if md := Markdown(d); !strings.Contains(md, "❌ **5 rule violations**") || !strings.Contains(md, "- `fit.r2 < -0.05`: `fit.r2` changed -0.1 (-12.5%) (0.8 → 0.7)") {
		t.Errorf("Markdown lacks the violations:\n%s", md)
	}
	d.Check(rules[2:3])
	if !strings.Contains(Text(d), "rules: 1 violation\n") {
		t.Errorf("one violation:\n%s", Text(d))
	}
	d.Check(nil)
	if strings.Contains(Text(d), "rules:") || strings.Contains(Markdown(d), "rule") {
		t.Error("no rules, yet the output mentions rules")
	}
}

// mdTables parses Markdown with GFM and returns its tables as rows of cells.
func mdTables(t *testing.T, md string) [][][]string {
	t.Helper()
	src := []byte(md)
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	var tables [][][]string
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if tb, ok := n.(*east.Table); ok && entering {
			var rows [][]string
			for r := tb.FirstChild(); r != nil; r = r.NextSibling() {
				var cells []string
				for c := r.FirstChild(); c != nil; c = c.NextSibling() {
					cells = append(cells, nodeText(c, src))
				}
				rows = append(rows, cells)
			}
			tables = append(tables, rows)
		}
		return ast.WalkContinue, nil
	})
	return tables
}

func nodeText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch x := n.(type) {
		case *ast.Text:
			b.Write(x.Segment.Value(src))
		case *ast.String:
			b.Write(x.Value)
		}
		return ast.WalkContinue, nil
	})
	// The renderer drops the backslash of an escaped punctuation character.
	return mdUnescape.ReplaceAllString(b.String(), "$1")
}

var mdUnescape = regexp.MustCompile("\\\\([!-/:-@\\[-`{-~])")

func TestDiffMarkdownTables(t *testing.T) {
	a, b := twoLocks()
	d := pipeline.DiffLocks(a, b)
	d.A.Label, d.B.Label = "HEAD~1 (abc1234)", "HEAD (def5678)"
	md := Markdown(d)
	tables := mdTables(t, md)
	if len(tables) < 2 {
		t.Fatalf("Markdown parses into %d tables, want metrics and stages:\n%s", len(tables), md)
	}
	metrics := tables[0]
	if strings.Join(metrics[0], "|") != "metric|A|B|change|relative|noise" {
		t.Errorf("metrics header %q", metrics[0])
	}
	if len(metrics) != 1+len(d.Metrics) {
		t.Errorf("metrics table has %d rows, want %d", len(metrics)-1, len(d.Metrics))
	}
	if r := metrics[1]; strings.Join(r, "|") != "fit.zero|0|0.01|+0.01|n/a (A = 0)|-" {
		t.Errorf("first metric row %q", r)
	}
	stages := tables[1]
	if strings.Join(stages[0], "|") != "stage|why" || len(stages) != 1+2+1 {
		t.Errorf("stages table %q", stages)
	}
	found := false
	for _, r := range stages {
		if r[0] == "split" && strings.Contains(r[1], "params: x_sparsity 10 -> 20") && strings.Contains(r[1], "stages.gridSplit") {
			found = true
		}
	}
	if !found {
		t.Errorf("stages table lacks split's reasons: %q", stages)
	}
	for _, want := range []string{"1 metric unchanged", "`figures/fit/figure.svg`", "figures/new/figure.png` (new)", `HEAD\~1 (abc1234)`} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// A cell holding a pipe stays one cell.
	x := lockOf(nil, map[string]*pipeline.LockStage{"s": {Key: "k", Params: json.RawMessage(`{"a":"x|y"}`)}})
	y := lockOf(nil, map[string]*pipeline.LockStage{"s": {Key: "k2", Params: json.RawMessage(`{"a":"x|z"}`)}})
	tb := mdTables(t, Markdown(pipeline.DiffLocks(x, y)))
	if len(tb) != 1 || len(tb[0][1]) != 2 || !strings.Contains(tb[0][1][1], `"x|y" -> "x|z"`) {
		t.Errorf("pipe in a cell: %q", tb)
	}
}

func TestDiffMarkdownFoldsDownstream(t *testing.T) {
	a := lockOf(nil, map[string]*pipeline.LockStage{"root": {Key: "k", Params: json.RawMessage(`{"a":1}`), Outputs: map[string]string{"value": "r"}}})
	b := lockOf(nil, map[string]*pipeline.LockStage{"root": {Key: "k2", Params: json.RawMessage(`{"a":2}`), Outputs: map[string]string{"value": "r2"}}})
	for _, n := range []string{"d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"} {
		a.Stages[n] = &pipeline.LockStage{Key: n, Inputs: map[string]string{"root": "r"}}
		b.Stages[n] = &pipeline.LockStage{Key: n + "b", Inputs: map[string]string{"root": "r2"}}
	}
	md := Markdown(pipeline.DiffLocks(a, b))
	if !strings.Contains(md, "<details><summary>9 stages changed only because an input changed</summary>") {
		t.Errorf("no fold:\n%s", md)
	}
	if n := len(mdTables(t, md)); n != 2 {
		t.Errorf("%d tables, want 2 (own reasons, folded downstream)", n)
	}
}

func TestDiffEmptyRendered(t *testing.T) {
	a, _ := twoLocks()
	d := pipeline.DiffLocks(a, a)
	if !d.Empty() || !strings.Contains(Text(d), "no differences") || !strings.Contains(Markdown(d), "No differences") {
		t.Errorf("a lock against itself:\n%s", Text(d))
	}
}
