package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/repro-dev/repro/numfmt"
)

// Stage states reported by Status and Check.
const (
	StateFresh    = "fresh"     // the key is in the run cache
	StateStale    = "stale"     // the stage itself changed: it will run
	StateMayRerun = "may rerun" // only an upstream stage is stale: it runs unless that stage's outputs come out byte-identical
	StateRemoved  = "removed"   // in the lock, no longer in the graph (Check)
	StateNote     = "note"      // not a mismatch (Check)
)

// A StageStatus says whether a stage is fresh and, if not, why.
type StageStatus struct {
	Stage   string   `json:"stage"`
	State   string   `json:"state"` // one of the State constants
	Reasons []string `json:"reasons"`
	Key     string   `json:"key,omitempty"` // empty when an input is not computed yet
}

// Status reports, for each of the given stages in order, whether its current
// key is in the run cache (fresh) or not, and why, compared with the lock:
// new, code (which declarations), params (which keys, old -> new), inputs
// (which upstream stage or file), module, build, engine, toolchain, or
// missing output. A stage whose only reason is a stale upstream stage "may
// rerun": the run keeps it cached if the upstream outputs come out
// byte-identical (early cutoff). It runs nothing.
func (e *Engine) Status(stages []*Stage, lock *Lock) ([]StageStatus, error) {
	defer e.Code.Flush()
	recs := map[string]*Record{}
	roots := map[string][]string{} // stage -> the stale stages upstream of it (itself if stale)
	var out []StageStatus
	for _, s := range stages {
		st := StageStatus{Stage: s.Name, State: StateStale}
		old := lock.Stages[s.Name]
		var missing []string
		for _, d := range s.Deps {
			if recs[d] == nil {
				missing = append(missing, d)
			}
		}
		if len(missing) == 0 {
			p, err := e.prepare(s, recs)
			if err != nil {
				return nil, err
			}
			st.Key = p.Key
			// As a run looks it up: a result pulled under a key no longer
			// trusted is a miss.
			rec, rerr := e.cachedRecord(s, p.Key)
			if rec == nil && rerr == nil {
				if r, _ := e.Store.Record(p.Key); r != nil {
					rerr = errors.New("the result was pulled from a remote store under a key no longer trusted (run recomputes it; --keep-untrusted uses it)")
				}
			}
			if rec != nil {
				recs[s.Name] = rec
				st.State = StateFresh
				out = append(out, st)
				continue
			}
			st.Reasons = e.reasons(lock, old, p, rerr)
		} else {
			p, err := e.own(s)
			if err != nil {
				return nil, err
			}
			st.Reasons = e.reasons(lock, old, p, nil)
			// Without its inputs' outputs the key is unknown: the
			// reasons are the stage's own, or its upstream's.
			st.Reasons = slices.DeleteFunc(st.Reasons, func(r string) bool {
				return strings.HasPrefix(r, "missing output") || strings.HasPrefix(r, "key: ")
			})
			if len(st.Reasons) == 0 {
				st.State = StateMayRerun
			}
			// Name the stale stages the change comes from, not the
			// stages in between that may rerun.
			from := map[string]bool{}
			for _, d := range missing {
				for _, r := range roots[d] {
					from[r] = true
				}
			}
			roots[s.Name] = sortedKeys(from)
			if st.State == StateStale {
				roots[s.Name] = []string{s.Name}
			}
			st.Reasons = append(st.Reasons, "upstream "+strings.Join(limit(sortedKeys(from), 3), ", ")+numfmt.Plural(len(from), " is", " are")+" stale")
		}
		if st.State == StateStale && len(missing) == 0 {
			roots[s.Name] = []string{s.Name}
		}
		if len(st.Reasons) == 0 {
			st.Reasons = []string{"missing output: not in the run cache"}
		}
		out = append(out, st)
	}
	return out, nil
}

// own prepares what goes into a stage's key apart from its inputs: code,
// parameters, files and modules (Key and Inputs stay empty).
func (e *Engine) own(s *Stage) (*Prepared, error) {
	p := &Prepared{Stage: s, Files: map[string]string{}}
	var err error
	if p.Code, err = e.code(s); err != nil {
		return nil, err
	}
	if p.Params, err = canonicalJSON(s.Params); err != nil {
		return nil, fmt.Errorf("stage %s: parameters: %w", s.Name, err)
	}
	for _, f := range s.Files {
		b, err := ReadInputFile(e.filePath(f), MaxInputFileBytes)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", s.Name, err)
		}
		p.Files[s.fileName(f)] = HashBytes(b)
	}
	p.Modules = p.Code.Floors
	return p, nil
}

// reasons explains how what goes into p's key differs from the lock's entry
// old. p.Inputs and p.Key may be empty (inputs unknown).
func (e *Engine) reasons(lock *Lock, old *LockStage, p *Prepared, rerr error) []string {
	if old == nil {
		return []string{"new: not in the lock"}
	}
	now := &LockStage{Key: p.Key, Func: p.Stage.Run.name, Code: p.Code.Fingerprint, Params: p.Params, Inputs: p.Inputs, Files: p.Files, Modules: p.Modules}
	rs := explanation{a: old, b: now, la: lock, module: e.Code.Module,
		lb:   &Lock{Toolchain: Toolchain(), Lang: e.Code.Lang, Build: e.Code.Build.Settings, Engine: e.engineCode()},
		code: func() string { return e.codeChanges(lock.Declarations, p.Code, old) }}.reasons()
	if len(rs) == 0 {
		why := "not in the run cache"
		if rerr != nil {
			why = rerr.Error()
		}
		rs = append(rs, "missing output: "+why)
	}
	return rs
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func compactJSON(b []byte) []byte {
	c, err := canonicalJSON(jsonRaw(b))
	if err != nil {
		return b
	}
	return c
}

type jsonRaw []byte

func (r jsonRaw) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// codeChanges names the declarations whose hash differs from the lock's.
func (e *Engine) codeChanges(decls map[string]string, code *Code, old *LockStage) string {
	var changed, added []string
	for id, h := range code.Decls {
		oh, ok := decls[id]
		switch {
		case !ok:
			added = append(added, trimModule(e.Code.Module, id))
		case oh != shortHash(h):
			name := trimModule(e.Code.Module, id)
			if v, ok := code.Via[id]; ok {
				name += " via " + trimModule(e.Code.Module, v)
			}
			changed = append(changed, name)
		}
	}
	sort.Strings(changed)
	sort.Strings(added)
	var parts []string
	if len(changed) > 0 {
		parts = append(parts, "changed "+strings.Join(limit(changed, 8), ", "))
	}
	if len(added) > 0 {
		parts = append(parts, "now reaches "+strings.Join(limit(added, 8), ", "))
	}
	if len(parts) == 0 {
		return "fingerprint " + shortHash(old.Code) + " -> " + shortHash(code.Fingerprint) + " (a declaration it reached was removed)"
	}
	return strings.Join(parts, "; ")
}

func limit(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("and %d more", len(xs)-n))
}

// Check compares the lock with what the code, the parameters and the input
// files would produce, without the store and without running anything: for
// every stage, its code fingerprint, canonical parameters, file hashes and
// module versions must equal the lock's, and the lock must hold exactly the
// graph's stages. (Outputs are determined by these and the inputs, which are
// checked the same way upstream.) It also verifies the lock's chain: each
// stage's recorded input hashes must equal the output hashes its upstream
// stages record, so a hand-edited or badly merged lock fails. It returns the
// stages that do not match (state "stale", "removed" or "broken"), and a
// "note" when only the Go release or the build settings differ from the
// lock's.
func (e *Engine) Check(stages []*Stage, lock *Lock) ([]StageStatus, error) {
	defer e.Code.Flush()
	var out []StageStatus
	inGraph := map[string]bool{}
	for _, s := range stages {
		inGraph[s.Name] = true
		old := lock.Stages[s.Name]
		p, err := e.own(s)
		if err != nil {
			return nil, err
		}
		if old != nil {
			p.Inputs = old.Inputs // inputs are checked upstream, and by the chain below
			p.Key = old.Key
		}
		rs := e.reasons(lock, old, p, nil)
		// The store is not consulted, and the build settings are a note
		// (below): another machine may build differently and still get
		// the same results.
		rs = slices.DeleteFunc(rs, func(r string) bool {
			return old != nil && (strings.HasPrefix(r, "missing output") || strings.HasPrefix(r, "build: ") || strings.HasPrefix(r, "key: ") || strings.HasPrefix(r, "toolchain: "))
		})
		if old != nil {
			rs = append(rs, chainBreaks(lock, s, old)...)
		}
		if len(rs) > 0 {
			out = append(out, StageStatus{Stage: s.Name, State: StateStale, Reasons: rs})
		}
	}
	for _, name := range sortedKeys(lock.Stages) {
		if !inGraph[name] {
			out = append(out, StageStatus{Stage: name, State: StateRemoved, Reasons: []string{"in the lock but no longer in the graph"}})
		}
	}
	if lock.Toolchain != "" && lock.Toolchain != Toolchain() {
		// A note, not a mismatch: the lock records what its author ran,
		// and another Go release may well give the same results.
		out = append(out, StageStatus{Stage: "(toolchain)", State: StateNote, Reasons: []string{"the lock was written with " + lock.Toolchain + ", this binary is " + Toolchain()}})
	}
	if lock.Build != nil && !slices.Equal(lock.Build, e.Code.Build.Settings) {
		out = append(out, StageStatus{Stage: "(build)", State: StateNote, Reasons: []string{"the lock was written by a binary built with other settings: " + settingsChange(lock.Build, e.Code.Build.Settings)}})
	}
	return out, nil
}

// chainBreaks checks one link of the lock's chain: the inputs the stage's
// entry records must be exactly its deps, each with the output hash its
// upstream entry records.
func chainBreaks(lock *Lock, s *Stage, ls *LockStage) []string {
	var rs []string
	for _, d := range s.Deps {
		up := lock.Stages[d]
		got, ok := ls.Inputs[d]
		switch {
		case !ok:
			rs = append(rs, "chain: the lock records no input "+d)
		case up == nil:
			rs = append(rs, "chain: input "+d+" has no entry in the lock")
		case got != (&Record{Outputs: up.Outputs}).OutputHash():
			rs = append(rs, fmt.Sprintf("chain: input %s is recorded as %s, but %s's recorded outputs hash to %s (a hand-edited or badly merged lock)", d, shortHash(got), d, shortHash((&Record{Outputs: up.Outputs}).OutputHash())))
		}
	}
	for _, d := range sortedKeys(ls.Inputs) {
		if !slices.Contains(s.Deps, d) {
			rs = append(rs, "chain: the lock records an input "+d+" the stage does not read")
		}
	}
	return rs
}
