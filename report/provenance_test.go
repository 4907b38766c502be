package report

import (
	"regexp"
	"strings"
	"testing"
)

// provFixture marks numbers in prose, a table cell, a figure caption and
// inline math.
func provFixture(t *testing.T) Document {
	md := "# Results\n\nThe error is " + Mark("n1", "0.0123 ± 0.0004") + " over " + Mark("n2", "5") + " seeds, at $\\gamma_0 = " + Mark("n3", "0.3") + "$ (@fig:loss, @tbl:errors).\n\n" +
		"Table: Errors {#tbl:errors}\n\n| model | MSE |\n|---|---:|\n| OLS | " + Mark("n4", "0.0456") + " |\n\n" +
		"![Loss over " + Mark("n5", "20") + " epochs](fig:loss)\n"
	return Document{
		Markdown: []byte(md), Layout: readFile(t, "testdata/layout.html"), Title: "Provenance",
		Figures: map[string][]byte{"loss": readFile(t, "testdata/loss.svg")},
		Provenance: map[string]string{"n1": "stage a\nfield B", "n2": "params <seeds>", "n3": "stage c", "n4": "stage d", "n5": "stage e",
			"fig:loss": "stage figures/loss\noutput 0123"},
	}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

func TestRenderProvenanceMarks(t *testing.T) {
	for _, katex := range []bool{false, true} {
		d := provFixture(t)
		if katex {
			d.KaTeX = loadKaTeX(t)
		}
		out, _, err := Render(d)
		if err != nil {
			t.Fatal(err)
		}
		page := string(out)
		if strings.ContainsAny(page, "\uE000\uE001\uE002") {
			t.Errorf("katex %v: a mark is left in the page", katex)
		}
		for _, want := range []string{
			`<span class="num" data-prov="n1" tabindex="0" title="stage a&#10;field B">0.0123 ± 0.0004</span>`,
			`<span class="num" data-prov="n2" tabindex="0" title="params &lt;seeds&gt;">5</span>`,
			`<td style="text-align:right"><span class="num" data-prov="n4" tabindex="0" title="stage d">0.0456</span></td>`,
			`<figcaption><span class="label">Figure 1:</span> Loss over <span class="num" data-prov="n5" tabindex="0" title="stage e">20</span> epochs`,
			`download="loss.svg" data-prov="fig:loss" title="stage figures/loss&#10;output 0123">SVG</a>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("katex %v: page lacks %s", katex, want)
			}
		}
		// The figure's SVG repeats the caption, without marks or spans.
		if !strings.Contains(page, `aria-label="Loss over 20 epochs"`) || !strings.Contains(page, `<title>Loss over 20 epochs</title>`) {
			t.Errorf("katex %v: the SVG's label and title are not the plain caption", katex)
		}
		if katex {
			if !strings.Contains(page, `<span class="num" data-prov="n3" tabindex="0" title="stage c"><span class="katex">`) {
				t.Errorf("the rendered math is not wrapped in its number's span")
			}
			if !strings.Contains(page, `<annotation encoding="application/x-tex">\gamma_0 = 0.3</annotation>`) {
				t.Errorf("KaTeX did not get the TeX without marks")
			}
		} else if !strings.Contains(page, `<code class="math math-inline">\gamma_0 = <span class="num" data-prov="n3" tabindex="0" title="stage c">0.3</span></code>`) {
			t.Errorf("the TeX source lacks its number's span")
		}
		// The visible text is the text without marks.
		plain, _ := StripMarks(string(d.Markdown))
		for _, s := range []string{"0.0123 ± 0.0004", "0.0456", "Loss over 20 epochs"} {
			if !strings.Contains(plain, s) || !strings.Contains(tagRE.ReplaceAllString(page, ""), s) {
				t.Errorf("katex %v: visible text lacks %q", katex, s)
			}
		}
	}
}

func TestStripMarks(t *testing.T) {
	s, ids := StripMarks("a " + Mark("x1", "1.5") + " b " + Mark("fig:y", "2") + ".")
	if s != "a 1.5 b 2." || strings.Join(ids, ",") != "x1,fig:y" {
		t.Errorf("StripMarks = %q, %q", s, ids)
	}
	if s, ids := StripMarks("plain"); s != "plain" || ids != nil {
		t.Errorf("StripMarks(plain) = %q, %q", s, ids)
	}
}

// Without marks, the page is what it was (the golden files check the rest).
func TestRenderWithoutMarksUnchanged(t *testing.T) {
	d := fixture(t)
	a, _, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	d.Provenance = map[string]string{"n1": "unused"}
	b, _, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("a provenance map with no marks changed the page")
	}
}
