package pipeline

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A Store is the content-addressed artifact store and the run cache:
//
//	<dir>/objects/ab/abcdef...   an object, named by the sha256 of its bytes
//	<dir>/runs/12/1234...        a run-cache entry: the hash of the Record object of a stage key
//
// Objects are written to a temporary file, synced and renamed, so a crash
// never leaves a half-written object under a final name. Every read checks
// the bytes against their name; a corrupt object is reported and removed, and
// the stage that made it counts as not cached.
type Store struct {
	Dir string
}

// ErrCorrupt reports an object whose bytes do not match its name.
var ErrCorrupt = errors.New("corrupt object")

// OpenStore opens (creating if needed) the store rooted at dir.
func OpenStore(dir string) (*Store, error) {
	for _, sub := range []string{"objects", "runs", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	return &Store{Dir: dir}, nil
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

func (s *Store) objectPath(h string) string {
	return filepath.Join(s.Dir, "objects", h[:2], h)
}

func (s *Store) runPath(key string) string {
	return filepath.Join(s.Dir, "runs", key[:2], key)
}

// Put stores b and returns its hash. Storing bytes already present is a
// no-op; an object present under the name with other bytes (corrupt, even
// with the right size) is replaced.
func (s *Store) Put(b []byte) (string, error) {
	h := HashBytes(b)
	p := s.objectPath(h)
	if fi, err := os.Stat(p); err == nil && fi.Size() == int64(len(b)) {
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b) {
			return h, nil
		}
	}
	if err := WriteFileAtomic(p, b); err != nil {
		return "", fmt.Errorf("store: write object %s: %w", h[:12], err)
	}
	return h, nil
}

// Get returns the bytes of object h after checking them against h. A corrupt
// object is removed and reported as an error wrapping ErrCorrupt.
func (s *Store) Get(h string) ([]byte, error) {
	if !validHash(h) {
		return nil, fmt.Errorf("store: %q is not an object hash", h)
	}
	p := s.objectPath(h)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("store: object %s: %w", h[:12], err)
	}
	if HashBytes(b) != h {
		os.Remove(p)
		return nil, fmt.Errorf("store: object %s (%s): %w: its bytes hash to %s; removed", h[:12], p, ErrCorrupt, HashBytes(b)[:12])
	}
	return b, nil
}

// Has reports whether object h is present with a plausible size. It does
// not re-hash; Get does.
func (s *Store) Has(h string) bool {
	if !validHash(h) {
		return false
	}
	_, err := os.Stat(s.objectPath(h))
	return err == nil
}

// A Record is what one run of a stage produced: the run-cache entry of its key.
type Record struct {
	Stage   string             `json:"stage"`
	Key     string             `json:"key"`
	Outputs map[string]string  `json:"outputs"` // output name -> object hash
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// OutputHash is the content hash of all of the record's outputs together: what
// downstream keys depend on.
func (r *Record) OutputHash() string {
	names := make([]string, 0, len(r.Outputs))
	for n := range r.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s %s\n", n, r.Outputs[n])
	}
	return HashBytes(b.Bytes())
}

// PutRecord stores rec in the run cache under rec.Key.
func (s *Store) PutRecord(rec *Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	h, err := s.Put(b)
	if err != nil {
		return err
	}
	return WriteFileAtomic(s.runPath(rec.Key), []byte(h+"\n"))
}

// Record returns the run-cache entry of key, or nil if there is none. An entry
// whose record or outputs are missing or corrupt counts as none; the problem
// is returned as the second result so the caller can say why. Every output is
// read and checked against its hash.
func (s *Store) Record(key string) (*Record, error) {
	if !validHash(key) {
		return nil, fmt.Errorf("store: bad key %q", key)
	}
	b, err := os.ReadFile(s.runPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h := strings.TrimSpace(string(b))
	rb, err := s.Get(h)
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(rb, &rec); err != nil || rec.Key != key {
		return nil, fmt.Errorf("store: run record %s for key %s is malformed", h[:12], key[:12])
	}
	// Re-hash every output: a corrupt output makes the entry a miss (and
	// is removed), so the stage is recomputed rather than its bytes used.
	for _, name := range sortedKeys(rec.Outputs) {
		oh := rec.Outputs[name]
		if _, err := s.Get(oh); err != nil {
			return nil, fmt.Errorf("output %q of %s: %w", name, rec.Stage, err)
		}
	}
	return &rec, nil
}

// Keys lists every key in the run cache.
func (s *Store) Keys() ([]string, error) {
	var keys []string
	err := filepath.WalkDir(filepath.Join(s.Dir, "runs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && validHash(d.Name()) {
			keys = append(keys, d.Name())
		}
		return nil
	})
	sort.Strings(keys)
	return keys, err
}

// Objects lists every object hash in the store with its size in bytes.
func (s *Store) Objects() (map[string]int64, error) {
	objs := map[string]int64{}
	err := filepath.WalkDir(filepath.Join(s.Dir, "objects"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		objs[d.Name()] = fi.Size()
		return nil
	})
	return objs, err
}

// A Problem is one corrupt or unreadable entry found by Verify.
type Problem struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Verify re-hashes every object and reads every run-cache entry. It changes
// nothing: corrupt objects are listed, not removed.
func (s *Store) Verify() ([]Problem, error) {
	var probs []Problem
	objs, err := s.Objects()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(objs))
	for h := range objs {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		p := s.objectPath(h)
		if !validHash(h) {
			probs = append(probs, Problem{p, "not named by a hash"})
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			probs = append(probs, Problem{p, err.Error()})
			continue
		}
		if got := HashBytes(b); got != h {
			probs = append(probs, Problem{p, fmt.Sprintf("content hashes to %s (%d bytes)", got[:12], len(b))})
		}
	}
	keys, err := s.Keys()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		b, err := os.ReadFile(s.runPath(k))
		h := strings.TrimSpace(string(b))
		if err != nil || !validHash(h) {
			probs = append(probs, Problem{s.runPath(k), "run-cache entry is not an object hash"})
			continue
		}
		if _, ok := objs[h]; !ok {
			probs = append(probs, Problem{s.runPath(k), "its record object " + h[:12] + " is missing"})
		}
	}
	return probs, nil
}

// GC removes every object not reachable from the run cache or from keep (extra
// object hashes a caller wants kept, such as those named by lock files). It
// returns the removed hashes and their total size.
func (s *Store) GC(keep map[string]bool, dryRun bool) (removed []string, bytes int64, err error) {
	live := map[string]bool{}
	for h := range keep {
		live[h] = true
	}
	keys, err := s.Keys()
	if err != nil {
		return nil, 0, err
	}
	for _, k := range keys {
		b, err := os.ReadFile(s.runPath(k))
		if err != nil {
			continue
		}
		h := strings.TrimSpace(string(b))
		live[h] = true
		rb, err := os.ReadFile(s.objectPathSafe(h))
		if err != nil {
			continue
		}
		var rec Record
		if json.Unmarshal(rb, &rec) == nil {
			for _, oh := range rec.Outputs {
				live[oh] = true
			}
		}
	}
	objs, err := s.Objects()
	if err != nil {
		return nil, 0, err
	}
	for h, size := range objs {
		if live[h] {
			continue
		}
		removed = append(removed, h)
		bytes += size
		if !dryRun && validHash(h) {
			if err := os.Remove(s.objectPath(h)); err != nil {
				return removed, bytes, err
			}
		}
	}
	sort.Strings(removed)
	return removed, bytes, nil
}

func (s *Store) objectPathSafe(h string) string {
	if !validHash(h) {
		return filepath.Join(s.Dir, "objects", "invalid")
	}
	return s.objectPath(h)
}

// WriteFileAtomic writes b to path through a synced temporary file in the same
// directory and a rename, so readers see the old file or the new one, never a
// partial one.
func WriteFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
