package config

import (
	"strings"
	"testing"
)

// A YAML syntax error names the line at fault, and a tab as a tab (issue
// 27, item 8): the YAML library reports the line before a tab-indented
// one, and its parser counts lines from 0.
func TestYAMLErrorLines(t *testing.T) {
	const base = "seeds: 5\nterrain:\n  file: data/x.npz   # it's a comment\n  array: elevation\n  window: 400\n  degree: 5\n"
	lines := strings.Split(base, "\n")
	edit := func(line int, text string) string {
		ls := append([]string(nil), lines...)
		ls[line-1] = text
		return strings.Join(ls, "\n")
	}
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"tab indentation", edit(5, "\twindow: 400"), `line 5: a tab character indents this line (YAML indents with spaces only): "<TAB>window: 400"`},
		{"tab after spaces", edit(5, "  \twindow: 400"), `line 5: a tab character indents this line`},
		{"tab at the top", edit(2, "\tterrain:"), `line 2: a tab character indents this line`},
		{"unclosed bracket", edit(5, "  window: [400"), `line 5: did not find expected ',' or ']'`},
		{"unclosed quote", edit(5, `  window: "400`), `line 5 opens a quote it does not close`},
		{"unclosed single quote", edit(4, `  array: 'elev`), `line 4 opens a quote it does not close`},
		{"unclosed quote, more below", edit(5, `  window: "400`) + "\nlinear:\n  x: 1\n", `line 5 opens a quote it does not close`},
		{"sequence in a mapping", edit(5, "  - 400"), `line 3: did not find expected key in the mapping that starts there`},
		{"missing colon", edit(5, "  window 400"), `line 5: could not find expected ':'`},
		{"misindented", edit(5, "   window: 400"), `line 5: mapping values are not allowed in this context`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseYAML("params.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error for\n%s", tc.yaml)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "params.yaml: malformed YAML: line") {
				t.Errorf("got  %v\nwant %q in it", err, tc.want)
			}
		})
	}
	if q := unclosedQuote([]string{"title: it's fine # don't", `name: "a # b"`}, 1); q != 0 {
		t.Errorf("unclosedQuote: line %d, want none (an apostrophe in a plain value, a # in quotes)", q)
	}
}
