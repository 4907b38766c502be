package pipeline

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
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
	// Now is the clock of last-use marks (see Touch and Trim); nil means
	// time.Now.
	Now func() time.Time
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
		if old, err := ReadRegularFile(p, int64(len(b)), "an object"); err == nil && bytes.Equal(old, b) {
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
	b, err := ReadRegularFile(p, math.MaxInt64, "an object")
	if err != nil {
		return nil, fmt.Errorf("store: object %s: %w", h[:12], err)
	}
	if HashBytes(b) != h {
		os.Remove(p)
		return nil, fmt.Errorf("store: object %s (%s): %w: its bytes hash to %s; removed", h[:12], p, ErrCorrupt, HashBytes(b)[:12])
	}
	return b, nil
}

// checkObject re-hashes the object h of s, as Get does, without keeping
// its bytes: nil if it is present and sound, an error as Get's otherwise (a
// corrupt object is removed). A function, not a method: a method of Store
// is reached by the engine's code fingerprint (see lookupRecord).
func checkObject(s *Store, h string) error {
	if !validHash(h) {
		return fmt.Errorf("store: %q is not an object hash", h)
	}
	p := s.objectPath(h)
	got, err := HashRegularFile(p, math.MaxInt64, "an object")
	if err != nil {
		return fmt.Errorf("store: object %s: %w", h[:12], err)
	}
	if got != h {
		os.Remove(p)
		return fmt.Errorf("store: object %s (%s): %w: its bytes hash to %s; removed", h[:12], p, ErrCorrupt, got[:12])
	}
	return nil
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
	b, err := ReadRegularFile(s.runPath(key), maxRunEntryBytes, "a run-cache entry")
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

// lookupRecord is s.Record for the engine's cache lookups: each output is
// re-hashed as it streams from its file (checkObject), not read into
// memory whole, so that a run finding every stage cached does not allocate
// the outputs it only verifies (90 MB for the default profile). Record
// keeps its own code, and these are functions rather than methods of
// Store: the engine's code fingerprint (Engine.engineCode, a line of every
// key) reaches Record and every method of Store, so a change there would
// change every key.
func lookupRecord(s *Store, key string) (*Record, error) {
	if !validHash(key) {
		return nil, fmt.Errorf("store: bad key %q", key)
	}
	b, err := ReadRegularFile(s.runPath(key), maxRunEntryBytes, "a run-cache entry")
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
	for _, name := range sortedKeys(rec.Outputs) {
		if err := checkObject(s, rec.Outputs[name]); err != nil {
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

// Verify checks that the store holds what it should, and changes nothing
// (corrupt objects are listed, not removed). Under objects/ and runs/ every
// entry must be a directory of two hex digits holding regular files named by
// a hash that starts with those digits: a directory, a link or a special
// file where an object or a run record belongs, a stray file or directory,
// or a hash in the wrong directory is a problem. Every object is re-hashed;
// every run-cache entry must name a record object that decodes, is the
// record of its key and whose outputs are present. Temporary files of
// interrupted writes (.tmp-*) are not problems (gc and the next write deal
// with them). Other entries at the top of the store are not checked.
func (s *Store) Verify() ([]Problem, error) {
	var probs []Problem
	add := func(p, format string, args ...any) { probs = append(probs, Problem{p, fmt.Sprintf(format, args...)}) }
	objs := map[string]bool{}
	s.verifyTree("objects", "object", add, func(p, h string) {
		b, err := ReadRegularFile(p, math.MaxInt64, "an object")
		if err != nil {
			add(p, "%v", err)
			return
		}
		if got := HashBytes(b); got != h {
			add(p, "content hashes to %s (%d bytes)", got[:12], len(b))
			return
		}
		objs[h] = true
	})
	s.verifyTree("runs", "run-cache entry", add, func(p, key string) {
		b, err := ReadRegularFile(p, maxRunEntryBytes, "a run-cache entry")
		h := strings.TrimSpace(string(b))
		switch {
		case err != nil:
			add(p, "%v", err)
			return
		case !validHash(h):
			add(p, "run-cache entry is not an object hash")
			return
		case !objs[h]:
			if _, err := os.Lstat(s.objectPath(h)); err != nil {
				add(p, "its record object %s is missing", h[:12])
			}
			return // a corrupt record object is listed under objects/
		}
		var rec Record
		rb, _ := ReadRegularFile(s.objectPath(h), MaxRecordBytes, "a record")
		if err := json.Unmarshal(rb, &rec); err != nil {
			add(p, "its record object %s is not a run record: %v", h[:12], err)
			return
		}
		if rec.Key != key {
			add(p, "its record object %s is the record of key %.12s, not of this key", h[:12], rec.Key)
		}
		for _, name := range sortedKeys(rec.Outputs) {
			if oh := rec.Outputs[name]; !validHash(oh) || !objs[oh] {
				if _, err := os.Lstat(s.objectPathSafe(oh)); err != nil {
					add(p, "output %q of %s: object %.12s is missing", name, rec.Stage, oh)
				}
			}
		}
	})
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Path < probs[j].Path })
	return probs, nil
}

// verifyTree checks the layout of <dir>/<sub>: directories of two hex
// digits holding regular files named by a hash with that prefix, each handed
// to check with its path. what names an entry in problems ("object").
func (s *Store) verifyTree(sub, what string, add func(p, format string, args ...any), check func(p, h string)) {
	top := filepath.Join(s.Dir, sub)
	dirs, err := os.ReadDir(top)
	if err != nil {
		add(top, "%v", err)
		return
	}
	for _, d := range dirs {
		dp := filepath.Join(top, d.Name())
		if strings.HasPrefix(d.Name(), ".tmp-") {
			continue
		}
		if !d.IsDir() || len(d.Name()) != 2 || !validHex(d.Name()) {
			add(dp, "stray %s in %s/: want only directories named by the first two hex digits of a hash", entryKind(d.Type()), sub)
			continue
		}
		entries, err := os.ReadDir(dp)
		if err != nil {
			add(dp, "%v", err)
			continue
		}
		for _, e := range entries {
			p := filepath.Join(dp, e.Name())
			name, side := e.Name(), false
			if sub == "runs" && strings.HasSuffix(name, ".sig") {
				// The side file of a pulled entry (see PutPulled), checked
				// with the signatures, not here.
				name, side = strings.TrimSuffix(name, ".sig"), true
			}
			switch {
			case strings.HasPrefix(name, ".tmp-"):
			case !validHash(name):
				add(p, "stray %s: not named by a hash", entryKind(e.Type()))
			case name[:2] != d.Name():
				add(p, "%s in the wrong directory (%s/ holds hashes starting %s)", what, d.Name(), d.Name())
			case !e.Type().IsRegular():
				article := "a"
				if strings.IndexByte("aeiou", what[0]) >= 0 {
					article = "an"
				}
				add(p, "a %s where %s %s belongs", entryKind(e.Type()), article, what)
			case !side:
				check(p, name)
			}
		}
	}
}

// validHex reports whether s is lower-case hex digits, as hashes are named.
func validHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// entryKind names what a directory entry is.
func entryKind(t fs.FileMode) string {
	switch {
	case t.IsDir():
		return "directory"
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	case t.IsRegular():
		return "file"
	}
	return "special file"
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
		b, err := ReadRegularFile(s.runPath(k), maxRunEntryBytes, "a run-cache entry")
		if err != nil {
			continue
		}
		h := strings.TrimSpace(string(b))
		live[h] = true
		rb, err := ReadRegularFile(s.objectPathSafe(h), MaxRecordBytes, "a record")
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

// A WriteError is a failed write into the store, saying which store, what
// was being written, and whether the store is read-only or full.
type WriteError struct {
	Dir  string // the store's directory
	What string // what was being written: "object 3fa2c1d0e4b5 (output \"figure.svg\")", "state/quick.json"
	Err  error
}

func (e *WriteError) Error() string {
	cause := e.Err.Error()
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		cause = errno.Error() // the temporary file's name says nothing
	}
	switch {
	case IsReadOnly(e.Err):
		return fmt.Sprintf("store %s is read-only: cannot write %s: %s", e.Dir, e.What, cause)
	case IsFull(e.Err):
		return fmt.Sprintf("store %s is full: cannot write %s: %s", e.Dir, e.What, cause)
	}
	return fmt.Sprintf("store %s: cannot write %s: %s", e.Dir, e.What, cause)
}

func (e *WriteError) Unwrap() error { return e.Err }

// IsReadOnly reports whether err is a write refused by a read-only file
// system or by permissions.
func IsReadOnly(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
}

// IsFull reports whether err is a write that found no space (or no quota).
func IsFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// WriteErr wraps err, a failed write of what into the store, as a
// *WriteError (nil stays nil).
func (s *Store) WriteErr(what string, err error) error {
	if err == nil {
		return nil
	}
	var we *WriteError
	if errors.As(err, &we) {
		return err
	}
	return &WriteError{Dir: s.Dir, What: what, Err: err}
}

// WriteFile writes b to rel (a slash-separated path inside the store, such
// as "state/quick.json") atomically; a failure is a *WriteError.
func (s *Store) WriteFile(rel string, b []byte) error {
	return s.WriteErr(rel, WriteFileAtomic(filepath.Join(s.Dir, filepath.FromSlash(rel)), b))
}

// CheckWritable creates and removes a temporary file in the store, so that
// a command that writes learns at once, in one message, that it cannot: a
// *WriteError naming the store.
func (s *Store) CheckWritable() error {
	f, err := os.CreateTemp(s.Dir, ".tmp-probe-*")
	if err != nil {
		return s.WriteErr("a file in its top directory", err)
	}
	name := f.Name()
	f.Close()
	return s.WriteErr("a file in its top directory", os.Remove(name))
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
