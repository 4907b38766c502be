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
// lock with the store's record of the same key, where the store has it:
// the same key must have produced the same results. A lock whose numbers
// were edited by hand (a pull request that restores its base's metrics
// after a change made them worse) differs from what the store computed.
// It returns one StageStatus (state "differs") per stage that differs,
// naming the outputs and metrics, and how many stages the store could
// check.
func (e *Engine) CheckStore(lock *Lock) (bad []StageStatus, checked int, err error) {
	for _, name := range sortedKeys(lock.Stages) {
		ls := lock.Stages[name]
		rec, rerr := e.Store.Record(ls.Key)
		if rec == nil || rerr != nil {
			continue
		}
		checked++
		var rs []string
		for _, o := range sortedKeys(diffKeys(ls.Outputs, rec.Outputs)) {
			lo, oka := ls.Outputs[o]
			so, okb := rec.Outputs[o]
			switch {
			case !oka:
				rs = append(rs, fmt.Sprintf("output %s: not in the lock; the store's record holds %s", o, shortHash(so)))
			case !okb:
				rs = append(rs, fmt.Sprintf("output %s: the lock records %s; the store's record has no such output", o, shortHash(lo)))
			case lo != so:
				rs = append(rs, fmt.Sprintf("output %s: the lock records %s, the store's record of the same key %s", o, shortHash(lo), shortHash(so)))
			}
		}
		var ms []string
		for _, m := range sortedKeys(diffKeys(ls.Metrics, rec.Metrics)) {
			lv, oka := ls.Metrics[m]
			sv, okb := rec.Metrics[m]
			switch {
			case !oka:
				ms = append(ms, fmt.Sprintf("metric %s: not in the lock; the store's record holds %s", m, FormatNumber(sv)))
			case !okb:
				ms = append(ms, fmt.Sprintf("metric %s: the lock records %s; the store's record has no such metric", m, FormatNumber(lv)))
			case lv != sv && !(lv != lv && sv != sv):
				ms = append(ms, fmt.Sprintf("metric %s: the lock records %s, the store's record of the same key %s", m, FormatNumber(lv), FormatNumber(sv)))
			}
		}
		sort.SliceStable(ms, func(i, j int) bool { // per-seed values last
			return !strings.Contains(ms[i], ".seeds[") && strings.Contains(ms[j], ".seeds[")
		})
		rs = append(rs, limit(ms, 8)...)
		if len(rs) > 0 {
			bad = append(bad, StageStatus{Stage: name, State: StateDiffers, Key: ls.Key,
				Reasons: append(rs, "the lock's results for key "+shortHash(ls.Key)+" are not what the store computed for it (a hand-edited lock, or a stage that is not deterministic: repro verify --recompute)")})
		}
	}
	return bad, checked, nil
}
