package report

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestExternalRefs(t *testing.T) {
	for _, c := range []struct {
		page string
		want []string // nil: nothing
	}{
		{`<img src="data:image/png;base64,AAAA"><a href="#x">x</a>`, nil},
		{`<a href="https://ok.example">a link is allowed</a>`, nil},
		{`<img src=x.png><img src="./a/b.svg">`, nil}, // relative: beside the file, not outside
		{`<IMG SRC="HTTPS://x/a.png">`, []string{"<img src=HTTPS://x/a.png>"}},
		{`<img src='//x/a.png'>`, []string{"<img src=//x/a.png>"}},
		{`<img src=http://x/a.png>`, []string{"<img src=http://x/a.png>"}},
		{`<img src="  http://x/a.png">`, []string{"<img src=http://x/a.png>"}},
		// What the browser's tokenizer and URL parser make of it.
		{`<img src="&#104;ttps://x/a.png">`, []string{"<img src=https://x/a.png>"}},
		{`<img src="&Tab;//x/a.png">`, []string{"<img src=//x/a.png>"}},
		{"<img src=\"ht\ttps://x/a.png\">", []string{"<img src=ht\ttps://x/a.png>"}},
		{`<img src="\\x\a.png">`, []string{`<img src=\\x\a.png>`}},
		{`<img src="/\x/a.png">`, []string{`<img src=/\x/a.png>`}},
		{`<a title="x"href="//x">ok</a><img alt="x"src="//x/a.png">`, []string{"<img src=//x/a.png>"}},
		{`<img srcset="a.png 1x, https://x/b.png 2x">`, []string{"<img srcset=a.png 1x, https://x/b.png 2x>"}},
		{`<a ping="/a https://x/p">x</a>`, []string{"<a ping=/a https://x/p>"}},
		{`<video poster=//x/p.jpg></video><form action="https://x"><button formaction="http://y">`, []string{"<video poster=//x/p.jpg>", "<form action=https://x>", "<button formaction=http://y>"}},
		{`<link rel=stylesheet href=https://cdn/x.css>`, []string{"<link href=https://cdn/x.css>"}},
		{`<script src="https://cdn/x.js"></script>`, []string{"<script src=https://cdn/x.js>"}},
		{`<iframe src="wss://x"></iframe>`, []string{"<iframe src=wss://x>"}},
		// CSS, in attributes and in <style>.
		{`<div style="background:URL( 'http://x/a.png' )">`, []string{"url(http://x/a.png)"}},
		{`<rect fill="url(#g)" style="fill:url(&quot;#h&quot;)"/>`, nil},
		{`<div style="x:url(&#104;ttp://x)">`, []string{"url(http://x)"}},
		{`<style>a{b:url(data:font/woff2;base64,d09GMgAB)} c{d:url("#e")}</style>`, nil},
		{`<STYLE type="text/css">@IMPORT "x.css";</Style>`, []string{"@import"}},
		{`<style>a{background:url(x.png)}</style>`, []string{"url(x.png)"}},
		{`<style>a{b:c}`, nil},
		{`<style>a{background:url(//x/y)}`, []string{"url(//x/y)"}}, // never closed: CSS to the end
		// <style> is raw text: a tag in it is not a tag.
		{`<style>/* <img src="http://x"> */</style>`, nil},
		// Not tags.
		{`a < b src=http://x and <3 <!-- --> </img src=http://x> <!-- <img src=//x> -->`, nil},
		{`<img src="http://x`, nil}, // cut off: the browser drops the tag
		{`<!-- <img src="http://x"> --><textarea><img src="http://x"></textarea><title><img src=//x></title>`, nil},
		{`<svg><style>.a{fill:url(http://x/p)}</style><image href="http://x/i.png"/></svg>`, []string{"url(http://x/p)", "<image href=http://x/i.png>"}},
		{`<img`, nil},
		{`<img src=`, nil},
	} {
		got := externalRefs([]byte(c.page))
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("externalRefs(%q)\n got %q\nwant %q", c.page, got, c.want)
		}
	}
}

// BenchmarkExternalRefs scans a page like the report's: inlined fonts,
// figures with thousands of SVG elements, tables and math.
func BenchmarkExternalRefs(b *testing.B) {
	page := benchPage(b)
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if bad := externalRefs(page); len(bad) > 0 {
			b.Fatal(bad)
		}
	}
}

func benchPage(tb testing.TB) []byte {
	var p bytes.Buffer
	p.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><style>`)
	if k, err := LoadKaTeX(os.DirFS("..")); err == nil {
		css, err := inlineKaTeXCSS(k.CSS, k.Fonts)
		if err != nil {
			tb.Fatal(err)
		}
		p.WriteString(css)
	} else {
		p.WriteString(strings.Repeat(`@font-face{font-family:x;src:url(data:font/woff2;base64,`+strings.Repeat("d09GMgABAAAAAF", 2000)+`) format("woff2")}`, 20))
	}
	p.WriteString(`</style></head><body>`)
	for f := range 20 {
		p.WriteString(`<figure><svg viewBox="0 0 400 300" xmlns="http://www.w3.org/2000/svg"><defs><clipPath id="c"><rect x="0" y="0" width="400" height="300"/></clipPath></defs>`)
		for i := range 1500 {
			p.WriteString(`<path d="M` + strings.Repeat("12.5 34.25 L", 8) + `0 0" style="fill:none;stroke:#1f77b4;stroke-width:1" clip-path="url(#c)"/>`)
			if i%100 == 0 {
				p.WriteString(`<text x="1" y="2" transform="rotate(-90)">label</text>`)
			}
		}
		p.WriteString(`</svg><figcaption>Figure ` + string(rune('A'+f)) + ` <a href="data:text/csv;base64,` + strings.Repeat("MSwyLDMK", 500) + `" download>CSV</a></figcaption></figure>`)
	}
	for range 200 {
		p.WriteString(`<p>Text with <span class="katex"><span class="katex-mathml"><math><mi>x</mi></math></span></span> and <a href="https://example.org">a link</a>.</p>`)
	}
	p.WriteString(`</body></html>`)
	return p.Bytes()
}

// FuzzIndexFold: indexFold finds what strings.Index finds in the page
// with its ASCII letters lower-cased.
func FuzzIndexFold(f *testing.F) {
	for _, s := range []string{"a{b:URL(x)}", "uuuuuUUUUurl(", "@IMPORT", "url", ""} {
		f.Add(s, "url(")
	}
	f.Add("x@ImPoRt y", "@import")
	f.Fuzz(func(t *testing.T, s, word string) {
		if word == "" || strings.ToLower(word) != word || !isASCII(word) {
			return
		}
		lower := strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, s)
		if !isASCII(s) {
			return // strings.Map would re-encode invalid UTF-8
		}
		if got, want := indexFold([]byte(s), word), strings.Index(lower, word); got != want {
			t.Fatalf("indexFold(%q, %q) = %d, want %d", s, word, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
