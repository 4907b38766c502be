package pipeline

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// touchEvery is how stale a run entry's last-use time may get before a use
// updates it: like the Go build cache, a used entry is marked at most once
// an hour, so a warm run does not rewrite every entry.
const touchEvery = time.Hour

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Touch marks the run entry of key as used now (its file's modification
// time), unless it was marked within the last hour. Errors (a read-only
// store) are ignored: the mark only guides Trim.
func (s *Store) Touch(key string) {
	if !validHash(key) {
		return
	}
	p := s.runPath(key)
	fi, err := os.Stat(p)
	if err != nil {
		return
	}
	if now := s.now(); now.Sub(fi.ModTime()) > touchEvery {
		os.Chtimes(p, now, now)
	}
}

// A TrimPolicy says which run-cache entries Trim drops. Entries whose key is
// in Keep (those a committed lock names) are never dropped.
type TrimPolicy struct {
	// MaxAge drops entries not used for longer (0: no limit by age).
	MaxAge time.Duration
	// MaxBytes then drops the least recently used entries until the objects
	// the remaining ones (and Keep) reference fit (0: no limit).
	MaxBytes int64
	Keep     map[string]bool
	DryRun   bool
}

// A Trimmed says what Trim dropped (or would drop).
type Trimmed struct {
	Keys  []string // dropped run-cache entries, least recently used first
	Bytes int64    // bytes of the objects only they referenced
}

// Trim drops run-cache entries by last use (see Touch), as the policy says;
// GC then removes the objects nothing references any more. It must run
// under the store lock.
func (s *Store) Trim(p TrimPolicy) (Trimmed, error) {
	var out Trimmed
	keys, err := s.Keys()
	if err != nil {
		return out, err
	}
	objs, err := s.Objects()
	if err != nil {
		return out, err
	}
	type entry struct {
		key  string
		used time.Time
		refs []string // the record object and its outputs
	}
	refs := map[string]int{} // object -> entries referencing it (Keep counts as one more)
	var entries []*entry
	for _, k := range keys {
		fi, err := os.Stat(s.runPath(k))
		if err != nil {
			continue
		}
		e := &entry{key: k, used: fi.ModTime(), refs: s.entryObjects(k)}
		for _, h := range e.refs {
			refs[h]++
		}
		if p.Keep[k] {
			for _, h := range e.refs {
				refs[h]++ // never freed
			}
			continue
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b *entry) int {
		if c := a.used.Compare(b.used); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	var live int64
	for h, n := range refs {
		if n > 0 {
			live += objs[h]
		}
	}
	drop := func(e *entry) error {
		for _, h := range e.refs {
			if refs[h]--; refs[h] == 0 {
				live -= objs[h]
				out.Bytes += objs[h]
			}
		}
		out.Keys = append(out.Keys, e.key)
		if p.DryRun {
			return nil
		}
		if err := os.Remove(s.runPath(e.key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		os.Remove(s.runPath(e.key) + ".sig")
		return nil
	}
	now := s.now()
	for _, e := range entries {
		tooOld := p.MaxAge > 0 && now.Sub(e.used) > p.MaxAge
		tooBig := p.MaxBytes > 0 && live > p.MaxBytes
		if !tooOld && !tooBig {
			continue
		}
		if err := drop(e); err != nil {
			return out, err
		}
	}
	return out, nil
}

// entryObjects lists the objects a run entry references: its record and
// the record's outputs (what it can read of them).
func (s *Store) entryObjects(key string) []string {
	b, err := ReadRegularFile(s.runPath(key), maxRunEntryBytes, "a run-cache entry")
	if err != nil {
		return nil
	}
	h := strings.TrimSpace(string(b))
	if !validHash(h) {
		return nil
	}
	out := []string{h}
	rb, err := ReadRegularFile(s.objectPath(h), MaxRecordBytes, "a record")
	if err != nil {
		return out
	}
	var rec Record
	if json.Unmarshal(rb, &rec) == nil {
		for _, oh := range rec.Outputs {
			if validHash(oh) && !slices.Contains(out, oh) {
				out = append(out, oh)
			}
		}
	}
	return out
}

// SweepTemp removes (or, with dryRun, lists) the temporary files
// WriteFileAtomic leaves behind when its process is killed between creating
// and renaming them. It must run under the store lock, which every writer
// holds.
func (s *Store) SweepTemp(dryRun bool) (paths []string, size int64) {
	filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			size += fi.Size()
		}
		paths = append(paths, p)
		if !dryRun {
			os.Remove(p)
		}
		return nil
	})
	return paths, size
}
