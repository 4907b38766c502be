package pipeline

import (
	"strings"
	"testing"
)

// The forged-lock pull request in small: a lock whose keys are right but
// whose numbers were edited. Computed (what the store holds for the current
// keys) does not read the lock, so a diff against it shows the edit, and
// CheckStore names the stage and the metric.
func TestComputedAndCheckStore(t *testing.T) {
	e := newTestEnv(t)
	g := e.graph(3, false)
	res, err := e.run(g)
	if err != nil {
		t.Fatal(err)
	}
	lock := &Lock{}
	if err := lock.Update(res, e.engine); err != nil {
		t.Fatal(err)
	}
	computed, missing, err := e.engine.Computed(g.Stages())
	if err != nil || len(missing) > 0 {
		t.Fatalf("Computed: %v, missing %v", err, missing)
	}
	if d := DiffLocks(lock, computed); !d.Empty() {
		t.Errorf("the lock of a run differs from the computed one: %+v", d)
	}
	if bad, checked, err := e.engine.CheckStore(lock, computed); err != nil || len(bad) > 0 || checked != 4 {
		t.Errorf("CheckStore of an honest lock: %v, %d checked, %v", bad, checked, err)
	}

	// Forge: the metric and an output hash, keys untouched.
	enc, _ := lock.Encode()
	forged, err := ParseLock("forged", enc)
	if err != nil {
		t.Fatal(err)
	}
	forged.Stages["sum"].Metrics["test.total"] = 99
	if d := DiffLocks(lock, forged); len(d.Metrics) != 1 {
		t.Fatalf("the forgery is not a metric change: %+v", d.Metrics)
	}
	bad, _, err := e.engine.CheckStore(forged, nil)
	if err != nil || len(bad) != 1 || bad[0].Stage != "sum" || bad[0].State != StateDiffers ||
		!strings.Contains(strings.Join(bad[0].Reasons, "\n"), "metric test.total: the lock records 99, the store's record of the same key 26") {
		t.Errorf("CheckStore of a forged lock: %+v, %v", bad, err)
	}
	// With a made-up key the store has no record of: compared with the
	// record of the current key.
	forged.Stages["sum"].Key = HashBytes([]byte("made up"))
	if bad, _, _ := e.engine.CheckStore(forged, nil); len(bad) != 0 {
		t.Errorf("without the computed lock, a made-up key is not checked: %+v", bad)
	}
	bad, _, err = e.engine.CheckStore(forged, computed)
	if err != nil || len(bad) != 1 || bad[0].Stage != "sum" ||
		!strings.Contains(strings.Join(bad[0].Reasons, "\n"), "metric test.total: the lock records 99, the store's record of the current key "+shortHash(computed.Stages["sum"].Key)+" 26") {
		t.Errorf("CheckStore of a forged lock with a made-up key: %+v, %v", bad, err)
	}
	d := DiffLocks(forged, computed)
	if d.Empty() || len(d.Metrics) != 1 || d.Metrics[0].Name != "test.total" || *d.Metrics[0].B != 26 {
		t.Errorf("the forged lock against the computed one: %+v", d.Metrics)
	}

	// A store that lacks the results: every stage is missing, in order.
	e2 := newTestEnv(t)
	e2.graph(3, false)
	if _, missing, err := e2.engine.Computed(e2.engine.Graph.Stages()); err != nil || strings.Join(missing, ",") != "source,double,square,sum" {
		t.Errorf("Computed on an empty store: missing %v, %v", missing, err)
	}
}
