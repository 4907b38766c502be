package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// Computed returns the lock of what the store holds for the stages' current
// keys: for each stage, in order, its key given its inputs' records, and
// the outputs and metrics of the store's record of that key. It runs
// nothing and does not read the lock file, so it is what a CI job computed
// (after `repro run`), whatever lock a pull request committed. missing
// lists the stages whose key the store lacks (or that follow one); the lock
// then holds only the others.
func (e *Engine) Computed(stages []*Stage) (lock *Lock, missing []string, err error) {
	defer e.Code.Flush()
	l := &Lock{Version: lockVersion, Toolchain: Toolchain(), Lang: e.Code.Lang, Engine: e.engineCode(),
		Build: append([]string{}, e.Code.Build.Settings...), Declarations: map[string]string{}, Stages: map[string]*LockStage{}}
	recs := map[string]*Record{}
	for _, s := range stages {
		ready := true
		for _, d := range s.Deps {
			if recs[d] == nil {
				ready = false
			}
		}
		if !ready {
			missing = append(missing, s.Name)
			continue
		}
		p, err := e.prepare(s, recs)
		if err != nil {
			return nil, nil, err
		}
		rec, rerr := e.Store.Record(p.Key)
		if rec == nil {
			why := s.Name
			if rerr != nil {
				why += " (" + rerr.Error() + ")"
			}
			missing = append(missing, why)
			continue
		}
		recs[s.Name] = rec
		ls := &LockStage{Key: p.Key, Func: s.Run.name, Code: p.Code.Fingerprint, Params: p.Params,
			Inputs: p.Inputs, Files: p.Files, Modules: p.Modules, Outputs: rec.Outputs, Metrics: rec.Metrics}
		if len(ls.Inputs) == 0 {
			ls.Inputs = nil
		}
		if len(ls.Files) == 0 {
			ls.Files = nil
		}
		if len(ls.Modules) == 0 {
			ls.Modules = nil
		}
		l.Stages[s.Name] = ls
		for id, h := range p.Code.Decls {
			l.Declarations[id] = shortHash(h)
		}
	}
	return l, missing, nil
}

// StateDiffers is the state CheckStore gives a stage whose locked results
// differ from the store's record of the same key.
const StateDiffers = "differs"

// CheckStore compares every stage's recorded outputs and metrics in the
// lock with what the store holds: the store's record of the stage's current
// key (computed's entry, from Computed) where the store has it, else its
// record of the lock's own key. The same key must have produced the same
// results, and the lock must record what this code computes. A lock whose
// numbers were edited by hand (a pull request that restores its base's
// metrics after a change made them worse), with its keys kept or made up,
// differs from what the store computed. It returns one StageStatus (state
// "differs") per stage that differs, naming the outputs and metrics, and
// how many stages the store could check. computed may be nil.
func (e *Engine) CheckStore(lock, computed *Lock) (bad []StageStatus, checked int, err error) {
	for _, name := range sortedKeys(lock.Stages) {
		ls := lock.Stages[name]
		var rec *Record
		which := "the store's record of the same key"
		if cs := computed.stage(name); cs != nil {
			rec = &Record{Key: cs.Key, Outputs: cs.Outputs, Metrics: cs.Metrics}
			if cs.Key != ls.Key {
				which = "the store's record of the current key " + shortHash(cs.Key)
			}
		} else if r, rerr := e.Store.Record(ls.Key); r != nil && rerr == nil {
			rec = r
		}
		if rec == nil {
			continue
		}
		checked++
		var rs []string
		for _, o := range sortedKeys(diffKeys(ls.Outputs, rec.Outputs)) {
			lo, oka := ls.Outputs[o]
			so, okb := rec.Outputs[o]
			switch {
			case !oka:
				rs = append(rs, fmt.Sprintf("output %s: not in the lock; %s holds %s", o, which, shortHash(so)))
			case !okb:
				rs = append(rs, fmt.Sprintf("output %s: the lock records %s; %s has no such output", o, shortHash(lo), which))
			case lo != so:
				rs = append(rs, fmt.Sprintf("output %s: the lock records %s, %s %s", o, shortHash(lo), which, shortHash(so)))
			}
		}
		var ms []string
		for _, m := range sortedKeys(diffKeys(ls.Metrics, rec.Metrics)) {
			lv, oka := ls.Metrics[m]
			sv, okb := rec.Metrics[m]
			switch {
			case !oka:
				ms = append(ms, fmt.Sprintf("metric %s: not in the lock; %s holds %s", m, which, FormatNumber(sv)))
			case !okb:
				ms = append(ms, fmt.Sprintf("metric %s: the lock records %s; %s has no such metric", m, FormatNumber(lv), which))
			case lv != sv && !(lv != lv && sv != sv):
				ms = append(ms, fmt.Sprintf("metric %s: the lock records %s, %s %s", m, FormatNumber(lv), which, FormatNumber(sv)))
			}
		}
		sort.SliceStable(ms, func(i, j int) bool { // per-seed values last
			return !strings.Contains(ms[i], ".seeds[") && strings.Contains(ms[j], ".seeds[")
		})
		rs = append(rs, limit(ms, 8)...)
		if len(rs) > 0 {
			bad = append(bad, StageStatus{Stage: name, State: StateDiffers, Key: ls.Key,
				Reasons: append(rs, "the lock's results are not what the store holds for this code and these parameters (a hand-edited lock, a lock written on another platform, or a stage that is not deterministic: repro verify --recompute)")})
		}
	}
	return bad, checked, nil
}

// stage is l's entry for a stage, or nil (also for a nil lock).
func (l *Lock) stage(name string) *LockStage {
	if l == nil {
		return nil
	}
	return l.Stages[name]
}
