package revdiff

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// num is a number's span as report.Render writes it.
func num(ids, text string) string {
	return `<span class="num" data-prov="` + ids + `" tabindex="0" title="how ` + ids + `">` + text + `</span>`
}

type entry struct{ id, text, tmpl, table, row, col string }

func provJSON(t *testing.T, es ...entry) []byte {
	t.Helper()
	var out []map[string]string
	for _, e := range es {
		m := map[string]string{"id": e.id, "kind": "number", "text": e.text, "template": e.tmpl}
		if e.table != "" {
			m["table"], m["row"], m["column"] = e.table, e.row, e.col
		}
		out = append(out, m)
	}
	out = append(out, map[string]string{"id": "fig:x", "kind": "figure", "text": "x"})
	b, err := json.Marshal(map[string]any{"profile": "quick", "entries": out})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Two small reports of the same template. B has one more number early on
// (so every later id is shifted by one: ids are positional), a changed
// number in the prose, a table whose row label and cell changed, an
// expression with a changed number, and a sentence whose action was
// rewritten (matched by its place in its section).
func twoReports(t *testing.T) (pageA, provA, pageB, provB []byte) {
	t.Helper()
	const head = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<title>report</title>\n</head>\n<body class=\"report\">\n"
	pageA = []byte(head + `<h2 id="abstract">Abstract</h2>
<p>We trained ` + num("n1", "8") + ` models; the best test MSE is ` + num("n2", "0.0446") + `.</p>
<h2 id="results">Results</h2>
<table><tr><td>λ = ` + num("n3", "0.0010") + `</td><td>` + num("n4", "0.0446") + `</td><td>` + num("n5", "36") + `</td></tr></table>
<p>Fit: ` + num("n6 n7", `<span class="katex">R<sup>2</sup> = 0.91, n = 36</span>`) + `.</p>
<p>The run took ` + num("n8", "12") + ` s.</p>
</body>
</html>
`)
	provA = provJSON(t,
		entry{"n1", "8", "templates/report.md:3 {{.Models}}", "", "", ""},
		entry{"n2", "0.0446", "templates/report.md:3 {{sig .Best 3}}", "", "", ""},
		entry{"n3", "0.0010", `templates/report.md:7 {{table "curve"}}`, "curve", "0.0010", "λ"},
		entry{"n4", "0.0446", `templates/report.md:7 {{table "curve"}}`, "curve", "0.0010", "test MSE"},
		entry{"n5", "36", `templates/report.md:7 {{table "curve"}}`, "curve", "0.0010", "n"},
		entry{"n6", "0.91", "templates/report.md:9 {{.FitTeX}}", "", "", ""},
		entry{"n7", "36", "templates/report.md:9 {{.FitTeX}}", "", "", ""},
		entry{"n8", "12", "templates/report.md:11 {{.Seconds}}", "", "", ""},
	)
	pageB = []byte(head + `<h2 id="abstract">Abstract</h2>
<p>Over ` + num("n1", "2") + ` seeds we trained ` + num("n2", "8") + ` models; the best test MSE is ` + num("n3", "0.0345") + `.</p>
<h2 id="results">Results</h2>
<table><tr><td>λ = ` + num("n4", "0.10") + `</td><td>` + num("n5", "0.0345") + `</td><td>` + num("n6", "36") + `</td></tr></table>
<p>Fit: ` + num("n7 n8", `<span class="katex">R<sup>2</sup> = 0.93, n = 36</span>`) + `.</p>
<p>The run took ` + num("n9", "14") + ` s &amp; more.</p>
</body>
</html>
`)
	provB = provJSON(t,
		entry{"n1", "2", "templates/report.md:3 {{.Seeds}}", "", "", ""},
		entry{"n2", "8", "templates/report.md:4 {{.Models}}", "", "", ""},
		entry{"n3", "0.0345", "templates/report.md:4 {{sig .Best 3}}", "", "", ""},
		entry{"n4", "0.10", `templates/report.md:8 {{table "curve"}}`, "curve", "0.10", "λ"},
		entry{"n5", "0.0345", `templates/report.md:8 {{table "curve"}}`, "curve", "0.10", "test MSE"},
		entry{"n6", "36", `templates/report.md:8 {{table "curve"}}`, "curve", "0.10", "n"},
		entry{"n7", "0.93", "templates/report.md:10 {{.FitTeX}}", "", "", ""},
		entry{"n8", "36", "templates/report.md:10 {{.FitTeX}}", "", "", ""},
		entry{"n9", "14", "templates/report.md:12 {{printf \"%.0f\" .Elapsed}}", "", "", ""},
	)
	return
}

func TestCompareNumbers(t *testing.T) {
	pageA, provA, pageB, provB := twoReports(t)
	n, err := CompareNumbers(pageA, provA, pageB, provB)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range n.Changed {
		got = append(got, c.ID+":"+c.A+"->"+c.B+"@"+c.Section)
	}
	want := "n3:0.0446->0.0345@abstract n4:0.0010->0.10@results n5:0.0446->0.0345@results n7:0.91->0.93@results n9:12->14@results"
	if strings.Join(got, " ") != want {
		t.Errorf("changed numbers\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if n.Unchanged != 3 || strings.Join(n.New, ",") != "n1" || n.Removed != 0 {
		t.Errorf("unchanged %d, new %v, removed %d; want 3, [n1], 0", n.Unchanged, n.New, n.Removed)
	}
	if l := n.Legend(); l != "5 numbers of the report changed from A, 3 unchanged, 1 new in B" {
		t.Errorf("legend %q", l)
	}
	if w := n.Changed[1].Where; w != "table curve, row 0.10, column λ" {
		t.Errorf("where %q", w)
	}
	// Matched by id (positional), every number after the new one would
	// pair with its predecessor: n2 "8" with A's n2 "0.0446".
	for _, c := range n.Changed {
		if c.ID == "n2" {
			t.Errorf("n2 (8 in both) matched by id: %+v", c)
		}
	}
	// Same report on both sides: nothing changed.
	if n, err := CompareNumbers(pageB, provB, pageB, provB); err != nil || len(n.Changed) != 0 || len(n.New) != 0 || n.Unchanged != 9 {
		t.Errorf("a report against itself: %+v, %v", n, err)
	}
	if _, err := CompareNumbers(pageA, []byte("{"), pageB, provB); err == nil || !strings.Contains(err.Error(), "report of A: tables/provenance.json") {
		t.Errorf("bad provenance of A: %v", err)
	}
}

// The marked report of B: golden file (go test -run MarkReport -update).
func TestMarkReportGolden(t *testing.T) {
	pageA, provA, pageB, provB := twoReports(t)
	n, err := CompareNumbers(pageA, provA, pageB, provB)
	if err != nil {
		t.Fatal(err)
	}
	got := MarkReport(pageB, n, "HEAD~1 (aaaaaaa)", "HEAD <bbbbbbb>")
	golden(t, "marked-report.golden.html", got)
	s := string(got)
	for _, w := range []string{
		`<del class="repro-was" title="A: 0.0446">0.0446</del> <span class="num repro-changed" data-prov="n3" tabindex="0" title="how n3"><ins>0.0345</ins></span>`,
		`<del class="repro-was" title="A: 0.91">0.91</del> <span class="num repro-changed repro-math" data-prov="n7 n8"`,
		`5 numbers of the report changed from A, 3 unchanged, 1 new in B`,
		`HEAD &lt;bbbbbbb&gt;`,
		`<span class="num repro-new" data-prov="n1"`,
		num("n2", "8"), num("n6", "36"),
	} {
		if !strings.Contains(s, w) {
			t.Errorf("the marked report lacks %s", w)
		}
	}
	if strings.Count(s, "<del ") != 5 || strings.Count(s, "<ins>") != 4+1 { // 4 plain numbers and the legend's
		t.Errorf("%d <del>, %d <ins>", strings.Count(s, "<del "), strings.Count(s, "<ins>"))
	}
	if !strings.Contains(s, `<body class="report"><div class="repro-diff-legend"`) || !strings.Contains(s, `<style id="repro-diff">`) {
		t.Errorf("legend or style not in place")
	}
	// Nothing changed: the page is B's, with the legend and style only.
	same := MarkReport(pageB, &Numbers{Unchanged: 9}, "a", "b")
	if stripped := bytes.Replace(same, []byte(markedStyle), nil, 1); !bytes.Contains(stripped, []byte(num("n3", "0.0345"))) || bytes.Contains(same, []byte("<del ")) {
		t.Errorf("no change: marks were added")
	}
}

// The page of --html: summary first, then figures, the marked report and
// the stages last, folded; a report of A without provenance.json is said
// so, and the page falls back to the figures alone.
func TestWriteHTMLLayout(t *testing.T) {
	pageA, provA, pageB, provB := twoReports(t)
	st, err := pipeline.OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) string {
		h, err := st.Put(b)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	svgA, svgB := put([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><title>a</title></svg>`)), put([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><title>b</title></svg>`))
	stage := func(page, prov string, key string, m float64) *pipeline.LockStage {
		out := map[string]string{"report.html": page, "value": "v" + key}
		if prov != "" {
			out["tables/provenance.json"] = prov
		}
		return &pipeline.LockStage{Key: key, Func: "f", Code: "c", Params: json.RawMessage(`{}`), Outputs: out, Metrics: map[string]float64{"fit.mse": m}}
	}
	many := func(l *pipeline.Lock, key string) *pipeline.Lock {
		for i := range 300 {
			name := "grid/point=" + string(rune('a'+i/26)) + string(rune('a'+i%26))
			l.Stages[name] = &pipeline.LockStage{Key: key + name, Func: "g", Code: "c", Params: json.RawMessage(`{}`), Outputs: map[string]string{"value": key}}
		}
		return l
	}
	lockA := many(lockOf(nil, map[string]*pipeline.LockStage{
		"report":      stage(put(pageA), put(provA), "ka", 0.0446),
		"figures/fit": {Key: "f1", Func: "p", Code: "c", Params: json.RawMessage(`{}`), Outputs: map[string]string{"figure.svg": svgA}},
	}), "a")
	lockB := many(lockOf(nil, map[string]*pipeline.LockStage{
		"report":      stage(put(pageB), put(provB), "kb", 0.0345),
		"figures/fit": {Key: "f2", Func: "p", Code: "c", Params: json.RawMessage(`{}`), Outputs: map[string]string{"figure.svg": svgB}},
	}), "b")
	a := &Side{Label: "A1", Lock: lockA}
	b := &Side{Label: "working tree", Lock: lockB}
	d := pipeline.DiffLocks(lockA, lockB)
	d.A.Label, d.B.Label = a.Label, b.Label
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteHTML(context.Background(), io.Discard, dir, d, st, t.TempDir(), "quick", a, b); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	order := []string{`<h2 id="summary">`, "5 numbers of the report changed from A", `<h3 id="metrics">`, "<code>fit.mse</code>",
		`<h2 id="figures">`, `<img src="data:image/svg`, `<h2 id="report">`, `<iframe class="report" src="report.html"`,
		`<h2 id="stages">`, "<details><summary>302 stages changed", "<code>grid/point=aa</code>", "</details>"}
	at := 0
	for _, w := range order {
		i := strings.Index(s[at:], w)
		if i < 0 {
			t.Fatalf("index.html lacks %q after byte %d (or has it out of order):\n%s", w, at, s)
		}
		at += i + len(w)
	}
	if i, j := strings.Index(s, "<details><summary>302 stages"), strings.Index(s, "<code>grid/point=aa</code>"); i > j {
		t.Errorf("the stage table is not folded")
	}
	marked, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !bytes.Contains(marked, []byte("<ins>0.0345</ins>")) {
		t.Errorf("report.html not written or not marked: %v", err)
	}

	// A's report predates provenance: said so, no marked report.
	delete(lockA.Stages["report"].Outputs, "tables/provenance.json")
	if err := WriteHTML(context.Background(), io.Discard, dir, d, st, t.TempDir(), "quick", a, b); err != nil {
		t.Fatal(err)
	}
	page, _ = os.ReadFile(filepath.Join(dir, "index.html"))
	if s := string(page); !strings.Contains(s, "predates the provenance marks of its numbers") || strings.Contains(s, "<iframe") || !strings.Contains(s, `<img src="data:image/svg`) {
		t.Errorf("a report of A without provenance:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err == nil {
		t.Errorf("a stale report.html was left beside the page")
	}
}
