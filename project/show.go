package project

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
)

// What `repro show` reads of one stage besides the graph and the lock.

// StatusOf is the status of stage s against lock (its upstream stages
// checked with it), as a list of one; nil when it cannot be computed.
func (p *Project) StatusOf(s *pipeline.Stage, lock *pipeline.Lock) []pipeline.StageStatus {
	sts, err := p.Engine.Status([]*pipeline.Stage{s}, lock)
	if err != nil {
		sts = nil // Status needs the upstream stages, selected below
	}
	if sel, err := p.Graph.Select([]string{s.Name}); err == nil {
		if all, err := p.Engine.Status(sel, lock); err == nil {
			sts = all[len(all)-1:]
		}
	}
	return sts
}

// LastRun is what the profile's last run did of stage name (the run
// state beside the store), or nil.
func (p *Project) LastRun(name string) *session.StageState {
	st, err := session.ReadState(p.Store.Dir, p.Profile)
	if err != nil {
		return nil
	}
	if x, ok := st.Stages[name]; ok {
		return &x
	}
	return nil
}

// ObjectFile is the file holding the stored object of hash h (relative to
// the project when the store is inside it) and its size; ok is false when
// the store does not hold it.
func (p *Project) ObjectFile(h string) (path string, size int64, ok bool) {
	path = filepath.Join(p.Store.Dir, "objects", h[:min(2, len(h))], h)
	fi, statErr := os.Stat(path)
	if rel, err := filepath.Rel(p.Root, path); err == nil && !strings.HasPrefix(rel, "..") {
		path = rel
	}
	if statErr != nil {
		return path, 0, false
	}
	return path, fi.Size(), true
}
