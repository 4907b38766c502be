package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// unusableRemote is a memRemote where some names are unusable, as a
// directory or a named pipe in a shared directory is (package remote wraps
// ErrUnusableEntry for them).
type unusableRemote struct {
	*memRemote
	bad map[string]bool
}

func (r *unusableRemote) err(name string) error {
	if r.bad[name] {
		return fmt.Errorf("%w %s: a directory, not a regular file", ErrUnusableEntry, name)
	}
	return nil
}

func (r *unusableRemote) Get(ctx context.Context, name string, max int64) ([]byte, error) {
	if err := r.err(name); err != nil {
		return nil, err
	}
	return r.memRemote.Get(ctx, name, max)
}

func (r *unusableRemote) Put(ctx context.Context, name string, b []byte) error {
	if err := r.err(name); err != nil {
		return err
	}
	return r.memRemote.Put(ctx, name, b)
}

func (r *unusableRemote) Exists(ctx context.Context, name string) (bool, error) {
	if err := r.err(name); err != nil {
		return false, err
	}
	return r.memRemote.Exists(ctx, name)
}

// One unusable entry (a run entry, an object) is a miss for the stage that
// needs it, with a warning naming it; every other stage is still pulled, and
// the remote is not given up for the rest of the run.
func TestRemoteUnusableEntryIsOneMiss(t *testing.T) {
	envs := newTestEnvs(t, 2)
	mem := newMemRemote()
	a, b := envs[0], envs[1]
	a.engine.Remote = mem
	ra, err := a.run(a.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	rem := &unusableRemote{memRemote: mem, bad: map[string]bool{
		RemoteRunName(ra.Outcomes["double"].Key):                        true, // a named pipe at a run entry
		RemoteObjectName(ra.Outcomes["square"].Record.Outputs["value"]): true, // a directory at an object
	}}
	b.engine.Remote = rem
	ws := warnings(b.engine)
	rb, err := b.run(b.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if sorted(rb.Ran) != "double,square" || sorted(rb.Pulled) != "source,sum" {
		t.Errorf("ran %v, pulled %v; want double and square computed, source and sum pulled", rb.Ran, rb.Pulled)
	}
	if st := b.engine.RemoteStats(); st.Degraded != "" {
		t.Errorf("one unusable entry gave up the remote: %s", st.Degraded)
	}
	var unusable, notUploaded int
	for _, w := range *ws {
		switch {
		case strings.Contains(w, "not uploaded"):
			notUploaded++
		case strings.Contains(w, "unusable") && strings.Contains(w, "not a regular file"):
			unusable++
		case strings.Contains(w, "unreachable"):
			t.Errorf("warning %q", w)
		}
	}
	if unusable != 2 {
		t.Errorf("warnings %q: want one per unusable entry", *ws)
	}
	// Uploading again: the run entry of double and the object of square
	// are still unusable; each is one warning, and the stage is not
	// uploaded, without giving up the remote.
	if notUploaded != 2 {
		t.Errorf("warnings %q: want one per stage that could not be uploaded", *ws)
	}
}

// After a key is removed from the trusted keys, the results pulled under it
// are misses at the next run, with a warning each naming the signer (not
// only after verify --purge-untrusted); KeepUntrusted uses them, with a
// warning each. Recomputed, an entry is local again.
func TestPulledUnderRemovedKeyIsAMiss(t *testing.T) {
	envs := newTestEnvs(t, 2)
	rem := newMemRemote()
	a, b := envs[0], envs[1]
	a.engine.Remote, b.engine.Remote = rem, rem
	if _, err := a.run(a.graph(3, false)); err != nil {
		t.Fatal(err)
	}
	oldKey, newKey := testKey(t, 1), testKey(t, 9)
	b.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{oldKey.PublicKey}})
	if rb, err := b.run(b.graph(3, false)); err != nil || len(rb.Pulled) != 4 {
		t.Fatalf("pulled %v, %v", rb.Pulled, err)
	}
	// The old key is removed; the remote is gone too (nothing is pulled
	// again): the local entries pulled under the old key must not be used.
	b.engine.Remote = nil
	b.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{newKey.PublicKey}, KeepUntrusted: true})
	ws := warnings(b.engine)
	rb, err := b.run(b.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Ran) != 0 || len(*ws) != 4 || !strings.Contains((*ws)[0], "--keep-untrusted") || !strings.Contains((*ws)[0], oldKey.ID) {
		t.Errorf("with KeepUntrusted: ran %v, warnings %q; want all cached, one warning each naming %s", rb.Ran, *ws, oldKey.ID)
	}
	// status agrees with run: not fresh, and why.
	st := &Engine{Store: b.engine.Store, Code: b.engine.Code, Root: b.dir}
	st.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{newKey.PublicKey}})
	lock, _ := ReadLock(filepath.Join(b.dir, "none.lock"))
	if err := lock.Update(rb, b.engine); err != nil {
		t.Fatal(err)
	}
	sts, err := st.Status(b.graph(3, false).Stages(), lock)
	if err != nil {
		t.Fatal(err)
	}
	if sts[0].State == StateFresh || !strings.Contains(strings.Join(sts[0].Reasons, " "), "no longer trusted") {
		t.Errorf("status of %s after its key was removed: %s %q, want stale, saying why", sts[0].Stage, sts[0].State, sts[0].Reasons)
	}
	b.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{newKey.PublicKey}})
	ws = warnings(b.engine)
	rb, err = b.run(b.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Ran) != 4 || len(*ws) != 4 || !strings.Contains((*ws)[0], "no longer trusted") || !strings.Contains((*ws)[0], oldKey.ID) || !strings.Contains((*ws)[0], "--purge-untrusted") {
		t.Errorf("old key removed: ran %v, warnings %q; want all four computed again, one warning each naming %s", rb.Ran, *ws, oldKey.ID)
	}
	if st := b.engine.RemoteStats(); st.Distrusted != 8 {
		t.Errorf("RemoteStats.Distrusted = %d, want 8", st.Distrusted)
	}
	// Computed here, they are local: the next run uses them silently.
	ws = warnings(b.engine)
	if rb, err := b.run(b.graph(3, false)); err != nil || len(rb.Ran) != 0 || len(*ws) != 0 {
		t.Errorf("after recomputing: ran %v, warnings %q, %v", rb.Ran, *ws, err)
	}
	// Without trusted keys nothing is checked (unauthenticated, as a pull).
	if n, _, _ := b.engine.Store.CheckPulled(NewTrust(nil, nil)); n != 0 {
		t.Errorf("%d entries still count as pulled", n)
	}
}
