package session

import (
	"context"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

type params struct{ N int }

func testStage(_ pipeline.Ctx, p params, _ struct{}) (int, error) { return p.N, nil }

func engine(t *testing.T, dir string, n int) *pipeline.Engine {
	t.Helper()
	g := pipeline.NewGraph()
	pipeline.Add(g, "a", params{n}, struct{}{}, testStage)
	pipeline.Add(g, "b", params{7}, struct{}{}, testStage)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	fp, err := pipeline.NewFingerprinter(fstest.MapFS{
		"go.mod":       {Data: []byte("module github.com/repro-dev/repro\n")},
		"session/x.go": {Data: []byte("package session\n\nfunc testStage() {}\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.OpenStore(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Engine{Graph: g, Store: st, Code: fp, Root: dir, Jobs: 1}
}

func TestRecord(t *testing.T) {
	dir := t.TempDir()
	lockPath := filepath.Join(dir, "repro.lock")
	e := engine(t, dir, 1)
	res, err := e.Run(context.Background(), e.Graph.Stages())
	if err != nil {
		t.Fatal(err)
	}
	s := Session{Engine: e, Profile: "quick", LockPath: lockPath}
	st, err := s.Record(res, time.Now(), true)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stages["a"].State != "ran" || st.Stages["a"].RanSeconds <= 0 {
		t.Errorf("state of a: %+v", st.Stages["a"])
	}
	lock, _ := pipeline.ReadLock(lockPath)
	if lock.Profile != "quick" || len(lock.Stages) != 2 {
		t.Errorf("lock: profile %q, %d stages", lock.Profile, len(lock.Stages))
	}
	tm, ok := ReadTiming(e.Store.Dir, lock.Stages["a"].Key)
	if !ok || tm.Stage != "a" || tm.Machine.Cores < 1 {
		t.Errorf("timing of a: %+v, %v", tm, ok)
	}
	// A second run finds both cached: the state keeps how long they took
	// when they ran, and the timing is still there.
	e = engine(t, dir, 1)
	res, _ = e.Run(context.Background(), e.Graph.Stages())
	st, _ = s.Record(res, time.Now(), true)
	if a := st.Stages["a"]; a.State != "cached" || a.LastRan() <= 0 {
		t.Errorf("cached a: %+v", a)
	}
	if got, err := ReadState(e.Store.Dir, "quick"); err != nil || got.Stages["b"].State != "cached" {
		t.Errorf("ReadState: %+v, %v", got, err)
	}
	// A sharded run writes no lock.
	e = engine(t, dir, 2)
	res, _ = e.Run(context.Background(), e.Graph.Stages())
	before := lock.Stages["a"].Key
	if _, err := (Session{Engine: e, Profile: "quick", LockPath: lockPath}).Record(res, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	if l, _ := pipeline.ReadLock(lockPath); l.Stages["a"].Key != before {
		t.Error("a run told not to write the lock wrote it")
	}
}
