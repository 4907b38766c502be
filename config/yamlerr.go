package config

import (
	"fmt"
	"strconv"
	"strings"
)

// yamlMessage rewrites the message of a YAML syntax error of the file b so
// that it names the line at fault and says what a tab is:
//   - a tab in the indentation of a line is named as a tab, on its own
//     line ("line 12: a tab indents this line ..."), where the YAML library
//     reports the line before it or a token it cannot start;
//   - the parser's errors ("did not find expected ...") count lines from
//     0 (the scanner's from 1): they are moved one line down, and an
//     unclosed quote below that line is named.
func yamlMessage(b []byte, msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	lines := strings.Split(string(b), "\n")
	rest, n := msg, 0
	if after, ok := strings.CutPrefix(msg, "line "); ok {
		if num, r, ok := strings.Cut(after, ": "); ok {
			if v, err := strconv.Atoi(num); err == nil {
				rest, n = r, v
			}
		}
	}
	if strings.Contains(rest, "tab character") || strings.Contains(rest, "cannot start any token") {
		if l := firstTabIndent(lines); l > 0 {
			return fmt.Sprintf("line %d: a tab character indents this line (YAML indents with spaces only): %s", l, showTabs(lines[l-1]))
		}
	}
	if strings.Contains(rest, "unexpected end of stream") {
		if q := unclosedQuote(lines, 1); q > 0 {
			return fmt.Sprintf("line %d opens a quote it does not close (%s)", q, rest)
		}
	}
	if n == 0 {
		return msg
	}
	if strings.HasPrefix(rest, "did not find expected") {
		n++
		if q := unclosedQuote(lines, n); q > 0 {
			return fmt.Sprintf("line %d: %s (line %d opens a quote it does not close)", n, rest, q)
		}
		if rest == "did not find expected key" {
			return fmt.Sprintf("line %d: %s in the mapping that starts there (a line below it is indented differently, or is not key: value)", n, rest)
		}
	}
	return fmt.Sprintf("line %d: %s", n, rest)
}

// firstTabIndent is the number (from 1) of the first line whose
// indentation holds a tab, or 0.
func firstTabIndent(lines []string) int {
	for i, l := range lines {
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(l) != "" {
			return i + 1
		}
	}
	return 0
}

// showTabs quotes a line with each tab shown as <TAB>, shortened.
func showTabs(l string) string {
	l = strings.ReplaceAll(strings.TrimRight(l, " \r"), "\t", "<TAB>")
	if len(l) > 60 {
		l = l[:60] + "..."
	}
	return "\"" + l + "\""
}

// unclosedQuote is the number of the first line from line from on that
// opens a quoted value it does not close, or 0. A quote opens a value at the
// start of a line or after ": ", "- ", "[", "{" or ","; an apostrophe
// inside a plain value ("it's") and comments are ignored.
func unclosedQuote(lines []string, from int) int {
	for i := max(from-1, 0); i < len(lines); i++ {
		var quote rune
		prev, last := ' ', ' ' // the last rune that is not a space, the last rune
		for _, r := range lines[i] {
			switch {
			case quote == 0 && r == '#' && (last == ' ' || last == '\t'):
				goto next
			case quote == 0 && (r == '"' || r == '\'') && strings.ContainsRune(" :-[{,", prev):
				quote = r
			case quote != 0 && r == quote:
				quote = 0
			}
			if r != ' ' && r != '\t' {
				prev = r
			}
			last = r
		}
		if quote != 0 {
			return i + 1
		}
	next:
	}
	return 0
}
