package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
)

// noisyCalls makes testNoisy a stage that is not reproducible: its output
// depends on how many times it ran, as if it read a clock or an unseeded
// random source.
var noisyCalls atomic.Int64

type noisyOut struct{ N int64 }

func (o noisyOut) Metrics() map[string]float64 { return map[string]float64{"test.noisy": float64(o.N)} }

func testNoisy(c *Context) (noisyOut, error) {
	xs, err := Input[[]int](c, "source")
	return noisyOut{N: int64(len(xs)) + noisyCalls.Add(1)}, err
}

// recomputeEnv is the engine test graph plus a stage that is not
// reproducible, fingerprinted from this file and engine_test.go.
func recomputeEnv(t *testing.T) (*testEnv, *Graph) {
	t.Helper()
	e := newTestEnv(t)
	fs := fstest.MapFS{"go.mod": {Data: []byte("module github.com/repro-dev/repro\n")}}
	for _, f := range []string{"engine_test.go", "reliability_test.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fs["pipeline/"+strings.TrimSuffix(f, "_test.go")+".go"] = &fstest.MapFile{Data: src}
	}
	fp, err := NewFingerprinter(fs)
	if err != nil {
		t.Fatal(err)
	}
	e.engine.Code = fp
	g := e.graph(3, false)
	if err := g.Add(Stage{Name: "noisy", Deps: []string{"source"}, Run: Func(testNoisy)}); err != nil {
		t.Fatal(err)
	}
	return e, g
}

func storeFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestRecomputeNamesIrreproducibleStages(t *testing.T) {
	e, g := recomputeEnv(t)
	ctx := context.Background()
	all := func(string) bool { return true }

	// Nothing has run: the stages cannot be keyed or compared.
	if _, err := e.engine.Recompute(ctx, g.Stages(), all, 0); err == nil || !strings.Contains(err.Error(), "not in the run cache: run it first") {
		t.Fatalf("Recompute before any run: err = %v, want \"not in the run cache: run it first\"", err)
	}
	if _, err := e.run(g); err != nil {
		t.Fatal(err)
	}
	files := storeFiles(t, e.engine.Store.Dir)

	res, err := e.engine.Recompute(ctx, g.Stages(), all, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names, bad []string
	for _, r := range res {
		names = append(names, r.Stage)
		if !r.Reproducible() {
			bad = append(bad, r.Stage)
		}
	}
	if got := strings.Join(names, ","); got != "source,double,square,sum,noisy" {
		t.Errorf("recomputed %s, want every stage in order", got)
	}
	if got := strings.Join(bad, ","); got != "noisy" {
		t.Errorf("not reproducible: %q, want only noisy", got)
	}
	noisy := res[len(res)-1]
	var kinds []string
	for _, d := range noisy.Diffs {
		kinds = append(kinds, d.Kind+" "+d.Name)
	}
	if got := strings.Join(kinds, ","); got != "output value,metric test.noisy" {
		t.Errorf("noisy diffs = %q (%v), want its value output and its metric", got, noisy.Diffs)
	}
	if got := storeFiles(t, e.engine.Store.Dir); got != files {
		t.Errorf("Recompute wrote to the store: %d files, want %d", got, files)
	}

	// A pattern reruns only the matching stages; the others only key them.
	calls := noisyCalls.Load()
	res, err = e.engine.Recompute(ctx, g.Stages(), func(n string) bool { return n == "double" }, 0)
	if err != nil || len(res) != 1 || res[0].Stage != "double" || !res[0].Reproducible() {
		t.Errorf("Recompute(double) = %v, %v; want double, reproducible", res, err)
	}
	if noisyCalls.Load() != calls {
		t.Error("Recompute(double) ran noisy")
	}

	// A cancelled context stops it.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.engine.Recompute(cctx, g.Stages(), all, 0); err == nil {
		t.Error("Recompute with a cancelled context returned no error")
	}
}

// putChildEnv names the store a re-executed test binary writes into for
// TestPutSurvivesSIGKILL.
const putChildEnv = "REPRO_TEST_PUT_CHILD"

// bigObject is object i of TestPutSurvivesSIGKILL: large, so that a kill
// lands inside a write.
func bigObject(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("object %08d ", i)), 300_000) // 4 MB
}

// TestPutSurvivesSIGKILL re-executes the test binary as a child that stores
// large objects and records in a loop, kills it with SIGKILL at random
// moments, and checks after each kill that the store holds no object whose
// bytes do not match its name and that every record the child finished is
// readable. A store that wrote objects in place (or renamed before syncing
// the whole file) fails here.
func TestPutSurvivesSIGKILL(t *testing.T) {
	if dir := os.Getenv(putChildEnv); dir != "" {
		st, err := OpenStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		// At most 50 objects, in case the parent is gone.
		for i := range 50 {
			h, err := st.Put(bigObject(i))
			if err != nil {
				t.Fatal(err)
			}
			rec := &Record{Stage: "big", Key: HashBytes([]byte(fmt.Sprint(i))), Outputs: map[string]string{"value": h}}
			if err := st.PutRecord(rec); err != nil {
				t.Fatal(err)
			}
			fmt.Printf("done %s\n", rec.Key)
		}
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	records := 0
	kills := 6
	if os.Getenv("RELIABILITY_STRESS") != "" {
		kills = 60
	}
	for kill := range kills {
		// A fresh store each time, so every child writes (rather than
		// finds) its objects, and the disk holds only a few of them.
		dir := filepath.Join(t.TempDir(), "store")
		cmd := exec.Command(os.Args[0], "-test.run=^TestPutSurvivesSIGKILL$")
		cmd.Env = append(os.Environ(), putChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it finish at least one object, then kill it at a random
		// moment of the following writes.
		first := <-lines
		timer := time.After(time.Duration(r.IntN(300)) * time.Millisecond)
		got := []string{first}
	wait:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("kill %d: the child exited by itself: %v", kill, cmd.Wait())
				}
				got = append(got, l)
			case <-timer:
				cmd.Process.Kill()
				break wait
			}
		}
		for l := range lines {
			got = append(got, l)
		}
		cmd.Wait()
		st, err := OpenStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		if probs, err := st.Verify(); err != nil || len(probs) > 0 {
			t.Fatalf("kill %d: Verify = %v, %v; want a clean store", kill, probs, err)
		}
		for _, l := range got {
			key, ok := strings.CutPrefix(l, "done ")
			if !ok {
				continue
			}
			if rec, err := st.Record(key); rec == nil || err != nil {
				t.Fatalf("kill %d: a record the child finished is unreadable: %v", kill, err)
			}
			records++
		}
		os.RemoveAll(dir)
	}
	t.Logf("%d finished records checked after %d kills", records, kills)
}

// TestPutIsNeverSeenHalfWritten watches an object's final path while Put
// writes it: what a watcher can see at any instant is what a process killed
// at that instant would leave behind, so the path must either not exist or
// hold every byte. A store that wrote in place (or skipped the rename) fails
// here deterministically, where random kills would need luck.
func TestPutIsNeverSeenHalfWritten(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		b := bytes.Repeat([]byte(fmt.Sprintf("watched %04d ", i)), 2_500_000) // 32 MB
		h := HashBytes(b)
		p := st.objectPath(h)
		stop := make(chan struct{})
		seen := make(chan []int64)
		go func() {
			var bad []int64
			for {
				select {
				case <-stop:
					seen <- bad
					return
				default:
				}
				if fi, err := os.Stat(p); err == nil && fi.Size() != int64(len(b)) {
					bad = append(bad, fi.Size())
				}
			}
		}()
		got, err := st.Put(b)
		close(stop)
		bad := <-seen
		if err != nil || got != h {
			t.Fatalf("Put = %s, %v", got, err)
		}
		if len(bad) > 0 {
			t.Fatalf("object %s was visible under its name with %d of %d bytes while being written", h[:12], bad[0], len(b))
		}
		if _, err := st.Get(h); err != nil {
			t.Fatal(err)
		}
	}
}
