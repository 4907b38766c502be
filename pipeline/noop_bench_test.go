package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The parts of a no-op rerun (`repro run` with every stage cached) that
// grow with the graph and its outputs, at the size of the default profile:
// about 680 stages, a lock of about 3 MB, and 90 MB of outputs re-hashed.
// BenchmarkNoopRun (cmd/repro) measures the engine's part whole; these
// isolate the lock and the store.

// benchLock is a lock shaped like the default profile's: n stages, each
// with parameters, inputs, outputs and per-seed metrics.
func benchLock(n int) *Lock {
	l := &Lock{Version: lockVersion, Profile: "default", Toolchain: "go1.26.0", Declarations: map[string]string{}, Stages: map[string]*LockStage{}}
	h := func(i int, what string) string { return HashBytes(fmt.Appendf(nil, "%s %d", what, i)) }
	for i := range 3000 {
		l.Declarations[fmt.Sprintf("github.com/repro-dev/repro/stages.decl%d", i)] = h(i, "decl")[:16]
	}
	for i := range n {
		name := fmt.Sprintf("neural/regression/grid/act=relu/lr=0.%d/arch=%d/seed=%d", i%7, i%11, i%5)
		params, _ := json.Marshal(map[string]any{"lr": 0.1, "arch": []int{2, 32, 32, 1}, "epochs": 400, "seed": i % 5,
			"train": map[string]any{"batch": 20, "optimizer": "adam", "schedule": "cosine"}})
		ls := &LockStage{Key: h(i, "key"), Func: "github.com/repro-dev/repro/stages.trainNet", Code: h(i, "code"), Params: params,
			Inputs: map[string]string{}, Outputs: map[string]string{"value": h(i, "out")}, Metrics: map[string]float64{}}
		for j := range 3 {
			ls.Inputs[fmt.Sprintf("terrain/split/%d", j)] = h(i*3+j, "in")
		}
		for j := range 12 {
			ls.Metrics[fmt.Sprintf("terrain.nn.relu.cell%d.metric%d", i, j)] = float64(j) / 7
		}
		l.Stages[name] = ls
	}
	return l
}

// BenchmarkParseLock: reading the default profile's lock, which a run does
// twice (the update of the lock, and the report's method timings).
func BenchmarkParseLock(b *testing.B) {
	raw, err := benchLock(680).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := ParseLock("repro.lock", raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreRecord: looking up a cached stage's record, which re-hashes
// every output: 680 records whose outputs total 90 MB, as in the default
// profile (a few outputs of several MB, most of a few kB).
func BenchmarkStoreRecord(b *testing.B) {
	st, err := OpenStore(filepath.Join(b.TempDir(), "artifacts"))
	if err != nil {
		b.Fatal(err)
	}
	var keys []string
	var total int64
	for i := range 680 {
		size := 20 << 10
		if i%60 == 0 {
			size = 7 << 20
		}
		out := make([]byte, size)
		for j := range out {
			out[j] = byte(i + j*31)
		}
		oh, err := st.Put(out)
		if err != nil {
			b.Fatal(err)
		}
		total += int64(size)
		key := HashBytes(fmt.Appendf(nil, "key %d", i))
		if err := st.PutRecord(&Record{Stage: fmt.Sprintf("s%d", i), Key: key, Outputs: map[string]string{"value": oh}}); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, key)
	}
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		for _, k := range keys {
			if rec, err := st.Record(k); err != nil || rec == nil {
				b.Fatalf("record %s: %v", k, err)
			}
		}
	}
}

// BenchmarkLockRewrite: the lock a run writes after a no-op, identical to
// the one it read.
func BenchmarkLockRewrite(b *testing.B) {
	path := filepath.Join(b.TempDir(), "repro.lock")
	if err := benchLock(680).Write(path); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l, err := ReadLock(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.WriteIfChanged(path); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		b.Fatal(err)
	}
}
