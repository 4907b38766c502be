package pipeline

import (
	"context"
	"fmt"
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
