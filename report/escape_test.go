package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileStrings are strings a parameter may hold that mean something in
// Markdown or HTML.
var hostileStrings = []string{
	"<script>alert(1)</script>",
	// Mark's private-use characters: a lone close once became </span>, and
	// a whole mark would forge a number's provenance.
	"\ue002",
	"a \ue000forged\ue0010.5\ue002 b",
	"<img src=x onerror=alert(1)>",
	"a`<script>alert(1)</script>`b",
	"``<b>two</b>``",
	"`",
	" <i>padded</i> ",
	"[click](javascript:alert(1))",
	"<https://example.org/x>",
	"*emphasis* __strong__ ~~struck~~",
	"$x^2$ and $$y$$ cost $5",
	"@fig:dag and @tbl:linear",
	"{#id .class}",
	"&amp; &lt;b&gt; &#60;i&#62;",
	"back\\slash \\<b>",
	"line\nbreak <u>x</u>",
	"| pipe | table |",
	"<!-- comment --> -->",
	"<details open><summary>s</summary>",
}

// TestTextAndCodeRenderLiterally: a hostile string through Text (running
// text, a table cell) or Code (a code span) renders as its own characters,
// HTML-escaped: no tag, link, math, cross-reference or entity comes from it.
func TestTextAndCodeRenderLiterally(t *testing.T) {
	layout := []byte("{{.Body}}")
	for _, s := range hostileStrings {
		want := escapeHTML(shownText(strings.ReplaceAll(s, "\n", " ")))
		for _, form := range []struct {
			name string
			md   string
			wrap func(string) string // what the rendered HTML holds around the string
		}{
			{"text", "Before " + Text(s) + " after.\n", func(x string) string { return "<p>Before " + x + " after.</p>" }},
			{"code", "Before " + Code(s) + " after.\n", func(x string) string { return "<code>" + x + "</code>" }},
			{"table cell", Table{Header: []string{"a", "b"}, Rows: [][]string{{Text(s), Code(s)}}, Align: []string{"l", "l"}}.Markdown(), func(x string) string {
				// A cell's text is trimmed.
				return `<td style="text-align:left">` + strings.TrimSpace(x) + "</td>\n" + `<td style="text-align:left"><code>` + x + "</code></td>"
			}},
		} {
			out, _, err := Render(Document{Markdown: []byte(form.md), Layout: layout})
			if err != nil {
				t.Errorf("%s of %q: %v", form.name, s, err)
				continue
			}
			html := string(out)
			if !strings.Contains(html, form.wrap(want)) {
				t.Errorf("%s of %q:\nMarkdown %q\nrendered %s\nwant it to hold %s", form.name, s, form.md, html, form.wrap(want))
			}
			for _, bad := range []string{"<script", "<img", "<i>", "<b>", "<u>", "<a ", "<em>", "<strong>", "<del>", "<details", "<!--", "katex", `class="math`, `class="xref`} {
				if strings.Contains(html, bad) {
					t.Errorf("%s of %q: %q in %s", form.name, s, bad, html)
				}
			}
		}
	}
}

// escapeHTML is what goldmark writes for text: &, <, > and " escaped.
// shownText is s as Text and Code show it: the characters of Mark's
// number marks as U+FFFD, so that no outside string can open, close or
// forge a provenance span.
func shownText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == markOpen || r == markStart || r == markClose {
			return utf8.RuneError
		}
		return r
	}, s)
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func TestFence(t *testing.T) {
	for s, want := range map[string]string{
		"a: 1\n":                "```",
		"a: ```\n":              "````",
		"```\n<script>\n":       "````",
		"   `````x\n":           "``````",
		"title: \"````\"\nb: 1": "`````",
	} {
		if got := Fence(s); got != want {
			t.Errorf("Fence(%q) = %q, want %q", s, got, want)
		}
	}
	// A block fenced so holds its text, escaped, whatever the text is.
	for _, s := range hostileStrings {
		body := s + "\n```\n" + s + "\n"
		md := Fence(body) + "yaml\n" + Verbatim(body) + Fence(body) + "\n"
		out, _, err := Render(Document{Markdown: []byte(md), Layout: []byte("{{.Body}}")})
		if err != nil {
			t.Fatal(err)
		}
		if want := escapeHTML(shownText(body)); !strings.Contains(string(out), want) {
			t.Errorf("fenced %q rendered %s", s, out)
		}
	}
}

// FuzzTextAndCode: whatever the string, Text and Code render it as its own
// characters, escaped, and nothing else: no tag, link, math or entity comes
// from it.
func FuzzTextAndCode(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) || strings.TrimSpace(s) != s || s == "" {
			return // Markdown normalises these; a parameter in the report is one line
		}
		shown := shownText(s)
		for _, tc := range []struct{ md, want string }{
			{"x " + Text(s) + " y\n", "<p>x " + escapeHTML(shown) + " y</p>\n"},
			{"x " + Code(s) + " y\n", "<p>x <code>" + escapeHTML(shown) + "</code> y</p>\n"},
		} {
			out, _, err := Render(Document{Markdown: []byte(tc.md), Layout: []byte("{{.Body}}")})
			if err != nil {
				t.Fatalf("%q: %v", tc.md, err)
			}
			if string(out) != tc.want {
				t.Fatalf("%q rendered\n%s\nwant\n%s", tc.md, out, tc.want)
			}
		}
	})
}
