package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

// Select selects the stages matching patterns (all for none) and the
// stages they need, and names the stages the patterns match themselves
// (all of them for no patterns), so that status and run --dry-run count the
// stages asked for apart from the upstream stages they need. A pattern that
// matches nothing, or a file a selected stage reads that does not exist, is
// a UsageError, before anything runs.
func (p *Project) Select(patterns []string) ([]*pipeline.Stage, map[string]bool, error) {
	sel, err := p.Graph.Select(patterns)
	if err != nil {
		return nil, nil, UsageError{fmt.Errorf("%w%s", err, p.SuggestFor(patterns))}
	}
	_, matched, err := p.Graph.SelectMatched(patterns)
	if err != nil {
		return nil, nil, UsageError{err}
	}
	if err := missingFiles(p.Root, p.Params, sel); err != nil {
		return nil, nil, UsageError{err}
	}
	return sel, matched, nil
}

// SuggestFor is the "did you mean" of the first pattern that matches no
// stage, or "".
func (p *Project) SuggestFor(patterns []string) string {
	var names []string
	for _, s := range p.Graph.Stages() {
		names = append(names, s.Name)
	}
	for _, pat := range patterns {
		found := false
		for _, n := range names {
			if pipeline.Match(pat, n) {
				found = true
				break
			}
		}
		if !found {
			return didYouMean(pat, names)
		}
	}
	return ""
}

// missingFiles reports the files the stages read that do not exist: each
// with the stages that read it, the parameter that names it, and the
// closest file that does exist.
func missingFiles(root string, params *config.Params, sel []*pipeline.Stage) error {
	readers := map[string][]string{}
	var order []string
	for _, s := range sel {
		for _, f := range s.Files {
			path := f
			if !filepath.IsAbs(path) {
				path = filepath.Join(root, filepath.FromSlash(f))
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if readers[f] == nil {
				order = append(order, f)
			}
			readers[f] = append(readers[f], s.Name)
		}
	}
	if len(order) == 0 {
		return nil
	}
	var msgs []string
	for _, f := range order {
		who := readers[f][0]
		if n := len(readers[f]); n > 1 {
			who += fmt.Sprintf(" and %d more stages", n-1)
		}
		msg := fmt.Sprintf("%s reads %s, which does not exist", who, f)
		if keys := keysWithValue(params, f); len(keys) > 0 {
			msg += fmt.Sprintf(" (%s in params.yaml, or --set %s=PATH)", strings.Join(keys, ", "), keys[0])
		}
		if s := closestFile(root, f); s != "" {
			msg += "; did you mean " + s + "?"
		}
		msgs = append(msgs, msg)
	}
	return errors.New("missing input file: " + strings.Join(msgs, "; "))
}

// keysWithValue lists the keys of params.yaml whose value is the string v.
func keysWithValue(p *config.Params, v string) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, l := range paramLeaves(p) {
		if x := l.at(p); x.Kind() == reflect.String && x.String() == v {
			out = append(out, l.key)
		}
	}
	return out
}

// closestFile is the file of f's directory (as f spells it) whose name is
// closest to f's, if it is close; else the one file of that directory with
// the same extension, if there is one; else "".
func closestFile(root, f string) string {
	dir, name := filepath.Split(filepath.FromSlash(f))
	abs := dir
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, dir)
	}
	ents, err := os.ReadDir(abs)
	if err != nil {
		return ""
	}
	best, bestD := "", 1<<30
	var sameExt []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		d := config.EditDistance(strings.ToLower(name), strings.ToLower(e.Name()))
		if d < bestD {
			best, bestD = e.Name(), d
		}
		if filepath.Ext(e.Name()) == filepath.Ext(name) {
			sameExt = append(sameExt, e.Name())
		}
	}
	switch {
	case best != "" && bestD <= max(2, len(name)/3):
	case len(sameExt) == 1:
		best = sameExt[0]
	default:
		return ""
	}
	return filepath.ToSlash(filepath.Join(dir, best))
}

// SuggestStages names the stages or families closest to a pattern that
// matched nothing, for a "did you mean" (none if nothing is close, and
// never the pattern itself).
func SuggestStages(pattern string, names []string) []string {
	core, suffix := pattern, ""
	for _, s := range []string{"/*", "*"} {
		if strings.HasSuffix(core, s) {
			core, suffix = strings.TrimSuffix(core, s), s
			break
		}
	}
	if strings.ContainsAny(core, "*?[") || core == "" {
		return nil
	}
	cands := map[string]bool{}
	for _, n := range names {
		cands[n] = true
		for i := range len(n) {
			if n[i] == '/' {
				cands[n[:i]] = true // the families
			}
		}
	}
	best, bestD := []string(nil), 1<<30
	for c := range cands {
		if c+suffix == pattern {
			continue // never the input itself
		}
		d := config.EditDistance(strings.ToLower(core), strings.ToLower(c))
		switch {
		case d < bestD:
			best, bestD = []string{c + suffix}, d
		case d == bestD:
			best = append(best, c+suffix)
		}
	}
	if bestD > max(2, len(core)/5) {
		return nil
	}
	sort.Strings(best)
	if len(best) > 3 {
		best = best[:3]
	}
	return best
}

// didYouMean is "; did you mean X or Y?" for a pattern that matched no
// stage, or "".
func didYouMean(pattern string, names []string) string {
	s := SuggestStages(pattern, names)
	if len(s) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(s, " or ") + "?"
}
