package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
)

// A Remote is a shared store behind a URL (a shared file system, S3, GCS,
// Azure): the second level of the cache, behind the local Store. It holds
// the same two kinds of entry as the local store, under the same names:
//
//	objects/ab/abcdef...   an object, named by the sha256 of its bytes
//	runs/12/1234...        the hash of the Record object of a stage key
//
// Names are content-addressed, so writes are idempotent and need no lock:
// two machines uploading the same result write the same bytes. A writer
// uploads a stage's outputs, then its record, then the run entry, so a
// reader that finds a run entry finds what it names.
//
// The engine never trusts the remote: everything downloaded is checked
// against its hash before it enters the local store.
//
// Implementations (package remote, through gocloud.dev/blob) must be safe
// for concurrent use.
type Remote interface {
	// Get returns the bytes stored under name; an error wrapping
	// fs.ErrNotExist if there are none.
	Get(ctx context.Context, name string) ([]byte, error)
	// Put stores b under name; an error wrapping fs.ErrPermission means
	// the remote refuses writes (it can still be read).
	Put(ctx context.Context, name string, b []byte) error
	// Exists reports whether name is stored.
	Exists(ctx context.Context, name string) (bool, error)
	// String names the remote in messages (no credentials).
	String() string
}

// RemoteObjectName and RemoteRunName are the names of an object and of a
// key's run entry on a Remote.
func RemoteObjectName(h string) string { return "objects/" + h[:2] + "/" + h }

// RemoteRunName is the name of the run entry of key on a Remote.
func RemoteRunName(key string) string { return "runs/" + key[:2] + "/" + key }

// RemoteStats says what a run did with the remote.
type RemoteStats struct {
	Pulled, Pushed int    // stages downloaded, stages uploaded
	Degraded       string // why the remote was given up during the run, or ""
	ReadOnly       bool   // writes were refused; reads went on
}

// remoteState is the engine's view of the remote during a run: whether it
// still reads and writes, and which remote objects were found corrupt (to be
// uploaded again).
type remoteState struct {
	mu       sync.Mutex
	noRead   bool
	noWrite  bool
	warned   bool
	degraded string
	bad      map[string]bool
	pulled   int
	pushed   int
}

// RemoteStats returns what the last run did with the remote.
func (e *Engine) RemoteStats() RemoteStats {
	r := &e.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	return RemoteStats{Pulled: r.pulled, Pushed: r.pushed, Degraded: r.degraded, ReadOnly: r.noWrite && !r.noRead}
}

func (e *Engine) remoteCan(write bool) bool {
	if e.Remote == nil {
		return false
	}
	r := &e.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	if write {
		return !r.noWrite
	}
	return !r.noRead
}

// remoteFailed handles an error of the remote itself (not a missing or
// corrupt entry). With RemoteRequired it is the stage's error. Otherwise the
// run goes on with the local store only (or, if only writes are refused,
// without uploading), and the first such failure of the run is reported in
// one warning.
func (e *Engine) remoteFailed(stage, op string, err error) error {
	if e.RemoteRequired {
		return fmt.Errorf("remote store %s: %s: %w (--remote-required: not going on without it)", e.Remote, op, err)
	}
	r := &e.remote
	r.mu.Lock()
	refused := op == "upload" && errors.Is(err, fs.ErrPermission)
	var msg string
	if refused {
		r.noWrite = true
		msg = fmt.Sprintf("remote store %s refuses writes (%v): this run's results stay in the local store; downloads go on", e.Remote, err)
	} else {
		r.noRead, r.noWrite = true, true
		msg = fmt.Sprintf("remote store %s is unreachable (%s: %v): going on with the local store only; nothing more is downloaded or uploaded in this run", e.Remote, op, err)
	}
	if r.degraded == "" || !refused {
		r.degraded = msg
	}
	first := !r.warned
	r.warned = true
	r.mu.Unlock()
	if first {
		e.observe(Event{Kind: EventWarning, Stage: stage, Err: errors.New(msg)})
	}
	return nil
}

// errRemoteEntry is a missing, malformed or corrupt remote entry: the stage
// is computed (and uploaded again), the remote is not given up.
type errRemoteEntry struct{ msg string }

func (e errRemoteEntry) Error() string { return e.msg }

// remoteObject downloads object h and checks it against its name.
func (e *Engine) remoteObject(ctx context.Context, h string) ([]byte, error) {
	b, err := e.Remote.Get(ctx, RemoteObjectName(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errRemoteEntry{fmt.Sprintf("object %s is missing", h[:12])}
	}
	if err != nil {
		return nil, err
	}
	if got := HashBytes(b); got != h {
		e.remote.mu.Lock()
		if e.remote.bad == nil {
			e.remote.bad = map[string]bool{}
		}
		e.remote.bad[h] = true
		e.remote.mu.Unlock()
		return nil, errRemoteEntry{fmt.Sprintf("object %s is corrupt (its bytes hash to %s)", h[:12], got[:12])}
	}
	return b, nil
}

// pull looks key up in the remote run cache. On a hit it downloads the
// record and every output, checks each against its hash, stores them in the
// local store and returns the record; a miss, or an unusable entry (with a
// warning), returns nil. An error is returned only with RemoteRequired.
func (e *Engine) pull(ctx context.Context, s *Stage, key string) (*Record, error) {
	if !e.remoteCan(false) || ctx.Err() != nil {
		return nil, nil
	}
	rec, objs, err := e.fetch(ctx, s, key)
	var bad errRemoteEntry
	switch {
	case errors.As(err, &bad):
		e.observe(Event{Kind: EventWarning, Stage: s.Name, Err: fmt.Errorf("remote cache entry unusable, computing: %v", bad)})
		return nil, nil
	case err != nil:
		return nil, e.remoteFailed(s.Name, "download", err)
	case rec == nil:
		return nil, nil
	}
	// Outputs first, then the record and its run entry, as a run does.
	for _, h := range sortedKeys(objs) {
		if _, err := e.Store.Put(objs[h]); err != nil {
			return nil, err
		}
	}
	if err := e.Store.PutRecord(rec); err != nil {
		return nil, err
	}
	e.remote.mu.Lock()
	e.remote.pulled++
	e.remote.mu.Unlock()
	return rec, nil
}

// fetch downloads the remote entry of key: nil if there is none.
func (e *Engine) fetch(ctx context.Context, s *Stage, key string) (*Record, map[string][]byte, error) {
	b, err := e.Remote.Get(ctx, RemoteRunName(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	rh := strings.TrimSpace(string(b))
	if !validHash(rh) {
		return nil, nil, errRemoteEntry{fmt.Sprintf("run entry %s does not name an object", RemoteRunName(key))}
	}
	rb, err := e.remoteObject(ctx, rh)
	if err != nil {
		return nil, nil, err
	}
	var rec Record
	if err := json.Unmarshal(rb, &rec); err != nil || rec.Key != key || rec.Stage != s.Name {
		return nil, nil, errRemoteEntry{fmt.Sprintf("record %s is not a record of %s for key %s", rh[:12], s.Name, key[:12])}
	}
	objs := map[string][]byte{}
	for _, name := range sortedKeys(rec.Outputs) {
		h := rec.Outputs[name]
		if !validHash(h) {
			return nil, nil, errRemoteEntry{fmt.Sprintf("output %q is not an object hash", name)}
		}
		if _, ok := objs[h]; ok {
			continue
		}
		ob, err := e.remoteObject(ctx, h)
		if err != nil {
			return nil, nil, err
		}
		objs[h] = ob
	}
	return &rec, objs, nil
}

// push uploads what a stage produced: its outputs, its record, then its run
// entry. Objects already on the remote are not sent again (unless found
// corrupt). An error is returned only with RemoteRequired.
func (e *Engine) push(ctx context.Context, s *Stage, rec *Record, outputs map[string][]byte) error {
	if !e.remoteCan(true) || ctx.Err() != nil {
		return nil
	}
	rb, err := json.Marshal(rec) // the bytes Store.PutRecord stores
	if err != nil {
		return err
	}
	objs := map[string][]byte{}
	for _, b := range outputs {
		objs[HashBytes(b)] = b
	}
	rh := HashBytes(rb)
	delete(objs, rh)
	hs := append(sortedKeys(objs), rh) // the record goes last
	objs[rh] = rb
	for _, h := range hs {
		if err := e.putObject(ctx, h, objs[h]); err != nil {
			return e.remoteFailed(s.Name, "upload", err)
		}
	}
	if err := e.Remote.Put(ctx, RemoteRunName(rec.Key), []byte(rh+"\n")); err != nil {
		return e.remoteFailed(s.Name, "upload", err)
	}
	e.remote.mu.Lock()
	e.remote.pushed++
	e.remote.mu.Unlock()
	return nil
}

func (e *Engine) putObject(ctx context.Context, h string, b []byte) error {
	e.remote.mu.Lock()
	bad := e.remote.bad[h]
	e.remote.mu.Unlock()
	if !bad {
		ok, err := e.Remote.Exists(ctx, RemoteObjectName(h))
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return e.Remote.Put(ctx, RemoteObjectName(h), b)
}

// CheckRemote probes the remote once, before a run: it reads a name that
// need not exist. It returns the remote's error, if any.
func CheckRemote(ctx context.Context, r Remote) error {
	_, err := r.Exists(ctx, "runs/.probe")
	return err
}
