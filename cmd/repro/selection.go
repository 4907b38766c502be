package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

// openMatched is openSelected, and also the names of the stages the
// patterns match themselves (all of them for no patterns), so that status
// and run --dry-run count the stages asked for apart from the upstream
// stages they need. A file a selected stage reads that does not exist is a
// configuration error (exit 2) here, before anything runs.
func (g *globals) openMatched(patterns []string) (*project, []*pipeline.Stage, map[string]bool, error) {
	p, sel, err := g.openSelected(patterns)
	if err != nil {
		return nil, nil, nil, err
	}
	_, matched, err := p.graph.SelectMatched(patterns)
	if err != nil {
		return nil, nil, nil, usageError{err}
	}
	if err := missingFiles(p.root, p.params, sel); err != nil {
		return nil, nil, nil, usageError{err}
	}
	return p, sel, matched, nil
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
