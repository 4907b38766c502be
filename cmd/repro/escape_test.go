package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/repro-dev/repro/pipeline"
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
		if got := termText(c.in); got != c.want {
			t.Errorf("termText(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := termText(termText(c.in)); got != termText(c.in) {
			t.Errorf("termText is not idempotent on %q: %q", c.in, got)
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
			md := strings.Replace(wrap, "%s", mdText(in), 1)
			html := renderMD(t, md)
			for _, bad := range []string{"<a ", "<img", "<h1", "<li", "<blockquote", "<strong", "<em", "<del", "<code", "\x1b"} {
				if strings.Contains(html, bad) {
					t.Errorf("mdText(%q) renders %s:\n%s", in, bad, html)
				}
			}
			if wrap != "%s" && strings.Count(html, "<td>") != 2 {
				t.Errorf("mdText(%q) splits a table cell:\n%s", in, html)
			}
		}
		if strings.Contains(mdText(in), "\n") {
			t.Errorf("mdText(%q) holds a newline", in)
		}
	}
	// And in a code span, in a table.
	html := renderMD(t, "| a | b |\n|--|--|\n| "+mdCode("x|y`<img src=x>\n![i](u)")+" | z |")
	if strings.Count(html, "<td>") != 2 || strings.Contains(html, "<img") {
		t.Errorf("mdCode: %s", html)
	}
}

// A hostile lock and parameter file, end to end: a stage name that tries
// to forge an annotation and clear the screen, a parameter value with a
// link and an image, a metric named like a workflow command. The text diff
// holds no line that GitHub Actions reads as a command and no escape
// character; the Markdown diff renders no link, image or raw HTML.
func TestDiffHostileTextEscaped(t *testing.T) {
	h := pipeline.HashBytes([]byte("x"))
	evil := "fit\n::error file=repro.lock,line=1::forged\x1b[2J"
	param := json.RawMessage(`{"title": "[win](https://evil.example) ![p](https://evil.example/p.png) <img src=x>"}`)
	a := lockOf(nil, map[string]*pipeline.LockStage{evil: {Key: h, Params: json.RawMessage(`{"title": "ok"}`), Outputs: map[string]string{"value": h},
		Metrics: map[string]float64{"::warning::m": 1}}})
	b := lockOf(nil, map[string]*pipeline.LockStage{evil: {Key: pipeline.HashBytes([]byte("y")), Params: param, Outputs: map[string]string{"value": h},
		Metrics: map[string]float64{"::warning::m": 2}}})
	a.Toolchain = "go1\n::error::tool"
	d := pipeline.DiffLocks(a, b)
	d.A.Label, d.B.Label = "A\x1b]0;title\x07", "B"
	d.SetTrust(map[string]string{"store.remote": `""`}, map[string]string{"store.remote": `"file:///x\n::error::y"`})
	for _, out := range []string{diffText(d), diffTextWith(termSafeDiff(d), func(w io.Writer) { printDiffGroups(w, groupDiff(termSafeDiff(d), true), true) })} {
		if strings.ContainsAny(out, "\x1b\x07\r") {
			t.Errorf("text diff holds a control character:\n%q", out)
		}
		for _, line := range strings.Split(out, "\n") {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "::") || strings.HasPrefix(l, "##[") {
				t.Errorf("text diff line reads as a workflow command: %q", line)
			}
		}
		if !strings.Contains(out, "TRUST CHANGED: store.remote") {
			t.Errorf("no trust line:\n%s", out)
		}
	}
	html := renderMD(t, diffMarkdown(d))
	for _, bad := range []string{"<a ", "<img", "\x1b"} {
		if strings.Contains(html, bad) {
			t.Errorf("Markdown diff renders %q:\n%s", bad, html)
		}
	}
	if !strings.Contains(html, "Trust changed") {
		t.Errorf("no trust warning in the Markdown:\n%s", html)
	}
}

// A change of the store settings (which results are trusted) is read from
// both sides' parameter files, at their revisions, the profile's file over
// params.yaml, and is a diff line of its own.
func TestDiffTrust(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, dir, "init", "-q")
	write("params.yaml", "seeds: 2\nstore:\n  remote: \"\"\n  remote_mode: readwrite\n  trusted_keys: []\n")
	write("params.quick.yaml", "seeds: 1\n")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "a")
	a := gitIn(t, dir, "rev-parse", "HEAD")
	write("params.yaml", "seeds: 2\nstore:\n  remote: \"\"\n  remote_mode: readwrite\n  trusted_keys: [\"repro-ed25519:evil:AAAA\"]\n")
	write("params.quick.yaml", "seeds: 1\nstore: {remote: \"file:///tmp/x\"}\n")
	gitIn(t, dir, "commit", "-q", "-am", "b")
	b := gitIn(t, dir, "rev-parse", "HEAD")
	write("params.quick.yaml", "seeds: 1\nstore: [\n")

	d := pipeline.DiffLocks(lockOf(nil, nil), lockOf(nil, nil))
	d.SetTrust(diffTrust(dir, &diffSide{commit: a}, "quick"), diffTrust(dir, &diffSide{commit: b}, "quick"))
	want := []string{`store.remote: "" -> "file:///tmp/x"`, `store.trusted_keys: [] -> ["repro-ed25519:evil:AAAA"]`}
	if strings.Join(d.Trust, "|") != strings.Join(want, "|") {
		t.Errorf("trust changes %q, want %q", d.Trust, want)
	}
	if d.Empty() || !strings.Contains(diffText(d), "TRUST CHANGED: store.trusted_keys: [] -> [\"repro-ed25519:evil:AAAA\"]") || strings.Contains(diffText(d), "no differences") {
		t.Errorf("a trust change alone is not shown:\n%s", diffText(d))
	}
	d.SetTrust(diffTrust(dir, &diffSide{commit: b}, "default"), diffTrust(dir, &diffSide{commit: b}, "default"))
	if len(d.Trust) != 0 || !d.Empty() {
		t.Errorf("no change: %q", d.Trust)
	}
	// The working tree's profile file does not parse: a change of its own.
	d.SetTrust(diffTrust(dir, &diffSide{commit: b}, "quick"), diffTrust(dir, &diffSide{}, "quick"))
	if !strings.Contains(strings.Join(d.Trust, "|"), "(params.quick.yaml): (unset) -> unreadable") {
		t.Errorf("an unreadable parameter file: %q", d.Trust)
	}
}

// FuzzEscape: whatever a lock or a parameter file holds, termText gives one
// line with no control character that a terminal acts on and no workflow
// command prefix, and mdText renders (GFM) to no link, image or raw HTML,
// on one line, in one table cell.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"::error::x", "a\nb", "\x1b[2J", "[x](u)", "![i](u)", "<img>", "www.x.y", "https://x", "a|b", "##[error]", "\u202e", "\xff", " ::x", "1. x", "&lt;"} {
		f.Add(s)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	f.Fuzz(func(t *testing.T, s string) {
		tt := termText(s)
		for _, r := range tt {
			if hidden(r) {
				t.Fatalf("termText(%q) = %q holds %U", s, tt, r)
			}
		}
		if l := strings.TrimLeft(tt, " \t"); strings.HasPrefix(l, "::") || strings.HasPrefix(l, "##[") {
			t.Fatalf("termText(%q) = %q starts a workflow command", s, tt)
		}
		m := mdText(s)
		if strings.ContainsAny(m, "\n\r") {
			t.Fatalf("mdText(%q) = %q holds a newline", s, m)
		}
		var b bytes.Buffer
		if err := md.Convert([]byte("| a | b |\n|--|--|\n| "+m+" | x |\n"), &b); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		for _, bad := range []string{"<a ", "<img", "<script", "<h1"} {
			if strings.Contains(html, bad) {
				t.Fatalf("mdText(%q) = %q renders %s:\n%s", s, m, bad, html)
			}
		}
		if strings.Count(html, "<td>") != 2 {
			t.Fatalf("mdText(%q) = %q splits the cell:\n%s", s, m, html)
		}
	})
}
