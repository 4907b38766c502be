package project

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Text from a lock or a parameter file cannot forge a GitHub Actions
// workflow command, move the cursor or hide itself on a terminal.
func TestTermText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"neural/x", "neural/x"},
		{"naïve λ", "naïve λ"},
		{"::error file=repro.lock::forged", `\x3a:error file=repro.lock::forged`},
		{"  ::add-mask::x", `  \x3a:add-mask::x`},
		{"##[error]forged", `\x23#[error]forged`},
		{"a\n::error::forged", `a\n::error::forged`},
		{"a\r\nb", `a\r\nb`},
		{"\x1b[2J\x1b[1;1Hclean", `\x1b[2J\x1b[1;1Hclean`},
		{"\u009b2J", `\u009b2J`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"x\u200by", `x\u200by`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"tab\there", `tab\there`},
		{"a::b", "a::b"},
	} {
		if got := TermText(c.in); got != c.want {
			t.Errorf("TermText(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := TermText(TermText(c.in)); got != TermText(c.in) {
			t.Errorf("TermText is not idempotent on %q: %q", c.in, got)
		}
	}
}

func renderMD(t *testing.T, md string) string {
	t.Helper()
	var b bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Links, images, raw HTML, autolinks and mentions in text from a lock or
// a parameter file are inert in the job summary: rendered, they are the
// text they were, and no element.
func TestMDTextInert(t *testing.T) {
	for _, in := range []string{
		"[click here](https://evil.example/)",
		"![tracker](https://evil.example/p.png)",
		"<img src=x onerror=alert(1)>",
		"<https://evil.example>",
		"https://evil.example/x",
		"www.evil.example",
		"mail me: a@evil.example",
		"[ref]\n\n[ref]: https://evil.example",
		"# heading",
		"- item",
		"1. item",
		"> quote",
		"*bold* _it_ ~~gone~~ `code` $x$ &lt;",
		"cell | split",
		"x\x1b[31m red",
	} {
		for _, wrap := range []string{"%s", "| a | b |\n|--|--|\n| %s | x |"} {
			md := strings.Replace(wrap, "%s", MDText(in), 1)
			html := renderMD(t, md)
			for _, bad := range []string{"<a ", "<img", "<h1", "<li", "<blockquote", "<strong", "<em", "<del", "<code", "\x1b"} {
				if strings.Contains(html, bad) {
					t.Errorf("MDText(%q) renders %s:\n%s", in, bad, html)
				}
			}
			if wrap != "%s" && strings.Count(html, "<td>") != 2 {
				t.Errorf("MDText(%q) splits a table cell:\n%s", in, html)
			}
		}
		if strings.Contains(MDText(in), "\n") {
			t.Errorf("MDText(%q) holds a newline", in)
		}
	}
	// And in a code span, in a table.
	html := renderMD(t, "| a | b |\n|--|--|\n| "+MDCode("x|y`<img src=x>\n![i](u)")+" | z |")
	if strings.Count(html, "<td>") != 2 || strings.Contains(html, "<img") {
		t.Errorf("MDCode: %s", html)
	}
}

// FuzzEscape: whatever a lock or a parameter file holds, TermText gives one
// line with no control character that a terminal acts on and no workflow
// command prefix, and MDText renders (GFM) to no link, image or raw HTML,
// on one line, in one table cell.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"::error::x", "a\nb", "\x1b[2J", "[x](u)", "![i](u)", "<img>", "www.x.y", "https://x", "a|b", "##[error]", "\u202e", "\xff", " ::x", "1. x", "&lt;"} {
		f.Add(s)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	f.Fuzz(func(t *testing.T, s string) {
		tt := TermText(s)
		for _, r := range tt {
			if hidden(r) {
				t.Fatalf("TermText(%q) = %q holds %U", s, tt, r)
			}
		}
		if l := strings.TrimLeft(tt, " \t"); strings.HasPrefix(l, "::") || strings.HasPrefix(l, "##[") {
			t.Fatalf("TermText(%q) = %q starts a workflow command", s, tt)
		}
		m := MDText(s)
		if strings.ContainsAny(m, "\n\r") {
			t.Fatalf("MDText(%q) = %q holds a newline", s, m)
		}
		var b bytes.Buffer
		if err := md.Convert([]byte("| a | b |\n|--|--|\n| "+m+" | x |\n"), &b); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		for _, bad := range []string{"<a ", "<img", "<script", "<h1"} {
			if strings.Contains(html, bad) {
				t.Fatalf("MDText(%q) = %q renders %s:\n%s", s, m, bad, html)
			}
		}
		if strings.Count(html, "<td>") != 2 {
			t.Fatalf("MDText(%q) = %q splits the cell:\n%s", s, m, html)
		}
	})
}
