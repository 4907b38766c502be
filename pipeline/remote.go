package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
// against its hash and size limit before it enters the local store, and,
// when the client trusts signing keys (RemotePolicy), a run entry is used
// only if a trusted key signed the record it names (docs/security.md).
//
// Implementations (package remote, through gocloud.dev/blob) must be safe
// for concurrent use.
type Remote interface {
	// Get returns the bytes stored under name; an error wrapping
	// fs.ErrNotExist if there are none, and one wrapping ErrTooLarge if
	// there are more than max (> 0) bytes, having read at most max+1.
	Get(ctx context.Context, name string, max int64) ([]byte, error)
	// Put stores b under name; an error wrapping fs.ErrPermission means
	// the remote refuses writes (it can still be read).
	Put(ctx context.Context, name string, b []byte) error
	// Exists reports whether name is stored.
	Exists(ctx context.Context, name string) (bool, error)
	// String names the remote in messages (no credentials).
	String() string
}

// ErrUnusableEntry is wrapped by a Remote's error about one name only (a
// directory or a named pipe where an object or run entry should be, an
// object it cannot read, a path that leads out of the store): that name is
// a miss for the stage that needs it (computed here, uploaded again if it
// can be), and the remote stays in use for the rest of the run. The error
// names the entry.
var ErrUnusableEntry = errors.New("unusable remote entry")

// RemoteObjectName and RemoteRunName are the names of an object and of a
// key's run entry on a Remote.
func RemoteObjectName(h string) string { return "objects/" + h[:2] + "/" + h }

// RemoteRunName is the name of the run entry of key on a Remote.
func RemoteRunName(key string) string { return "runs/" + key[:2] + "/" + key }

// A RemotePolicy says whom the engine trusts and what it may do with its
// Remote (docs/security.md).
type RemotePolicy struct {
	// Signer, if set, signs every run entry uploaded; its own key is
	// trusted implicitly.
	Signer *SigningKey
	// Trusted lists the public keys whose signed results a pull accepts
	// (store.trusted_keys). With no Trusted key and no Signer, results are
	// unauthenticated: everything is accepted and uploaded unsigned, with
	// one warning per run. With trusted keys but no Signer, nothing is
	// uploaded (one warning): no client that trusts keys would accept it.
	Trusted []PublicKey
	// ReadOnly pulls and uploads nothing (store.remote_mode: read,
	// --remote-readonly): for builds of untrusted code.
	ReadOnly bool
	// MaxObjectBytes caps each object downloaded (store.max_object_bytes;
	// 0: DefaultMaxObjectBytes). Records are capped at MaxRecordBytes,
	// run entries at MaxRunEntryBytes.
	MaxObjectBytes int64
	// KeepUntrusted uses results pulled earlier that the trusted keys no
	// longer vouch for (a signer removed from store.trusted_keys), with a
	// warning each; without it they are cache misses (--keep-untrusted).
	KeepUntrusted bool
}

// SetRemotePolicy sets how the engine uses its Remote; call it before Run.
func (e *Engine) SetRemotePolicy(p RemotePolicy) {
	r := &e.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	r.policy = p
	r.trust = NewTrust(p.Trusted, p.Signer)
}

// RemoteStats says what a run did with the remote.
type RemoteStats struct {
	Pulled, Pushed int    // stages downloaded, stages uploaded
	Refused        int    // remote results refused: not signed by a trusted key
	Distrusted     int    // results pulled earlier that no trusted key vouches for any more
	Degraded       string // why the remote was given up during the run, or ""
	ReadOnly       bool   // writes were refused; reads went on
	ReadOnlyMode   bool   // uploads were off by choice (RemotePolicy.ReadOnly)
	NoSigner       bool   // nothing was uploaded: trusted keys but no signing key
	Unsigned       bool   // results were unauthenticated: no trusted key, no signing key
}

// remoteState is the engine's view of the remote during a run: whether it
// still reads and writes, and which remote objects were found corrupt (to be
// uploaded again).
type remoteState struct {
	mu       sync.Mutex
	policy   RemotePolicy
	trust    *Trust
	noRead   bool
	noWrite  bool
	warned   bool
	degraded string
	bad      map[string]bool
	pulled   int
	pushed   int
	refused  int
	// results pulled earlier, found untrusted at lookup (cachedRecord)
	distrusted int
	// one warning each per run
	warnedUnsigned, warnedNoSigner bool
}

// RemoteStats returns what the last run did with the remote.
func (e *Engine) RemoteStats() RemoteStats {
	r := &e.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	return RemoteStats{Pulled: r.pulled, Pushed: r.pushed, Refused: r.refused, Distrusted: r.distrusted, Degraded: r.degraded, ReadOnly: r.noWrite && !r.noRead,
		ReadOnlyMode: r.policy.ReadOnly, NoSigner: r.warnedNoSigner, Unsigned: r.warnedUnsigned}
}

func (e *Engine) remoteCan(write bool) bool {
	if e.Remote == nil {
		return false
	}
	r := &e.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	if write {
		return !r.noWrite && !r.policy.ReadOnly
	}
	return !r.noRead
}

// remoteTrust returns the trusted keys (none if no policy was set).
func (e *Engine) remoteTrust() *Trust {
	r := &e.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trust == nil {
		r.trust = NewTrust(nil, nil)
	}
	return r.trust
}

// maxObject is the size limit of a downloaded object.
func (e *Engine) maxObject() int64 {
	r := &e.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.policy.MaxObjectBytes > 0 {
		return r.policy.MaxObjectBytes
	}
	return DefaultMaxObjectBytes
}

// warnOnce emits msg as a warning the first time *flag is false in a run.
func (e *Engine) warnOnce(flag *bool, stage, msg string) {
	r := &e.remote
	r.mu.Lock()
	first := !*flag
	*flag = true
	r.mu.Unlock()
	if first {
		e.observe(Event{Kind: EventWarning, Stage: stage, Err: errors.New(msg)})
	}
}

// warnUnsigned is the one warning of a run whose remote results are not
// authenticated.
func (e *Engine) warnUnsigned(stage string) {
	e.warnOnce(&e.remote.warnedUnsigned, stage, fmt.Sprintf("remote store %s: no trusted keys (store.trusted_keys) and no signing key (REPRO_SIGNING_KEY_FILE): remote results are unauthenticated, and anyone who can write to the store can change them (docs/security.md)", e.Remote))
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

// remoteObject downloads object h, of at most max bytes, and checks it
// against its name. An object too large or corrupt is uploaded again by the
// next push that has it.
func (e *Engine) remoteObject(ctx context.Context, h string, max int64) ([]byte, error) {
	b, err := e.Remote.Get(ctx, RemoteObjectName(h), max)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, errRemoteEntry{fmt.Sprintf("object %s is missing", h[:12])}
	case errors.Is(err, ErrTooLarge):
		e.markBad(h)
		return nil, errRemoteEntry{fmt.Sprintf("object %s is larger than the limit of %d bytes (store.max_object_bytes; records: %d)", h[:12], max, MaxRecordBytes)}
	case errors.Is(err, ErrUnusableEntry):
		e.markBad(h)
		return nil, errRemoteEntry{err.Error()}
	case err != nil:
		return nil, err
	}
	if got := HashBytes(b); got != h {
		e.markBad(h)
		return nil, errRemoteEntry{fmt.Sprintf("object %s is corrupt (its bytes hash to %s)", h[:12], got[:12])}
	}
	return b, nil
}

// markBad notes a remote object to be uploaded again even though it exists.
func (e *Engine) markBad(h string) {
	e.remote.mu.Lock()
	defer e.remote.mu.Unlock()
	if e.remote.bad == nil {
		e.remote.bad = map[string]bool{}
	}
	e.remote.bad[h] = true
}

// pull looks key up in the remote run cache. On a hit it downloads the
// record and every output, checks each against its hash, stores them in the
// local store and returns the record; a miss, or an unusable entry (with a
// warning), returns nil. An error is returned only with RemoteRequired.
func (e *Engine) pull(ctx context.Context, s *Stage, key string) (*Record, error) {
	if !e.remoteCan(false) || ctx.Err() != nil {
		return nil, nil
	}
	trust := e.remoteTrust()
	if trust.Len() == 0 {
		e.warnUnsigned(s.Name)
	}
	rec, ent, objs, err := e.fetch(ctx, s, key, trust)
	var bad errRemoteEntry
	var untrusted *Untrusted
	switch {
	case errors.As(err, &untrusted):
		e.remote.mu.Lock()
		e.remote.refused++
		e.remote.mu.Unlock()
		signer := "none"
		if untrusted.KeyID != "" {
			signer = untrusted.KeyID
		}
		e.observe(Event{Kind: EventWarning, Stage: s.Name, Err: fmt.Errorf("remote result refused (signer key id: %s): %s; computing it here", signer, untrusted.Reason)})
		return nil, nil
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
	if err := e.Store.PutPulled(rec, ent); err != nil {
		return nil, err
	}
	e.remote.mu.Lock()
	e.remote.pulled++
	e.remote.mu.Unlock()
	return rec, nil
}

// fetch downloads the remote entry of key: nil if there is none. In order,
// each step bounded in size: the run entry, whose signer must be trusted;
// the record, which must be the canonical record of this stage and key with
// well-formed output names, and whose signature must verify; then the
// outputs. Any failure is an errRemoteEntry or an *Untrusted (a miss), or an
// error of the remote itself.
func (e *Engine) fetch(ctx context.Context, s *Stage, key string, trust *Trust) (*Record, *RunEntry, map[string][]byte, error) {
	b, err := e.Remote.Get(ctx, RemoteRunName(key), MaxRunEntryBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, nil, nil
	case errors.Is(err, ErrTooLarge):
		return nil, nil, nil, errRemoteEntry{fmt.Sprintf("run entry %s is larger than %d bytes", RemoteRunName(key), MaxRunEntryBytes)}
	case errors.Is(err, ErrUnusableEntry):
		return nil, nil, nil, errRemoteEntry{err.Error()}
	case err != nil:
		return nil, nil, nil, err
	}
	ent, err := ParseRunEntry(b)
	if err != nil {
		return nil, nil, nil, errRemoteEntry{err.Error()}
	}
	if err := trust.CheckSigner(ent); err != nil {
		return nil, nil, nil, err
	}
	rb, err := e.remoteObject(ctx, ent.Record, min(MaxRecordBytes, e.maxObject()))
	if err != nil {
		return nil, nil, nil, err
	}
	rec, err := parseRemoteRecord(rb)
	if err != nil {
		return nil, nil, nil, errRemoteEntry{fmt.Sprintf("record %s: %v", ent.Record[:12], err)}
	}
	if rec.Key != key || rec.Stage != s.Name {
		// Quoted: the names come from the remote.
		return nil, nil, nil, &Untrusted{KeyID: ent.KeyID, Reason: fmt.Sprintf("the record it names is one of %q for key %q: copied from another entry", rec.Stage, rec.Key[:min(12, len(rec.Key))])}
	}
	if err := trust.Check(rec, ent); err != nil {
		return nil, nil, nil, err
	}
	objs := map[string][]byte{}
	max := e.maxObject()
	for _, name := range sortedKeys(rec.Outputs) {
		h := rec.Outputs[name]
		if _, ok := objs[h]; ok {
			continue
		}
		ob, err := e.remoteObject(ctx, h, max)
		if err != nil {
			return nil, nil, nil, err
		}
		objs[h] = ob
	}
	return rec, ent, objs, nil
}

// parseRemoteRecord decodes a downloaded record and checks it as strictly as
// one this engine writes: its output names obey the rules of local ones
// (CheckName: no "..", no absolute path), its hashes are hashes, and its
// bytes are exactly those the local store would write for it (so its local
// copy has the same hash).
func parseRemoteRecord(b []byte) (*Record, error) {
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("not a record: %v", err)
	}
	for _, name := range sortedKeys(rec.Outputs) {
		if err := CheckName("output", name); err != nil {
			return nil, err
		}
		if h := rec.Outputs[name]; len(h) != 64 || !isLowerHex(h) {
			return nil, fmt.Errorf("output %q is not an object hash", name)
		}
	}
	if canon, err := json.Marshal(&rec); err != nil || !bytes.Equal(canon, b) {
		return nil, errors.New("not in the canonical form this engine writes")
	}
	return &rec, nil
}

// push uploads what a stage produced: its outputs, its record, then its run
// entry. Objects already on the remote are not sent again (unless found
// corrupt). An error is returned only with RemoteRequired.
func (e *Engine) push(ctx context.Context, s *Stage, rec *Record, outputs map[string][]byte) error {
	// Computed here, the entry is local now, whatever it was before.
	if err := e.Store.forgetPulled(rec.Key); err != nil {
		return err
	}
	if !e.remoteCan(true) || ctx.Err() != nil {
		return nil
	}
	trust := e.remoteTrust()
	e.remote.mu.Lock()
	signer := e.remote.policy.Signer
	e.remote.mu.Unlock()
	switch {
	case signer == nil && trust.Len() > 0:
		e.warnOnce(&e.remote.warnedNoSigner, s.Name, fmt.Sprintf("remote store %s: this client trusts only signed results but has no signing key (REPRO_SIGNING_KEY_FILE): nothing it computes is uploaded (store.remote_mode: read, or --remote-readonly, says so and silences this)", e.Remote))
		return nil
	case trust.Len() == 0:
		e.warnUnsigned(s.Name)
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
			return e.pushFailed(s.Name, err)
		}
	}
	ent := &RunEntry{Record: rh}
	if signer != nil {
		ent = signer.Sign(rec, rh)
	}
	if err := e.Remote.Put(ctx, RemoteRunName(rec.Key), ent.Marshal()); err != nil {
		return e.pushFailed(s.Name, err)
	}
	e.remote.mu.Lock()
	e.remote.pushed++
	e.remote.mu.Unlock()
	return nil
}

// pushFailed handles an upload's error: one unusable name on the remote (a
// directory in the way) leaves this stage not uploaded, with a warning;
// anything else is the remote's failure (remoteFailed).
func (e *Engine) pushFailed(stage string, err error) error {
	if errors.Is(err, ErrUnusableEntry) && !e.RemoteRequired {
		e.observe(Event{Kind: EventWarning, Stage: stage, Err: fmt.Errorf("not uploaded to the remote store %s: %v", e.Remote, err)})
		return nil
	}
	return e.remoteFailed(stage, "upload", err)
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
