package project

// Text from parameters and locks is outside input: a pull request writes
// both, and what repro prints from them lands in a terminal, in a CI log
// (where a line starting with "::error" is a GitHub Actions command) and in
// a job summary (Markdown, where a link or an image is live). Every such
// string goes through one of the helpers below, at the edge where it is
// printed: TermText for a terminal or a log, MDText and MDCode for
// Markdown.

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// visible rewrites what a terminal or a renderer would act on rather than
// show: invalid UTF-8 as \xNN, control characters (C0, DEL, C1: newlines,
// carriage returns, ESC and so cursor movement and colours) as \n, \r, \t
// or \xNN / \u00NN, and the Unicode controls that reorder or hide text
// (bidirectional overrides and isolates, zero-width marks) as \uNNNN.
func visible(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || hidden(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && hidden(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// hidden reports whether a rune acts rather than shows.
func hidden(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidirectional embeddings, overrides, isolates, marks
	case r == 0x200b, r == 0x200c, r == 0x200d, r == 0x2028, r == 0x2029, r == 0xfeff:
		return true // zero-width characters, line and paragraph separators
	}
	return false
}

// TermText makes text from parameters or locks safe to print on a
// terminal or in a CI log: on one line (visible), with nothing that moves
// the cursor or reorders the text, and not starting (after spaces) with
// "::" or "##[", the prefixes of GitHub Actions workflow commands
// (::error, ::set-output, ::stop-commands, ##[error]), whose first
// character is written \x3a or \x23.
func TermText(s string) string {
	s = visible(s)
	t := strings.TrimLeft(s, " ")
	if strings.HasPrefix(t, "::") || strings.HasPrefix(t, "##[") {
		i := len(s) - len(t)
		s = s[:i] + fmt.Sprintf(`\x%02x`, s[i]) + s[i+1:]
	}
	return s
}

// MDText escapes text for GitHub-flavoured Markdown (a paragraph, a list
// item or a table cell) so that nothing in it is markup: on one line
// (visible), with a backslash before every character that can open markup
// inside a line (\ ` * _ [ ] < ! | & ~ $ @: links and images `[x](u)`,
// `![x](u)`, raw HTML and autolinks `<u>`, entities, emphasis, strikethrough,
// math, mentions and email autolinks, table pipes), before the ':' of
// "://" and the '.' of "www." (bare-URL autolinks), and before a first
// character that would start a heading, a list, a quote or a rule. Links
// and images in a parameter show as the text they are.
func MDText(s string) string {
	s = visible(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte("\\`*_[]<!|&~$@", c) >= 0:
			b.WriteByte('\\')
		case c == ':' && strings.HasPrefix(s[i:], "://"):
			b.WriteByte('\\')
		case c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			b.WriteByte('\\')
		case i == 0 && strings.IndexByte("#-+=>", c) >= 0:
			b.WriteByte('\\')
		case c == '.' || c == ')':
			if j := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); j == i && i > 0 {
				b.WriteByte('\\') // "1. " or "1) " would start an ordered list
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// MDCode puts text in a code span (nothing in a code span is markup) that
// may stand in a GFM table cell: on one line (visible), with | escaped (a
// table splits cells before it sees code spans) and each backquote written
// as ' (a backquote would end the span).
func MDCode(s string) string {
	s = visible(s)
	return "`" + strings.NewReplacer("|", `\|`, "`", "'").Replace(s) + "`"
}
