package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// FuzzRender: any Markdown renders without panicking, and the same input
// gives the same bytes.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"## A\n\n$x$ and $$y$$\n\n$$\nz\n$$\n",
		"Table: c {#tbl:t}\n|a|b|\n|-|-:|\n|$\\|x\\|$|1|\n\n@tbl:t @fig:f @sec:a\n",
		"![cap $x$ @tbl:t](fig:f)\n\n[^1]\n\n[^1]: note $y$\n",
		"costs $5 and $6, \\$7\n`$x$`\n> $$\n> a\n",
		"# A {.unnumbered}\n### B\n## C\n",
	} {
		f.Add(s)
	}
	svg := []byte(`<svg viewBox="0 0 1 1"><g id="a"/></svg>`)
	f.Fuzz(func(t *testing.T, md string) {
		d := Document{Markdown: []byte(md), Layout: []byte("{{.TOC}}{{.Body}}"), Figures: map[string][]byte{"f": svg}}
		a, _, errA := Render(d)
		b, _, errB := Render(d)
		if (errA == nil) != (errB == nil) || !bytes.Equal(a, b) {
			t.Fatalf("two renders differ")
		}
	})
}

// FuzzMathParser: the parsed TeX of inline math is the source between its
// dollars, byte for byte (except the indentation of continuation lines,
// which goldmark strips from paragraphs and TeX ignores).
var dedent = regexp.MustCompile(`\n[ \t\r]*`)

func FuzzMathParser(f *testing.F) {
	for _, s := range []string{"$a_1 * b \\\\ c$", "$$x$$", "a $x\ny$ b", "$5 and $6", "| $\\vert x$ |\n|-|\n", "$$\na\n$$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, md string) {
		for _, m := range mathIn(md) {
			tex := m[2:]
			if m[0] == 'b' {
				continue
			}
			if !strings.Contains(dedent.ReplaceAllString(md, "\n"), tex) {
				t.Fatalf("math %q is not in the source %q", tex, md)
			}
		}
	})
}

// FuzzInlineSVG: any bytes are either rejected or give one <svg> element.
func FuzzInlineSVG(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><svg width="10pt" height="5pt"><g id="a" clip-path="url(#a)"/></svg>`))
	f.Add([]byte(`<svg viewBox="0 0 1 1"><![CDATA[x]]><!-- c --><a href="#a"/></svg>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, err := figureMedia("fig-x", data, "alt")
		if err != nil {
			return
		}
		if strings.HasPrefix(out, "<svg") && !strings.HasSuffix(out, "</svg>") {
			t.Fatalf("inlined SVG does not end with </svg>: %q", out)
		}
	})
}
