package main

import (
	"fmt"
	"io"

	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

// statusCheck is `repro status --check` (project.Project.CheckLock): it
// prints every stage that does not match and exits 1 if any does.
func statusCheck(out io.Writer, p *project, sel []*pipeline.Stage, lock *pipeline.Lock, rev string) error {
	c, err := p.CheckLock(sel, lock, rev)
	if err != nil {
		return err
	}
	if c.Empty {
		fmt.Fprintf(out, "%s: no lock; run `repro run --profile %s` and commit it\n", c.Name, p.profile)
		return exitError{1}
	}
	mismatches := 0
	for _, s := range append(c.Code, c.Store...) {
		if s.State != pipeline.StateNote {
			mismatches++
		}
		fmt.Fprintf(out, "%-7s %s\n", s.State, proj.TermText(s.Stage))
		for _, r := range s.Reasons {
			fmt.Fprintf(out, "         %s\n", proj.TermText(r))
		}
	}
	if len(c.Store) > 0 {
		fmt.Fprintf(out, "%s records results that differ from what the store computed for the same keys (%d of %d stages): the lock was edited, or a stage is not deterministic\n", c.Name, len(c.Store), c.Checked)
	}
	if mismatches > len(c.Store) {
		fmt.Fprintf(out, "%s does not match the code and parameters: run `repro run --profile %s` and commit the lock\n", c.Name, p.profile)
	}
	if mismatches > 0 {
		return exitError{1}
	}
	fmt.Fprintf(out, "%s matches the code and parameters (%d stages), and the store's results for %d of them\n", c.Name, len(sel), c.Checked)
	return nil
}
