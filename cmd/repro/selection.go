package main

import (
	"fmt"
	"os"

	"github.com/repro-dev/repro/pipeline"
)

// openMatched is openSelected, and also the names of the stages the
// patterns match themselves (all of them for no patterns), so that status
// and run --dry-run count the stages asked for apart from the upstream
// stages they need.
func (g *globals) openMatched(patterns []string) (*project, []*pipeline.Stage, map[string]bool, error) {
	p, err := g.open()
	if err != nil {
		return nil, nil, nil, err
	}
	p.warn(os.Stderr)
	sel, matched, err := p.graph.SelectMatched(patterns)
	if err != nil {
		return nil, nil, nil, usageError{fmt.Errorf("%w%s", err, p.suggestFor(patterns))}
	}
	return p, sel, matched, nil
}
