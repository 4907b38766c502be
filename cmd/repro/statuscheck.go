package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/repro-dev/repro/gitrev"
	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

// statusCheck is `repro status --check`: the lock (the working tree's, or
// the one committed at rev) must match what the code, the parameters and
// the files produce (pipeline.Engine.Check, no store needed), and every
// stage's recorded outputs and metrics must be what the store holds for
// the stage's current key (or, failing that, for the lock's key), where it
// holds it (pipeline.Engine.CheckStore): numbers edited into a lock by hand
// fail here once the store has computed them, whatever keys the lock says.
func statusCheck(out io.Writer, p *project, sel []*pipeline.Stage, lock *pipeline.Lock, rev string) error {
	name := filepath.Base(p.lockPath())
	if rev != "" {
		repo := gitrev.Repo{Dir: p.root}
		commit, err := repo.Commit(rev)
		if err != nil {
			return usageError{Err: err}
		}
		b, err := repo.ReadFile(commit, name)
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("revision %s has no %s", rev, name)
		}
		if err != nil {
			return err
		}
		if lock, err = pipeline.ParseLock(rev+":"+name, b); err != nil {
			return err
		}
		name = rev + ":" + name
	}
	if len(lock.Stages) == 0 {
		fmt.Fprintf(out, "%s: no lock; run `repro run --profile %s` and commit it\n", name, p.profile)
		return exitError{1}
	}
	bad, err := p.engine.Check(sel, lock)
	if err != nil {
		return err
	}
	// What the store holds for the current keys: the lock's numbers are
	// compared with it whatever keys the lock records.
	computed, _, err := p.engine.Computed(sel)
	if err != nil {
		return err
	}
	differ, checked, err := p.engine.CheckStore(lock, computed)
	if err != nil {
		return err
	}
	mismatches := 0
	for _, s := range append(bad, differ...) {
		if s.State != pipeline.StateNote {
			mismatches++
		}
		fmt.Fprintf(out, "%-7s %s\n", s.State, proj.TermText(s.Stage))
		for _, r := range s.Reasons {
			fmt.Fprintf(out, "         %s\n", proj.TermText(r))
		}
	}
	if len(differ) > 0 {
		fmt.Fprintf(out, "%s records results that differ from what the store computed for the same keys (%d of %d stages): the lock was edited, or a stage is not deterministic\n", name, len(differ), checked)
	}
	if mismatches > len(differ) {
		fmt.Fprintf(out, "%s does not match the code and parameters: run `repro run --profile %s` and commit the lock\n", name, p.profile)
	}
	if mismatches > 0 {
		return exitError{1}
	}
	fmt.Fprintf(out, "%s matches the code and parameters (%d stages), and the store's results for %d of them\n", name, len(sel), checked)
	return nil
}
