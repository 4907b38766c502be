package report

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// fetchAttrs are the attributes whose value a browser fetches (or, for
// <a href>, may follow: a link the reader chooses is allowed).
var fetchAttrs = map[string]bool{
	"src": true, "href": true, "xlink:href": true, "srcset": true, "imagesrcset": true,
	"poster": true, "data": true, "action": true, "formaction": true, "background": true,
	"manifest": true, "ping": true, "codebase": true, "archive": true, "longdesc": true,
	"cite": true, "icon": true, "lowsrc": true, "dynsrc": true,
}

// externalRefs lists what in page would make a browser fetch something
// from outside the file: a fetching attribute (src, href, srcset, ...)
// whose URL is http(s):, ws(s):, ftp: or protocol-relative (except <a
// href>, a link the reader may follow), and CSS, in a <style> element or
// in any attribute, with a url() that is not a data: URI or a fragment, or
// an @import.
//
// The page is read by the HTML5 tokenizer of golang.org/x/net/html, as a
// browser reads it: entities in attribute values decoded, names
// lower-cased, comments skipped, <style> read as text. URLs are read as
// the URL parser does (leading spaces and controls stripped, tabs and
// newlines removed, '\' read as '/').
func externalRefs(page []byte) []string {
	var bad []string
	z := html.NewTokenizer(bytes.NewReader(page))
	inStyle := false
	for {
		switch z.Next() {
		case html.ErrorToken: // io.EOF: the reader is in memory
			return bad
		case html.TextToken:
			if inStyle {
				bad = append(bad, cssExternal(z.Text())...)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			tag := string(name)
			inStyle = tag == "style"
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				checkAttr(tag, string(k), v, &bad)
			}
		case html.EndTagToken:
			inStyle = false
		}
	}
}

func checkAttr(tag, name string, val []byte, bad *[]string) {
	if !fetchAttrs[name] {
		// style="...", fill="url(#g)", ...: CSS wherever url( appears.
		if indexFold(val, "url(") >= 0 || indexFold(val, "@import") >= 0 {
			*bad = append(*bad, cssExternal(val)...)
		}
		return
	}
	if tag == "a" && name == "href" {
		return
	}

	v := val
	var urls [][]byte
	switch name {
	case "srcset", "imagesrcset": // "a.png 1x, b.png 2x"
		for _, cand := range bytes.Split(v, []byte(",")) {
			if f := bytes.Fields(cand); len(f) > 0 {
				urls = append(urls, f[0])
			}
		}
	case "ping", "archive": // space-separated lists
		urls = bytes.Fields(v)
	default:
		urls = [][]byte{v}
	}
	for _, u := range urls {
		if isExternalURL(u) {
			*bad = append(*bad, "<"+tag+" "+name+"="+string(bytes.TrimSpace(v))+">")
			return
		}
	}
}

// isExternalURL reports whether a URL leaves the page: a scheme that
// fetches over the network, or protocol-relative. The URL parser strips
// leading and trailing spaces and controls, removes tabs and newlines,
// and reads '\' as '/' in such URLs; so does this.
func isExternalURL(u []byte) bool {
	var b [8]byte
	n := 0
	for _, c := range u {
		if n == len(b) {
			break
		}
		switch {
		case c == '\t' || c == '\n' || c == '\r':
			continue
		case c <= ' ' && n == 0:
			continue
		case c == '\\':
			c = '/'
		}
		b[n] = lowerASCII(c)
		n++
	}
	s := string(b[:n])
	for _, p := range []string{"http:", "https:", "ftp:", "//", "ws:", "wss:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// cssExternal lists what a style sheet (or a style attribute) would fetch:
// every @import, and every url() that is not a data: URI or a fragment.
// CSS function names and at-keywords are case-insensitive.
func cssExternal(css []byte) []string {
	var bad []string
	if indexFold(css, "@import") >= 0 {
		bad = append(bad, "@import")
	}
	for i := 0; ; {
		j := indexFold(css[i:], "url(")
		if j < 0 {
			break
		}
		i += j + len("url(")
		for i < len(css) && isHTMLSpace(css[i]) {
			i++
		}
		if i < len(css) && (css[i] == '"' || css[i] == '\'') {
			i++
		}
		if i+5 <= len(css) && equalFoldASCII(css[i:i+5], "data:") || i < len(css) && css[i] == '#' {
			continue
		}
		start := i
		for i < len(css) && css[i] != '"' && css[i] != '\'' && css[i] != ')' && !isHTMLSpace(css[i]) {
			i++
		}
		ref := css[start:i]
		bad = append(bad, "url("+string(ref)+")")
	}
	return bad
}

// indexFold is the index of the first ASCII-case-insensitive instance of
// the lower-case ASCII word in s, or -1. It looks for the first byte in
// either case with IndexByte (vectorised), each case's next place kept
// until passed, so the cost stays linear in s.
func indexFold(s []byte, word string) int {
	lo, up := word[0], word[0]
	if lo >= 'a' && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	nextLo, nextUp := -1, -1 // next places at or after i; -1 not yet looked for
	for i := 0; i+len(word) <= len(s); {
		if nextLo != len(s) && nextLo < i {
			if k := bytes.IndexByte(s[i:], lo); k >= 0 {
				nextLo = i + k
			} else {
				nextLo = len(s)
			}
		}
		if nextUp != len(s) && nextUp < i {
			if k := bytes.IndexByte(s[i:], up); k >= 0 {
				nextUp = i + k
			} else {
				nextUp = len(s)
			}
		}
		i = min(nextLo, nextUp)
		if i+len(word) > len(s) {
			return -1
		}
		if equalFoldASCII(s[i:i+len(word)], word) {
			return i
		}
		i++
	}
	return -1
}

func equalFoldASCII(s []byte, lower string) bool {
	for k := range len(lower) {
		if lowerASCII(s[k]) != lower[k] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}
