package stages

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"text/template/parse"
)

// Numbers must be inserted, not typed: checkTypedNumbers fails the report
// when the template's own text (not what its actions print) holds a number
// that equals, to the precision shown, a value of the results the report is
// filled from. Digits inside TeX, code, HTML comments and tags, ids and
// attributes ({#id}), link targets, cross-references, footnote labels,
// words ("2x8x8x1", "F3"), the markers of ordered lists and the
// References section (a citation's volume, year and pages are the cited
// work's) are not numbers of the prose; a year or section number that
// equals no result passes.
// Results here are single values (a field, or a mean or sd over seeds),
// not the elements of curves, matrices or per-seed lists, nor the report's
// own parameters; an integer is compared with integer fields, a decimal
// with the others. One-digit integers, decimals of one significant digit
// ("0.3") and "95 %" (the level of the intervals) are not checked: they
// would match by coincidence.

var templateMaskRE = regexp.MustCompile("(?s)<!--.*?-->|```.*?```|\\$\\$.*?\\$\\$" +
	`|\$(?:[^$\\]|\\.)+\$` + "|`[^`]*`" +
	`|\{[#.][^}]*\}|@(?:fig|tbl|sec):[\w-]+|\]\([^)]*\)|\[\^[^\]]*\]|&#?\w+;|<[^>]*>` +
	`|(?m)^[ \t]*\d+[.)][ \t]` +
	`|(?ms)^#+[ \t]+References\b.*?(?:^#|\z)`)

// checkTypedNumbers checks the template src, parsed as tree.
func (pv *provenance) checkTypedNumbers(src []byte, tree *parse.Tree) error {
	// The template's text, with what its actions print blanked out (a
	// letter, so a number never runs into an action's output).
	lit := make([]bool, len(src))
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.TextNode:
			start := int(n.Pos)
			if i := bytes.Index(src[start:], n.Text); i >= 0 && i < 8 {
				start += i // {{- trims before the text
			}
			for i := start; i < start+len(n.Text) && i < len(src); i++ {
				lit[i] = true
			}
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(tree.Root)
	skel := []byte(string(src))
	for i := range skel {
		if !lit[i] && skel[i] != '\n' {
			skel[i] = 'A'
		}
	}
	for _, m := range templateMaskRE.FindAllIndex(skel, -1) {
		for i := m[0]; i < m[1]; i++ {
			if skel[i] != '\n' {
				skel[i] = ' '
			}
		}
	}
	var errs []error
	for _, q := range findNumbers(string(skel)) {
		line := bytes.Count(src[:q.start], []byte("\n")) + 1
		if constRE.MatchString(q.text) {
			continue
		}
		nums := oneNumRE.FindAllString(q.text, -1)
		for k := range q.vals {
			isInt := q.ints[k] && !q.percent
			if isInt && math.Abs(q.vals[k]) < 10 {
				continue // a one-digit count of the prose ("two", "8 by 8") matches too much to tell
			}
			if !isInt && k < len(nums) && sigDigits(nums[k]) < 2 {
				continue // "0.3" is any value from 0.25 to 0.35
			}
			var hits []provLeaf
			for _, l := range pv.leaves {
				// An integer is a count (an integer field), a decimal a
				// measurement (a float field or a mean over seeds).
				// An integer inside a list of a result (a run's best epoch, a
				// cell's count) varies with the seeds and the parameters: a
				// typed integer that equals one is a coincidence ("28 by 28
				// images" against a best epoch of 28), which must not fail
				// an ordinary setting's report.
				if l.elemt || pv.roots[l.root].name == "P" || l.isInt != isInt || (isInt && l.agg != "") || (isInt && strings.Contains(l.path, "[")) ||
					!matches(q.vals[k], q.decs[k], q.ints[k], q.percent, l) {
					continue
				}
				hits = append(hits, l)
			}
			if len(hits) > 0 {
				// The shortest paths first, one a stage, three at most.
				sort.SliceStable(hits, func(i, j int) bool { return len(hits[i].path) < len(hits[j].path) })
				var say []string
				seen := map[string]bool{}
				for _, l := range hits {
					st := pv.source(l.root, l.elem).Stage
					if seen[st] || len(say) == 3 {
						continue
					}
					seen[st] = true
					what := pv.roots[l.root].name + "." + l.path
					if l.agg != "" {
						what += " (" + l.agg + ")"
					}
					say = append(say, fmt.Sprintf("%s = %v of %s", what, l.v, st))
				}
				errs = append(errs, fmt.Errorf("%s:%d: the typed number %q equals a result to the precision shown (%s): insert it with an action instead of typing it",
					templateReport, line, q.text, strings.Join(say, "; ")))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// sigDigits counts the significant digits of a number as written.
func sigDigits(n string) int {
	n, _, _ = strings.Cut(strings.ToLower(n), "e")
	n = strings.TrimLeft(n, "-−+0.")
	k := 0
	for _, r := range n {
		if r >= '0' && r <= '9' {
			k++
		}
	}
	return k
}
