package pipeline

import (
	"fmt"
	"path"
	"strings"
)

// Match reports whether stage name matches pattern. A pattern is a path of
// "/"-separated segments, each a path.Match glob ("act=*", "lr=0.?"), where
// a segment "**" (or "...") stands for any number of segments. A pattern
// selects what it matches and everything under it, as the families of
// `repro dag` count them: "neural", "neural/*" and "neural/**" all match
// every stage under neural/, "neural/regression/*" the 185 stages its label
// "neural/regression/* (185)" counts; "logistic/sgd/*" matches the stages
// under logistic/sgd, not logistic/sgd itself. A malformed glob matches
// nothing (Select reports it).
func Match(pattern, name string) bool {
	return matchSegments(patternSegments(pattern), strings.Split(name, "/"))
}

// patternSegments splits a pattern into its segments, dropping a trailing
// "/" and mapping "..." to "**".
func patternSegments(pattern string) []string {
	pattern = strings.TrimSuffix(pattern, "/")
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if s == "..." {
			segs[i] = "**"
		}
	}
	return segs
}

// matchSegments matches the pattern's segments against the first segments
// of a name; what is left of the name lies under what matched.
func matchSegments(pat, name []string) bool {
	if len(pat) == 0 {
		return true
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchSegments(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	if ok, err := path.Match(pat[0], name[0]); err != nil || !ok {
		return false
	}
	return matchSegments(pat[1:], name[1:])
}

// checkPattern reports a malformed glob.
func checkPattern(pattern string) error {
	for _, s := range patternSegments(pattern) {
		if _, err := path.Match(s, ""); err != nil {
			return fmt.Errorf("bad stage pattern %q: %v", pattern, err)
		}
	}
	return nil
}

// Select returns the stages matching any pattern and everything upstream of
// them, in topological order. No patterns selects every stage. A pattern that
// matches nothing is an error.
func (g *Graph) Select(patterns []string) ([]*Stage, error) {
	sel, _, err := g.SelectMatched(patterns)
	return sel, err
}

// SelectMatched is Select, and also the names of the stages the patterns
// match themselves (the rest of the selection is what they need). No
// patterns matches every stage.
func (g *Graph) SelectMatched(patterns []string) ([]*Stage, map[string]bool, error) {
	matched := map[string]bool{}
	if len(patterns) == 0 {
		for _, s := range g.stages {
			matched[s.Name] = true
		}
		return g.stages, matched, nil
	}
	want := map[string]bool{}
	var mark func(string)
	mark = func(n string) {
		if want[n] {
			return
		}
		want[n] = true
		for _, d := range g.byName[n].Deps {
			mark(d)
		}
	}
	for _, p := range patterns {
		if err := checkPattern(p); err != nil {
			return nil, nil, err
		}
		found := false
		for _, s := range g.stages {
			if Match(p, s.Name) {
				found = true
				matched[s.Name] = true
				mark(s.Name)
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("no stage matches %q (try `repro dag`)", p)
		}
	}
	var out []*Stage
	for _, s := range g.stages {
		if want[s.Name] {
			out = append(out, s)
		}
	}
	return out, matched, nil
}
