package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// memRemote is a Remote in memory that can be told to fail.
type memRemote struct {
	mu       sync.Mutex
	m        map[string][]byte
	down     bool // every call fails as a network error would
	readOnly bool // Put fails with fs.ErrPermission
	failAt   int  // if > 0, go down at this call
	calls    int
	puts     int
}

func newMemRemote() *memRemote { return &memRemote{m: map[string][]byte{}} }

func (r *memRemote) call() error {
	r.calls++
	if r.failAt > 0 && r.calls >= r.failAt {
		r.down = true
	}
	if r.down {
		return errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	}
	return nil
}

func (r *memRemote) Get(_ context.Context, name string, max int64) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.call(); err != nil {
		return nil, err
	}
	b, ok := r.m[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	return append([]byte(nil), b...), nil
}

func (r *memRemote) Put(_ context.Context, name string, b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.call(); err != nil {
		return err
	}
	if r.readOnly {
		return fmt.Errorf("%s: %w", name, fs.ErrPermission)
	}
	r.puts++
	r.m[name] = append([]byte(nil), b...)
	return nil
}

func (r *memRemote) Exists(_ context.Context, name string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.call(); err != nil {
		return false, err
	}
	_, ok := r.m[name]
	return ok, nil
}

func (r *memRemote) String() string { return "mem://test" }

// newTestEnvs returns n engines, each with its own project and local store,
// whose stage functions are those of engine_test.go and shard_test.go.
func newTestEnvs(t *testing.T, n int) []*testEnv {
	t.Helper()
	fsys := fstest.MapFS{"go.mod": {Data: []byte("module github.com/repro-dev/repro\n")}}
	for _, f := range []string{"engine_test.go", "shard_test.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fsys["pipeline/"+strings.TrimSuffix(f, "_test.go")+"_stages.go"] = &fstest.MapFile{Data: src}
	}
	fp, err := NewFingerprinter(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var envs []*testEnv
	for i := 0; i < n; i++ {
		dir := t.TempDir()
		st, err := OpenStore(filepath.Join(dir, "artifacts"))
		if err != nil {
			t.Fatal(err)
		}
		e := &Engine{Store: st, Code: fp, Root: dir, Jobs: 2}
		// Every machine signs with the same (honest) key, and so trusts it.
		e.SetRemotePolicy(RemotePolicy{Signer: testKey(t, 1)})
		envs = append(envs, &testEnv{t: t, dir: dir, engine: e})
	}
	return envs
}

// testKey is a signing key made from a fixed seed.
func testKey(t testing.TB, seed byte) *SigningKey {
	t.Helper()
	k, err := GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// warnings collects the engine's warnings.
func warnings(e *Engine) *[]string {
	var mu sync.Mutex
	var ws []string
	e.Observe = func(ev Event) {
		if ev.Kind == EventWarning {
			mu.Lock()
			ws = append(ws, ev.Err.Error())
			mu.Unlock()
		}
	}
	return &ws
}

func TestRemotePushThenPull(t *testing.T) {
	envs := newTestEnvs(t, 2)
	rem := newMemRemote()
	a, b := envs[0], envs[1]
	a.engine.Remote, b.engine.Remote = rem, rem
	ra, err := a.run(a.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if st := a.engine.RemoteStats(); st.Pushed != 4 || st.Pulled != 0 {
		t.Errorf("first machine: %+v, want 4 pushed", st)
	}
	for _, o := range ra.Outcomes {
		if _, ok := rem.m[RemoteRunName(o.Key)]; !ok {
			t.Errorf("%s: no run entry on the remote", o.Stage.Name)
		}
	}
	// A second machine downloads everything and runs nothing.
	ws := warnings(b.engine)
	rb, err := b.run(b.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Ran) != 0 || sorted(rb.Pulled) != "double,source,square,sum" || sorted(rb.Cached) != sorted(rb.Pulled) {
		t.Errorf("second machine ran %v, pulled %v; want all four pulled", rb.Ran, rb.Pulled)
	}
	if len(*ws) != 0 {
		t.Errorf("warnings: %v", *ws)
	}
	if got, _ := os.ReadFile(filepath.Join(b.dir, "artifacts/total.txt")); string(got) != strings.Repeat("x", 26%7) {
		t.Errorf("pulled stage not exported: %q", got)
	}
	for name, o := range rb.Outcomes {
		if o.Key != ra.Outcomes[name].Key || o.Record.OutputHash() != ra.Outcomes[name].Record.OutputHash() {
			t.Errorf("%s: pulled record differs", name)
		}
	}
	// It is now in the local store: a third run neither pulls nor runs.
	rem.down = true
	rc, err := b.run(b.graph(3, false))
	if err != nil || len(rc.Ran) != 0 || len(rc.Pulled) != 0 {
		t.Errorf("warm run: ran %v pulled %v err %v", rc.Ran, rc.Pulled, err)
	}
	if probs, _ := b.engine.Store.Verify(); len(probs) != 0 {
		t.Errorf("local store after pulling: %v", probs)
	}
	// Uploading again is idempotent: nothing new is written.
	rem.down = false
	puts := rem.puts
	a.engine.Force = true
	if _, err := a.run(a.graph(3, false)); err != nil {
		t.Fatal(err)
	}
	if rem.puts-puts != 4 {
		t.Errorf("a forced rerun wrote %d names, want only the 4 run entries (objects are there)", rem.puts-puts)
	}
}

func TestRemoteCorruptEntryIsRecomputed(t *testing.T) {
	envs := newTestEnvs(t, 2)
	rem := newMemRemote()
	a, b := envs[0], envs[1]
	a.engine.Remote, b.engine.Remote = rem, rem
	ra, err := a.run(a.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	h := ra.Outcomes["double"].Record.Outputs["value"]
	rem.m[RemoteObjectName(h)][0] ^= 0xff
	ws := warnings(b.engine)
	rb, err := b.run(b.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if sorted(rb.Ran) != "double" || len(*ws) != 1 || !strings.Contains((*ws)[0], "corrupt") {
		t.Errorf("ran %v, warnings %v; want double recomputed with one warning naming the corrupt object", rb.Ran, *ws)
	}
	if got := HashBytes(rem.m[RemoteObjectName(h)]); got != h {
		t.Error("the corrupt remote object was not uploaded again")
	}
	if st := b.engine.RemoteStats(); st.Degraded != "" {
		t.Errorf("a corrupt entry gave up the remote: %s", st.Degraded)
	}
}

func TestRemoteDownDegradesWithOneWarning(t *testing.T) {
	for _, failAt := range []int{1, 2, 5, 9} {
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			e := newTestEnvs(t, 1)[0]
			rem := newMemRemote()
			rem.failAt = failAt
			e.engine.Remote = rem
			ws := warnings(e.engine)
			res, err := e.run(e.graph(3, false))
			if err != nil {
				t.Fatalf("a failing remote failed the run: %v", err)
			}
			if len(res.Ran) != 4 {
				t.Errorf("ran %v", res.Ran)
			}
			if len(*ws) != 1 || !strings.Contains((*ws)[0], "unreachable") || !strings.Contains((*ws)[0], "local store only") {
				t.Errorf("warnings = %q, want exactly one saying the remote is unreachable", *ws)
			}
			if st := e.engine.RemoteStats(); st.Degraded == "" {
				t.Error("RemoteStats does not say the remote was given up")
			}
		})
	}
}

func TestRemoteRefusingWritesStillServesReads(t *testing.T) {
	envs := newTestEnvs(t, 2)
	rem := newMemRemote()
	a, b := envs[0], envs[1]
	a.engine.Remote = rem
	if _, err := a.run(a.graph(3, false)); err != nil {
		t.Fatal(err)
	}
	rem.readOnly = true
	b.engine.Remote = rem
	ws := warnings(b.engine)
	// New keys: they run, and their upload is refused.
	rb, err := b.run(b.graph(5, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Ran) != 4 || len(*ws) != 1 || !strings.Contains((*ws)[0], "refuses writes") {
		t.Errorf("ran %v, warnings %q; want one warning that the remote refuses writes", rb.Ran, *ws)
	}
	// Reads go on: the first machine's results are downloaded.
	rb, err = b.run(b.graph(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Pulled) != 4 || len(*ws) != 1 {
		t.Errorf("pulled %v, warnings %q; want all four pulled and no new warning", rb.Pulled, *ws)
	}
	if st := b.engine.RemoteStats(); !st.ReadOnly || st.Pulled != 4 || st.Pushed != 0 {
		t.Errorf("RemoteStats = %+v, want read-only, 4 pulled", st)
	}
}

func TestRemoteRequiredFailsTheRun(t *testing.T) {
	e := newTestEnvs(t, 1)[0]
	rem := newMemRemote()
	rem.down = true
	e.engine.Remote, e.engine.RemoteRequired = rem, true
	_, err := e.run(e.graph(3, false))
	if err == nil || !IsStageError(err) || !strings.Contains(err.Error(), "--remote-required") {
		t.Errorf("err = %v, want a stage error naming --remote-required", err)
	}
}

func TestCheckRemote(t *testing.T) {
	rem := newMemRemote()
	if err := CheckRemote(context.Background(), rem); err != nil {
		t.Errorf("CheckRemote of a working remote: %v", err)
	}
	rem.down = true
	if err := CheckRemote(context.Background(), rem); err == nil {
		t.Error("CheckRemote of a down remote: nil")
	}
}
