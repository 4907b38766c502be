package report

import (
	"strings"
	"testing"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// mathIn parses md and lists its math: "i:TeX" for inline, "d:TeX" for
// $$...$$ inside a paragraph, "b:TeX" for a display block.
func mathIn(md string) []string {
	src := []byte(md)
	st := &state{src: src}
	root := newMarkdown(st).Parser().Parse(text.NewReader(src))
	var got []string
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch v := n.(type) {
		case *mathInline:
			kind := "i:"
			if v.Display {
				kind = "d:"
			}
			got = append(got, kind+string(v.TeX))
		case *mathBlock:
			got = append(got, "b:"+string(v.TeX(src)))
		}
		return ast.WalkContinue, nil
	})
	return got
}

func TestMathParser(t *testing.T) {
	tests := []struct {
		name, md string
		want     []string
	}{
		{"inline", "a $x^2$ b", []string{"i:x^2"}},
		{"two inline", "$a$ and $b$", []string{"i:a", "i:b"}},
		{"backslashes, underscores, stars kept", `$a_{1} * b_{2} \\ c \{ \} \, d*e_f$`, []string{`i:a_{1} * b_{2} \\ c \{ \} \, d*e_f`}},
		{"escaped dollar inside", `$a \$ b$`, []string{`i:a \$ b`}},
		{"escaped dollar outside", `costs \$x$ here`, nil},
		{"escaped opener then math", `\$ and $y$`, []string{"i:y"}},
		{"prices", "costs $5 and $6 today", nil},
		{"price range", "from $5-$10", nil},
		{"price and math", "pay $5 for $x$", []string{"i:x"}},
		{"price then escaped dollar on next line", "costs $6, and \\$\n`$x$` too", nil},
		{"US dollars", "US$5 and US$6", nil},
		{"space after opener", "$ x$", nil},
		{"space before closer", "$x $", nil},
		{"closer followed by digit", "$x$5", nil},
		{"closer followed by punctuation", "($x$), $y$.", []string{"i:x", "i:y"}},
		{"digit opener on one line", "$2x$ and $10^{-3}$", []string{"i:2x", "i:10^{-3}"}},
		{"over a line break", "a $x +\ny$ b", []string{"i:x +\ny"}},
		{"digit opener does not cross lines", "a $5 +\ny$ b", nil},
		{"code span", "`$x$` and ``$$y$$``", nil},
		{"dollar in code inside math wins by position", "$a$ `$b$`", []string{"i:a"}},
		{"unclosed", "a $x b", nil},
		{"empty", "$$ and $", nil},
		{"inline display", "a $$\\sum_i x_i$$ b", []string{`d:\sum_i x_i`}},
		{"inline display with dollar escape", `a $$x \$ y$$ b`, []string{`d:x \$ y`}},
		{"block", "$$\n\\hat\\beta = (X^\\top X)^{-1}\\\\\ny_i\n$$\n", []string{"b:\\hat\\beta = (X^\\top X)^{-1}\\\\\ny_i"}},
		{"block one line", "$$ E = mc^2 $$\n", []string{"b: E = mc^2 "}},
		{"block content before closing fence", "$$\na +\nb $$\n", []string{"b:a +\nb "}},
		{"text after opening fence is a paragraph", "$$ a +\nb $$\n", []string{"d: a +\nb "}},
		{"block indented", "   $$\n   x\n   $$\n", []string{"b:   x"}},
		{"block indented 4 is code", "    $$\n    x\n    $$\n", nil},
		{"block interrupts paragraph", "Text\n$$\nx\n$$\nmore", []string{"b:x"}},
		{"block unclosed", "$$\nx\n", []string{"b:x"}},
		{"block in blockquote", "> $$\n> x_1\n> $$\n", []string{"b:x_1"}},
		{"block in list", "- item\n\n  $$\n  x_2\n  $$\n", []string{"b:x_2"}},
		{"line starting with inline display", "$$x$$ is the energy\n", []string{"d:x"}},
		{"table cell with vert", "| a | b |\n|---|---|\n| $\\vert x \\vert$ | $y_1$ |\n", []string{`i:\vert x \vert`, "i:y_1"}},
		{"table cell with escaped pipe", "| a |\n|---|\n| $\\|x\\|$ |\n", []string{`i:\|x\|`}},
		{"fenced code", "```\n$x$\n$$\ny\n$$\n```\n", nil},
		{"link text", "[$x$](#a)", []string{"i:x"}},
		{"caption", "Table: $\\alpha_1$ {#tbl:t}\n\n|a|\n|-|\n|1|\n", []string{`i:\alpha_1`}},
		{"heading", "## The $L_2$ norm\n", []string{"i:L_2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mathIn(tt.md)
			if strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") {
				t.Errorf("math in %q:\ngot  %q\nwant %q", tt.md, got, tt.want)
			}
		})
	}
}

// In a table cell, \| is a | for the math too (GFM), so $|x|$ can be
// written $\|x\|$ in a table; \vert always works.
func TestMathTableCellPipes(t *testing.T) {
	out, _, err := Render(Document{Markdown: []byte("| a | b |\n|---|---|\n| $\\|x\\|$ | $\\vert y \\vert$ |\n\nOutside: $\\|z\\|$\n"), Layout: []byte("{{.Body}}")})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<code class="math math-inline">|x|</code>`, `<code class="math math-inline">\vert y \vert</code>`, `<code class="math math-inline">\|z\|</code>`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

func TestMathKaTeX(t *testing.T) {
	d := Document{Markdown: []byte("Inline $x_1 * y_2$ and\n\n$$\n\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}\n$$\n"), Layout: []byte("{{.Body}}"), KaTeX: loadKaTeX(t)}
	out, warnings, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	s := string(out)
	for _, want := range []string{
		`<annotation encoding="application/x-tex">x_1 * y_2</annotation>`,
		"<annotation encoding=\"application/x-tex\">\\begin{aligned} a &amp;= b \\\\ c &amp;= d \\end{aligned}</annotation>",
		`<div class="math math-display"><span class="katex-display">`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	// KaTeX's strict-mode complaints are warnings, not errors.
	d.Markdown = []byte("$é$ and $x$\n")
	_, warnings, err = Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `math "é": KaTeX:`) {
		t.Errorf("warnings = %q, want one KaTeX strict-mode warning naming the expression", warnings)
	}
}

// What KaTeX made of an expression is kept for the next Render (a live
// preview renders on every save): the second render is the same bytes,
// warnings and errors as the first, and the same as with an empty cache.
func TestMathKaTeXCache(t *testing.T) {
	k := loadKaTeX(t)
	d := Document{Markdown: []byte("$é$, $x^2$ and\n\n$$\n\\frac{a}{b}\n$$\n\nthen $\\nocommand{x}$\n"), Layout: []byte("{{.Body}}"), KaTeX: k}
	type result struct {
		out      string
		warnings string
		err      string
	}
	render := func() result {
		out, warnings, err := Render(d)
		if err == nil {
			t.Fatal("no error for \\nocommand")
		}
		return result{string(out), strings.Join(warnings, "\n"), err.Error()}
	}
	first := render()
	if !strings.Contains(first.err, `line 7: math "\\nocommand{x}"`) || !strings.Contains(first.warnings, `math "é": KaTeX:`) {
		t.Fatalf("first render: error %q, warnings %q", first.err, first.warnings)
	}
	if again := render(); again != first {
		t.Errorf("a render from the cache differs:\n%+v\nwant\n%+v", again, first)
	}
	katexCache.mu.Lock()
	katexCache.results, katexCache.idle = map[mathKey]mathResult{}, nil
	katexCache.mu.Unlock()
	if fresh := render(); fresh != first {
		t.Errorf("a render with an empty cache differs:\n%+v\nwant\n%+v", fresh, first)
	}
	d.Markdown = []byte("$x^2$\n")
	out, _, err := Render(d)
	if err != nil || !strings.Contains(string(out), `<annotation encoding="application/x-tex">x^2</annotation>`) {
		t.Errorf("after an error, a good document: err %v", err)
	}
}
