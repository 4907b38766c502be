package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chainAndFan declares a fan (a root read by three leaves) and then a
// chain of three: fan/root -> fan/leaf1..3, chain/1 -> chain/2 -> chain/3.
func chainAndFan() []*Stage {
	return []*Stage{
		{Name: "fan/root"},
		{Name: "fan/leaf1", Deps: []string{"fan/root"}},
		{Name: "fan/leaf2", Deps: []string{"fan/root"}},
		{Name: "fan/leaf3", Deps: []string{"fan/root"}},
		{Name: "chain/1"},
		{Name: "chain/2", Deps: []string{"chain/1"}},
		{Name: "chain/3", Deps: []string{"chain/2"}},
	}
}

func TestPriorities(t *testing.T) {
	for _, tc := range []struct {
		name     string
		expected map[string]float64
		want     map[string]float64
		first    string // the stage ranked first
	}{
		{
			name:     "nothing timed: the longest chain by count",
			expected: nil,
			want:     map[string]float64{"fan/root": 2, "fan/leaf1": 1, "fan/leaf2": 1, "fan/leaf3": 1, "chain/1": 3, "chain/2": 2, "chain/3": 1},
			first:    "chain/1",
		},
		{
			name:     "known times: a wide fan of long leaves beats a chain of short stages",
			expected: map[string]float64{"fan/root": 1, "fan/leaf1": 2, "fan/leaf2": 9, "fan/leaf3": 3, "chain/1": 2, "chain/2": 2, "chain/3": 2},
			want:     map[string]float64{"fan/root": 10, "fan/leaf1": 2, "fan/leaf2": 9, "fan/leaf3": 3, "chain/1": 6, "chain/2": 4, "chain/3": 2},
			first:    "fan/root",
		},
		{
			name:     "known times: a chain of long stages beats a wide fan",
			expected: map[string]float64{"fan/root": 1, "fan/leaf1": 1, "fan/leaf2": 1, "fan/leaf3": 1, "chain/1": 5, "chain/2": 5, "chain/3": 5},
			want:     map[string]float64{"fan/root": 2, "fan/leaf1": 1, "fan/leaf2": 1, "fan/leaf3": 1, "chain/1": 15, "chain/2": 10, "chain/3": 5},
			first:    "chain/1",
		},
		{
			// Known: 1, 4, 10, 20; median 7 for the three never timed.
			name:     "some unknown: the median of the known times",
			expected: map[string]float64{"fan/root": 1, "fan/leaf1": 20, "chain/1": 4, "chain/3": 10, "fan/leaf2": 0},
			want:     map[string]float64{"fan/root": 21, "fan/leaf1": 20, "fan/leaf2": 7, "fan/leaf3": 7, "chain/1": 21, "chain/2": 17, "chain/3": 10},
			first:    "fan/root", // a tie with chain/1: declared first
		},
		{
			name:     "timings of stages outside the run count for nothing",
			expected: map[string]float64{"elsewhere": 100},
			want:     map[string]float64{"fan/root": 2, "fan/leaf1": 1, "fan/leaf2": 1, "fan/leaf3": 1, "chain/1": 3, "chain/2": 2, "chain/3": 1},
			first:    "chain/1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stages := chainAndFan()
			got := priorities(stages, tc.expected)
			for _, s := range stages {
				if got[s.Name] != tc.want[s.Name] {
					t.Errorf("prio(%s) = %v, want %v", s.Name, got[s.Name], tc.want[s.Name])
				}
			}
			if len(got) != len(stages) {
				t.Errorf("got %d priorities, want %d", len(got), len(stages))
			}
			rank := scheduleRanks(stages, tc.expected)
			for n, r := range rank {
				if r == 0 && n != tc.first {
					t.Errorf("ranked first: %s, want %s", n, tc.first)
				}
			}
		})
	}
}

func TestScheduleRanksTiesInDeclarationOrder(t *testing.T) {
	var stages []*Stage
	for i := range 5 {
		stages = append(stages, &Stage{Name: fmt.Sprintf("s%d", 4-i)})
	}
	rank := scheduleRanks(stages, nil)
	for i, s := range stages {
		if rank[s.Name] != i {
			t.Errorf("rank(%s) = %d, want %d (declaration order)", s.Name, rank[s.Name], i)
		}
	}
}

func writeTiming(t *testing.T, dir, stage, key string, seconds float64, finished string) {
	t.Helper()
	p := filepath.Join(dir, "timings", key[:2], key+".json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	b := fmt.Sprintf(`{"stage": %q, "key": %q, "seconds": %v, "finished": %q, "jobs": 2}`, stage, key, seconds, finished)
	if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStoreStageTimes(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writeTiming(t, st.Dir, "a", "aa01", 3, "2025-01-01T10:00:00Z")
	writeTiming(t, st.Dir, "a", "ab02", 5, "2025-01-02T10:00:00Z") // the latest run of a
	writeTiming(t, st.Dir, "b", "bb01", 7, "2025-01-01T10:00:00Z")
	writeTiming(t, st.Dir, "other", "cc01", 9, "2025-01-03T10:00:00Z")
	if err := os.WriteFile(filepath.Join(st.Dir, "timings", "aa", "dd01.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := st.stageTimes(map[string]bool{"a": true, "b": true, "c": true})
	want := map[string]float64{"a": 5, "b": 7}
	if len(got) != len(want) || got["a"] != want["a"] || got["b"] != want["b"] {
		t.Errorf("stageTimes = %v, want %v", got, want)
	}
}

// runOneWorker runs chainAndFan with the fan declared first, wired to the
// test's stage function, on an engine with one worker; it returns the order
// in which the stages started.
func runOneWorker(t *testing.T, e *testEnv) []string {
	t.Helper()
	g := NewGraph()
	for i, s := range chainAndFan() {
		s.Params = numParams{N: i + 1}
		s.Run = Func(testSource)
		if err := g.Add(*s); err != nil {
			t.Fatal(err)
		}
	}
	e.engine.Graph = g
	e.engine.Jobs = 1
	var started []string
	e.engine.Observe = func(ev Event) {
		if ev.Kind == EventStart {
			started = append(started, ev.Stage)
		}
	}
	res, err := e.run(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Ran) != 7 {
		t.Fatalf("ran %v, want all 7 stages", res.Ran)
	}
	return started
}

func TestSchedulerStartsLongestChainFirst(t *testing.T) {
	for _, tc := range []struct {
		name     string
		expected map[string]float64
		timings  bool // give the durations as timing files in the store instead of Engine.Expected
		want     string
	}{
		{
			name: "nothing timed: the longest chain by count",
			// chain/2 ties with fan/root, declared first.
			want: "chain/1 fan/root chain/2 fan/leaf1 fan/leaf2 fan/leaf3 chain/3",
		},
		{
			name:     "the chain is long",
			expected: map[string]float64{"fan/root": 1, "fan/leaf1": 1, "fan/leaf2": 1, "fan/leaf3": 1, "chain/1": 3, "chain/2": 3, "chain/3": 3},
			want:     "chain/1 chain/2 chain/3 fan/root fan/leaf1 fan/leaf2 fan/leaf3",
		},
		{
			name:     "the fan is long, from the store's timings",
			expected: map[string]float64{"fan/root": 1, "fan/leaf1": 3, "fan/leaf2": 9, "fan/leaf3": 3, "chain/1": 2, "chain/2": 2, "chain/3": 2},
			timings:  true,
			want:     "fan/root fan/leaf2 chain/1 chain/2 fan/leaf1 fan/leaf3 chain/3",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			if tc.timings {
				i := 0
				for n, d := range tc.expected {
					i++
					writeTiming(t, e.engine.Store.Dir, n, fmt.Sprintf("%02x%062x", i, i), d, "2025-01-01T10:00:00Z")
				}
			} else {
				e.engine.Expected = tc.expected
			}
			if got := strings.Join(runOneWorker(t, e), " "); got != tc.want {
				t.Errorf("started %s\nwant    %s", got, tc.want)
			}
		})
	}
}
