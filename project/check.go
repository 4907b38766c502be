package project

import (
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/repro-dev/repro/gitrev"
	"github.com/repro-dev/repro/pipeline"
)

// A LockCheck is what `repro status --check` finds of a lock.
type LockCheck struct {
	Name string // the lock's file name, "REV:name" for the one committed at REV
	// Empty: the lock records no stage.
	Empty bool
	// Code lists the stages whose record does not match what the code, the
	// parameters and the files produce (pipeline.Engine.Check).
	Code []pipeline.StageStatus
	// Store lists the stages whose recorded outputs or metrics differ from
	// what the store holds for the same keys (pipeline.Engine.CheckStore),
	// and Checked counts the stages the store holds.
	Store   []pipeline.StageStatus
	Checked int
}

// CheckLock checks lock, or with rev the profile's lock committed at git
// revision rev, against the stages sel: its keys must be what the code,
// the parameters and the files produce (no store needed), and every
// stage's recorded outputs and metrics what the store holds for the
// stage's current key (or, failing that, for the lock's key), where it
// holds it: numbers edited into a lock by hand fail here once the store
// has computed them, whatever keys the lock says. An unknown revision, or
// one without the lock, is a UsageError.
func (p *Project) CheckLock(sel []*pipeline.Stage, lock *pipeline.Lock, rev string) (*LockCheck, error) {
	c := &LockCheck{Name: filepath.Base(p.LockPath())}
	if rev != "" {
		repo := gitrev.Repo{Dir: p.Root}
		commit, err := repo.Commit(rev)
		if err != nil {
			return nil, UsageError{err}
		}
		b, err := repo.ReadFile(commit, c.Name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Usagef("revision %s has no %s", rev, c.Name)
		}
		if err != nil {
			return nil, err
		}
		if lock, err = pipeline.ParseLock(rev+":"+c.Name, b); err != nil {
			return nil, err
		}
		c.Name = rev + ":" + c.Name
	}
	if len(lock.Stages) == 0 {
		c.Empty = true
		return c, nil
	}
	var err error
	if c.Code, err = p.Engine.Check(sel, lock); err != nil {
		return nil, err
	}
	// What the store holds for the current keys: the lock's numbers are
	// compared with it whatever keys the lock records.
	computed, _, err := p.Engine.Computed(sel)
	if err != nil {
		return nil, err
	}
	if c.Store, c.Checked, err = p.Engine.CheckStore(lock, computed); err != nil {
		return nil, err
	}
	return c, nil
}
