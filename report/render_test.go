package report

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	katexOnce sync.Once
	katexData *KaTeX
	katexErr  error
)

// loadKaTeX returns the repository's copy of KaTeX (third_party/katex).
func loadKaTeX(t testing.TB) *KaTeX {
	t.Helper()
	katexOnce.Do(func() { katexData, katexErr = LoadKaTeX(os.DirFS("..")) })
	if katexErr != nil {
		t.Fatal(katexErr)
	}
	return katexData
}

// fixture is the golden-test document, with the test layout.
func fixture(t testing.TB) Document {
	return Document{
		Markdown: readFile(t, "testdata/fixture.md"),
		Layout:   readFile(t, "testdata/layout.html"),
		CSS:      []byte("body { font-family: system-ui, sans-serif; }"),
		Title:    "Fixture <report> & co",
		Meta: map[string]string{
			"profile": "quick", "commit": "0123456789abcdef", "date": "2026-01-02T03:04:05Z", "dirty": "false",
		},
		MetaOrder: []string{"commit", "date", "absent"},
		Figures: map[string][]byte{
			"loss":   readFile(t, "testdata/loss.svg"),
			"digits": readFile(t, "testdata/digits.png"),
		},
		TableCSV: map[string]string{"errors": "report/errors.csv"},
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/ -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("%s differs at line %d (rerun with -update if the change is intended):\ngot:  %.300s\nwant: %.300s", path, i+1, g, w)
			}
		}
	}
}

func TestRenderGoldenWithoutKaTeX(t *testing.T) {
	out, warnings, err := Render(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "fixture.tex.golden.html", out)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "KaTeX not available") || !strings.Contains(warnings[0], "npm ci") {
		t.Errorf("warnings = %q, want one about KaTeX not being available", warnings)
	}
	for _, want := range []string{
		`<code class="math math-inline">y = X\beta + \varepsilon</code>`,
		`<code class="math math-inline">a_{1} * b_{2} \\ c</code>`,
		`<code class="math math-inline">|0.97|</code>`,
		`<code class="math math-inline">\vert\beta\vert</code>`,
		`<pre class="math math-display"><code class="math">\hat\beta = \arg\min_\beta`,
		`<code class="math math-display">\hat\beta_\lambda = (X^\top X + \lambda I)^{-1} X^\top y</code>`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s", want)
		}
	}
}

func TestRenderGoldenWithKaTeX(t *testing.T) {
	d := fixture(t)
	d.KaTeX = loadKaTeX(t)
	out, warnings, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q, want none", warnings)
	}
	checkGolden(t, "fixture.katex.golden.html", out)
	if bytes.Contains(out, []byte("$$")) || bytes.Contains(out, []byte(`class="math math-inline"`)) {
		t.Error("output has unrendered math")
	}
	// The TeX reaches KaTeX byte for byte (KaTeX keeps it as an annotation).
	for _, tex := range []string{`a_{1} * b_{2} \\ c`, `\vert\beta\vert`, `|0.97|`, `\sigma^2`} {
		if !bytes.Contains(out, []byte(`<annotation encoding="application/x-tex">`+tex+`</annotation>`)) {
			t.Errorf("no KaTeX annotation for %s", tex)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	d := fixture(t)
	if k, err := LoadKaTeX(os.DirFS("..")); err == nil {
		d.KaTeX = k
	}
	a, _, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two renders of the same document differ")
	}
}

func TestRenderStructure(t *testing.T) {
	out, _, err := Render(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// sections: "#" is the top level, rendered as h2; numbered; unnumbered class
		`<h2 id="introduction"><span class="secnum">1</span> Introduction</h2>`,
		`<h2 id="method"><span class="secnum">2</span> Method</h2>`,
		`<h3 id="data"><span class="secnum">2.1</span> Data</h3>`,
		`<h2 id="results"><span class="secnum">3</span> Results</h2>`,
		`<h2 class="unnumbered" id="references">References</h2>`,
		// cross-references
		`<a class="xref" href="#fig-loss">Figure 1</a>`,
		`<a class="xref" href="#tbl-errors">Table 1</a>`,
		`<a class="xref" href="#method">Section 2</a>`,
		`<a class="xref" href="#fig-digits">Figure 2</a>`,
		`someone@fig:loss`,
		`@Fig:loss`,
		// prices and escapes
		`costs $5 and $6 of compute time, a literal $ stays a dollar`,
		`<code>$not math$</code>`,
		// table
		`<table id="tbl-errors">`,
		`<caption><span class="label">Table 1:</span> Test errors with`,
		`<a class="csv" href="report/errors.csv" download>CSV</a></caption>`,
		`<td style="text-align:right">0.0123 ± 0.0004</td>`,
		// figures
		`<figure id="fig-loss" class="figure wide">`, // 2:1
		`<figure id="fig-digits" class="figure">`,
		`<figcaption><span class="label">Figure 1:</span> Training loss of <strong>SGD</strong> against epochs, compared with <a class="xref" href="#tbl-errors">Table 1</a> <span class="downloads"><a class="download dl-figure" href="data:image/svg+xml;base64,`,
		`download="loss.svg">SVG</a></span></figcaption>`,
		`aria-label="Training loss of SGD against epochs, compared with Table 1"`,
		`<img class="figure-img" src="data:image/png;base64,`,
		`alt="Digits sample" width="8" height="8">`,
		// footnote
		`<li id="fn:1">`,
		// title block
		`<dt>commit</dt><dd>0123456789abcdef</dd><dt>date</dt><dd>2026-01-02T03:04:05Z</dd><dt>dirty</dt><dd>false</dd><dt>profile</dt><dd>quick</dd>`,
		`<title>Fixture &lt;report&gt; &amp; co</title>`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s", want)
		}
	}
	toc := `<nav><ol>
<li><a href="#introduction"><span class="secnum">1</span> Introduction</a></li>
<li><a href="#method"><span class="secnum">2</span> Method</a>
<ol>
<li><a href="#data"><span class="secnum">2.1</span> Data</a></li>
</ol>
</li>
<li><a href="#results"><span class="secnum">3</span> Results</a></li>
<li><a href="#references">References</a></li>
</ol>
</nav>`
	if !bytes.Contains(out, []byte(toc)) {
		t.Errorf("table of contents: want\n%s\nin\n%s", toc, out)
	}
}

func TestRenderTOCTopLevels(t *testing.T) {
	d := Document{Markdown: []byte("### Orphan\n\n## A `x` $y$\n\n### A1\n\n### A2\n\n## B\n\n## C {.unnumbered}\n\n### C1\n"), Layout: []byte("{{.TOC}}")}
	out, _, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `<ol>
<li><a href="#orphan"><span class="secnum">0.1</span> Orphan</a></li>
<li><a href="#a-x-y"><span class="secnum">1</span> A <code>x</code> <code class="math math-inline">y</code></a>
<ol>
<li><a href="#a1"><span class="secnum">1.1</span> A1</a></li>
<li><a href="#a2"><span class="secnum">1.2</span> A2</a></li>
</ol>
</li>
<li><a href="#b"><span class="secnum">2</span> B</a></li>
<li><a href="#c">C</a>
<ol>
<li><a href="#c1">C1</a></li>
</ol>
</li>
</ol>
`
	if string(out) != want {
		t.Errorf("TOC:\n%s\nwant:\n%s", out, want)
	}
}

func TestRenderErrors(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`)
	tests := []struct {
		name, md string
		katex    bool
		want     []string
	}{
		{"unknown figure ref", "See @fig:nope.\n\n![A](fig:a)\n", false, []string{"line 1", "@fig:nope", "figures: a"}},
		{"unknown table ref", "x\n\nSee @tbl:missing here.\n", false, []string{"line 3", "@tbl:missing"}},
		{"unknown section ref", "# A\n\nSee @sec:b.\n", false, []string{"line 3", "@sec:b", `no heading with id "b"`}},
		{"figure not provided", "![Loss](fig:loss)\n\n@fig:loss\n", false, []string{"line 1", "fig:loss is not provided", "Document.Figures has: a"}},
		{"figure not alone", "Text ![Loss](fig:a) text.\n", false, []string{"fig:a must stand alone"}},
		{"figure twice", "![A](fig:a)\n\n![A again](fig:a)\n", false, []string{"line 3", "fig:a is placed twice"}},
		{"external image", "![x](https://example.org/x.png)\n", false, []string{"self-contained", "https://example.org/x.png"}},
		{"caption without table", "Table: lonely {#tbl:t}\n\nText.\n", false, []string{"line 1", "not directly followed by a table"}},
		{"table defined twice", "Table: a {#tbl:t}\n\n|a|\n|-|\n|1|\n\nTable: b {#tbl:t}\n\n|a|\n|-|\n|1|\n", false, []string{"line 7", "tbl:t is defined twice"}},
		{"bad svg", "![B](fig:bad)\n", false, []string{"fig:bad", "malformed SVG"}},
		{"bad tex", "Fine $x$.\n\nBroken $\\frac{1}{$ here.\n", true, []string{"line 3", `math "\\frac{1}{"`, "KaTeX parse error"}},
		{"bad display tex", "$$\n\\begin{matrix} a \\end{pmatrix}\n$$\n", true, []string{"line 1", `\\begin{matrix}`}},
		{"several errors", "@fig:x\n\n@tbl:y\n", false, []string{"line 1: unknown cross-reference @fig:x", "line 3: unknown cross-reference @tbl:y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Document{Markdown: []byte(tt.md), Layout: []byte("{{.Body}}"),
				Figures: map[string][]byte{"a": svg, "bad": []byte("<svg><g></svg>")}}
			if tt.katex {
				d.KaTeX = loadKaTeX(t)
			}
			_, _, err := Render(d)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestRenderWarnings(t *testing.T) {
	svg := []byte(`<svg viewBox="0 0 10 10"><g/></svg>`)
	d := Document{
		Markdown: []byte("![](fig:a)\n\n|a|\n|-|\n|1|\n\nTable: T {#tbl:t}\n\n|b|\n|-|\n|2|\n"),
		Layout:   []byte("{{.Body}}"),
		Figures:  map[string][]byte{"a": svg, "unused": svg},
		TableCSV: map[string]string{"t": "t.csv", "gone": "gone.csv"},
	}
	_, warnings, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`report: Document.Figures["unused"] is not placed in the Markdown (write ![caption](fig:unused))`,
		`report: Document.TableCSV["gone"]: the Markdown has no table {#tbl:gone}`,
		`report: figure fig:a (Figure 1) is never referenced (write @fig:a in the prose)`,
		`report: figure fig:a has no caption (write ![caption](fig:a))`,
		`report: table tbl:t (Table 1) is never referenced (write @tbl:t in the prose)`,
		`report: the table at line 3 has no caption (write "Table: caption {#tbl:name}" above it)`,
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
}

func TestRenderUnclosedMathBlock(t *testing.T) {
	_, warnings, err := Render(Document{Markdown: []byte("Text.\n\n$$\nx = 1\n"), Layout: []byte("{{.Body}}")})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[1], "$$ display math at line 3 is not closed") {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestRenderEmptyLayout(t *testing.T) {
	if _, _, err := Render(Document{Markdown: []byte("x")}); err == nil || !strings.Contains(err.Error(), "Layout is empty") {
		t.Errorf("err = %v, want Layout is empty", err)
	}
}

func TestNoExternalRequests(t *testing.T) {
	d := fixture(t)
	d.Layout = readFile(t, "../templates/layout.html")
	d.CSS = readFile(t, "../templates/style.css")
	variants := []struct {
		name  string
		katex *KaTeX
	}{{"tex source", nil}}
	if k, err := LoadKaTeX(os.DirFS("..")); err == nil {
		variants = append(variants, struct {
			name  string
			katex *KaTeX
		}{"katex", k})
	} else {
		t.Logf("KaTeX not installed (npm ci): checking the TeX-source variant only")
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			d.KaTeX = v.katex
			out, _, err := Render(d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out, []byte(`<a href="https://hastie.su.domains/ElemStatLearn/">`)) {
				t.Error("the fixture's prose link is missing: the test would not exercise the <a href> exception")
			}
			if bad := externalRefs(out); len(bad) > 0 {
				t.Errorf("the page would make requests: %q", bad)
			}
		})
	}
	// The scanner itself finds what it should.
	page := []byte(`<a href="https://ok.example">x</a><img src="https://cdn.example/x.png"><link href="//fonts.example/css"><style>@import "x.css"; a{background:url(http://x/y.png)} b{background:url(data:image/png;base64,AA)}</style><svg><use xlink:href="http://x/s.svg#a"/><rect fill="url(#g)" style="fill:url('https://x/p')"/></svg>`)
	want := []string{"<img src=https://cdn.example/x.png>", "<link href=//fonts.example/css>", "@import", "url(http://x/y.png)", "<use xlink:href=http://x/s.svg#a>", "url(https://x/p)"}
	if got := externalRefs(page); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("externalRefs = %q, want %q", got, want)
	}
}

// Render refuses pages that would fetch something: raw HTML in the
// Markdown, or a layout with a CDN link.
func TestRenderRejectsExternal(t *testing.T) {
	for name, d := range map[string]Document{
		"raw img":     {Markdown: []byte("<img src=\"https://example.org/x.png\">\n"), Layout: []byte("{{.Body}}")},
		"layout link": {Markdown: []byte("x\n"), Layout: []byte(`<link rel="stylesheet" href="https://cdn.example/katex.css">{{.Body}}`)},
		"css import":  {Markdown: []byte("x\n"), Layout: []byte(`<style>{{.CSS}}</style>{{.Body}}`), CSS: []byte(`@import url("https://fonts.example/f.css");`)},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Render(d)
			if err == nil || !strings.Contains(err.Error(), "would fetch from outside") {
				t.Errorf("err = %v, want a refusal", err)
			}
		})
	}
	// A link in the prose is not a request.
	if _, _, err := Render(Document{Markdown: []byte("[site](https://example.org) <https://example.org/b>\n"), Layout: []byte("{{.Body}}")}); err != nil {
		t.Error(err)
	}
}

func TestProjectLayout(t *testing.T) {
	d := fixture(t)
	d.Layout = readFile(t, "../templates/layout.html")
	d.CSS = readFile(t, "../templates/style.css")
	out, _, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<nav class="toc" aria-labelledby="toc-title">`,
		`<h1 class="title">Fixture &lt;report&gt; &amp; co</h1>`,
		`<div><dt>commit</dt><dd>0123456789abcdef</dd></div>`,
		`@media (prefers-color-scheme: dark)`,
		`@media print`,
		`<main id="content" class="content">`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s", want)
		}
	}
	if bytes.Contains(out, []byte("ZgotmplZ")) {
		t.Error("html/template rejected a value (ZgotmplZ)")
	}
}

func TestKaTeXCSSInlined(t *testing.T) {
	k := loadKaTeX(t)
	css, err := inlineKaTeXCSS(k.CSS, k.Fonts)
	if err != nil {
		t.Fatal(err)
	}
	if n, want := strings.Count(css, "url(data:font/woff2;base64,"), strings.Count(string(k.CSS), "@font-face"); n != want || n == 0 {
		t.Errorf("%d woff2 data: URIs for %d @font-face rules", n, want)
	}
	for _, bad := range []string{".woff)", ".ttf)", "format(\"woff\")", "truetype"} {
		if strings.Contains(css, bad) {
			t.Errorf("inlined CSS still has %s", bad)
		}
	}
	fonts := map[string][]byte{}
	for k, v := range k.Fonts {
		if !strings.Contains(k, "Main-Regular") {
			fonts[k] = v
		}
	}
	if _, err := inlineKaTeXCSS(k.CSS, fonts); err == nil || !strings.Contains(err.Error(), "fonts/KaTeX_Main-Regular.woff2") {
		t.Errorf("missing font: err = %v, want one naming fonts/KaTeX_Main-Regular.woff2", err)
	}
}

func TestLoadKaTeXMissing(t *testing.T) {
	_, err := LoadKaTeX(os.DirFS(t.TempDir()))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "third_party/katex") {
		t.Errorf("err = %v, want fs.ErrNotExist naming third_party/katex", err)
	}
}

func BenchmarkRender(b *testing.B) {
	d := fixture(b)
	b.Run("tex-source", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := Render(d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("katex", func(b *testing.B) {
		d.KaTeX = loadKaTeX(b)
		for b.Loop() {
			if _, _, err := Render(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
