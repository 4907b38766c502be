package report

import (
	"strings"
	"unicode/utf8"
)

// Text returns Markdown that renders as exactly the text s: every ASCII
// punctuation character is backslash-escaped (so s starts no emphasis,
// link, raw HTML, math, cross-reference or attribute) and line breaks
// become spaces; the characters Mark reserves show as U+FFFD. Use it for a
// string that comes from outside the template, such as a parameter, in
// running text or a table cell; the HTML renderer then escapes <, > and &.
func Text(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n':
			b.WriteByte(' ')
		case isMarkRune(r):
			b.WriteRune(utf8.RuneError)
		case r < 0x80 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Code returns a Markdown code span that shows s literally, whatever it
// holds: the span is delimited by more backticks than any run in s, and
// padded with a space where s starts or ends with a backtick. Line breaks
// become spaces, and the characters Mark reserves show as U+FFFD.
func Code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	s = Verbatim(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// Fence returns a code fence for a fenced block holding s: at least three
// backticks, and more than any run of backticks in s, so no line of s can
// close the block.
func Fence(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

// Verbatim returns s for the inside of a fenced block (between two
// Fence(s)): unchanged but for the characters Mark reserves, which show as
// U+FFFD.
func Verbatim(s string) string {
	return strings.Map(func(r rune) rune {
		if isMarkRune(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// isMarkRune reports whether r is one of the private-use characters Mark
// brackets a number with. Text and Code show them as U+FFFD, so that a
// string from outside can neither open, close nor forge a number's
// provenance span (the fuzzer found a lone close turned into </span>).
func isMarkRune(r rune) bool { return r == markOpen || r == markStart || r == markClose }
