package pipeline

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"sync"
)

// Scheduling: which waiting stage gets the next free worker.
//
// Every stage of a run has a priority, its own expected wall time plus the
// longest expected chain of the stages of the run below it:
//
//	prio(s) = dur(s) + max over stages d that read s of prio(d)   (0 when none does)
//
// A free worker goes to the waiting stage of highest priority (ties: the one
// declared first), so the longest remaining chains start first and the end
// of a run is not one long stage on one core. The order changes no key and
// no output.

// defaultDuration is every stage's expected wall time when no stage of the
// run was ever timed: the priority is then the length of the longest chain
// below a stage, counted in stages.
const defaultDuration = 1.0

// priorities is prio(s) for every stage of stages, whose deps must all be
// in stages (as Run checks). dur(s) is expected[s.Name] when positive, else
// the median of the positive expected times of stages, else defaultDuration.
func priorities(stages []*Stage, expected map[string]float64) map[string]float64 {
	var known []float64
	for _, s := range stages {
		if d := expected[s.Name]; d > 0 {
			known = append(known, d)
		}
	}
	def := defaultDuration
	if n := len(known); n > 0 {
		slices.Sort(known)
		def = (known[(n-1)/2] + known[n/2]) / 2
	}
	down := map[string][]string{}
	for _, s := range stages {
		for _, d := range s.Deps {
			down[d] = append(down[d], s.Name)
		}
	}
	prio := make(map[string]float64, len(stages))
	var visit func(string) float64
	visit = func(n string) float64 {
		if p, ok := prio[n]; ok {
			return p
		}
		tail := 0.0
		for _, d := range down[n] {
			tail = max(tail, visit(d))
		}
		own := expected[n]
		if own <= 0 {
			own = def
		}
		prio[n] = own + tail
		return prio[n]
	}
	for _, s := range stages {
		visit(s.Name)
	}
	return prio
}

// scheduleRanks numbers the stages in the order they get a worker when they
// wait for one together: highest priority first, ties in the order of
// stages (the order of declaration).
func scheduleRanks(stages []*Stage, expected map[string]float64) map[string]int {
	prio := priorities(stages, expected)
	order := slices.Clone(stages)
	sort.SliceStable(order, func(i, j int) bool { return prio[order[i].Name] > prio[order[j].Name] })
	rank := make(map[string]int, len(order))
	for i, s := range order {
		rank[s.Name] = i
	}
	return rank
}

// stageTimes reads, for the stages named in want, the wall time that earlier
// runs recorded in the store's timings/ (one file per key, kept by package
// session beside the run cache): for each stage name, the time of its most
// recently finished key. Unreadable files are skipped.
func (s *Store) stageTimes(want map[string]bool) map[string]float64 {
	files, _ := filepath.Glob(filepath.Join(s.Dir, "timings", "*", "*.json"))
	type timing struct {
		Stage    string  `json:"stage"`
		Key      string  `json:"key"`
		Seconds  float64 `json:"seconds"`
		Finished string  `json:"finished"`
	}
	latest := map[string]timing{}
	for _, f := range files {
		b, err := ReadRegularFile(f, MaxStateFileBytes, "a timing record")
		if err != nil {
			continue
		}
		var t timing
		if json.Unmarshal(b, &t) != nil || !want[t.Stage] || t.Seconds <= 0 {
			continue
		}
		// RFC 3339 times in UTC order as strings; the key breaks ties.
		if old, ok := latest[t.Stage]; ok && (t.Finished < old.Finished || t.Finished == old.Finished && t.Key < old.Key) {
			continue
		}
		latest[t.Stage] = t
	}
	out := make(map[string]float64, len(latest))
	for n, t := range latest {
		out[n] = t.Seconds
	}
	return out
}

// slots hands out the run's workers, one a stage, in the order of the
// stages' ranks. A stage made ready is "looking" while it computes its key
// and checks the local run cache (which takes no worker); a free worker
// waits for a looking stage that ranks above every waiting one, so the
// order does not depend on which lookup finishes first.
type slots struct {
	mu      sync.Mutex
	free    int
	ranks   func() map[string]int // called once, at the first request
	rank    map[string]int
	looking map[string]bool
	held    map[string]bool
	waiting []*slotWait // by rank
}

type slotWait struct {
	name    string
	rank    int
	granted chan struct{}
}

func newSlots(n int, ranks func() map[string]int) *slots {
	return &slots{free: n, ranks: ranks, looking: map[string]bool{}, held: map[string]bool{}}
}

// look marks a stage made ready: it is computing its key.
func (q *slots) look(name string) {
	q.mu.Lock()
	q.looking[name] = true
	q.mu.Unlock()
}

// decided marks a stage that no longer looks up its key: it was cached, it
// failed, or it will ask for a worker. Calling it twice is harmless.
func (q *slots) decided(name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.looking, name)
	q.dispatch()
}

// acquire waits for a worker for the stage name.
func (q *slots) acquire(ctx context.Context, name string) error {
	q.mu.Lock()
	if q.rank == nil {
		q.rank = q.ranks()
	}
	delete(q.looking, name)
	w := &slotWait{name: name, rank: q.rank[name], granted: make(chan struct{})}
	i, _ := slices.BinarySearchFunc(q.waiting, w.rank, func(x *slotWait, r int) int { return x.rank - r })
	q.waiting = slices.Insert(q.waiting, i, w)
	q.dispatch()
	q.mu.Unlock()
	select {
	case <-w.granted:
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-w.granted: // granted meanwhile: give it back
		delete(q.held, name)
		q.free++
	default:
		q.waiting = slices.DeleteFunc(q.waiting, func(x *slotWait) bool { return x == w })
	}
	q.dispatch()
	return ctx.Err()
}

// release gives back the worker of the stage name, if it holds one.
func (q *slots) release(name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.held[name] {
		delete(q.held, name)
		q.free++
	}
	q.dispatch()
}

// dispatch grants free workers to the best waiting stages, unless a stage
// still looking up its key ranks above them. q.mu is held.
func (q *slots) dispatch() {
	for q.free > 0 && len(q.waiting) > 0 {
		w := q.waiting[0]
		for n := range q.looking {
			if r, ok := q.rank[n]; ok && r < w.rank {
				return
			}
		}
		q.waiting = q.waiting[1:]
		q.free--
		q.held[w.name] = true
		close(w.granted)
	}
}
