package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
)

// A StageStatus says whether a stage is fresh and, if not, why.
type StageStatus struct {
	Stage   string   `json:"stage"`
	State   string   `json:"state"` // "fresh" or "stale"
	Reasons []string `json:"reasons"`
	Key     string   `json:"key,omitempty"` // empty when an input is not computed yet
}

// Status reports, for each of the given stages in order, whether its current
// key is in the run cache (fresh) or not (stale), and why it is stale compared
// with the lock: new, code (which declarations), params (which keys, old ->
// new), inputs (which upstream stage or file), toolchain, or missing output.
// It runs nothing. The returned map holds the key of every stage whose
// inputs are computed.
func (e *Engine) Status(stages []*Stage, lock *Lock) ([]StageStatus, error) {
	recs := map[string]*Record{}
	var out []StageStatus
	for _, s := range stages {
		st := StageStatus{Stage: s.Name, State: "stale"}
		old := lock.Stages[s.Name]
		var missing []string
		for _, d := range s.Deps {
			if recs[d] == nil {
				missing = append(missing, d)
			}
		}
		code, err := e.code(s)
		if err != nil {
			return nil, err
		}
		params, err := canonicalJSON(s.Params)
		if err != nil {
			return nil, fmt.Errorf("stage %s: parameters: %w", s.Name, err)
		}
		if len(missing) == 0 {
			p, err := e.prepare(s, recs)
			if err != nil {
				return nil, err
			}
			st.Key = p.Key
			rec, rerr := e.Store.Record(p.Key)
			if rec != nil {
				recs[s.Name] = rec
				st.State = "fresh"
				out = append(out, st)
				continue
			}
			st.Reasons = e.reasons(lock, old, code, params, p, rerr)
		} else {
			st.Reasons = e.reasons(lock, old, code, params, nil, nil)
			for _, d := range missing {
				st.Reasons = append(st.Reasons, "inputs: "+d+" is stale")
			}
		}
		if len(st.Reasons) == 0 {
			st.Reasons = []string{"missing output: not in the run cache"}
		}
		out = append(out, st)
	}
	return out, nil
}

func (e *Engine) reasons(lock *Lock, old *LockStage, code *Code, params []byte, p *Prepared, rerr error) []string {
	if old == nil {
		return []string{"new: not in the lock"}
	}
	var rs []string
	if old.Code != code.Fingerprint {
		rs = append(rs, "code: "+e.codeChanges(lock.Declarations, code, old))
	}
	if !bytes.Equal(compactJSON(old.Params), params) {
		ch := ParamChanges(old.Params, params)
		rs = append(rs, "params: "+strings.Join(ch, ", "))
	}
	if p == nil {
		return rs
	}
	for _, d := range sortedKeys(p.Inputs) {
		if old.Inputs[d] != p.Inputs[d] {
			rs = append(rs, "inputs: "+d+" changed")
		}
	}
	for _, f := range sortedKeys(p.Files) {
		if old.Files[f] != p.Files[f] {
			rs = append(rs, "inputs: file "+f+" changed")
		}
	}
	for _, f := range sortedKeys(old.Files) {
		if _, ok := p.Files[f]; !ok {
			rs = append(rs, "inputs: file "+f+" no longer read")
		}
	}
	var mods []string
	for _, m := range sortedKeys(p.Modules) {
		if old.Modules[m] != p.Modules[m] {
			mods = append(mods, fmt.Sprintf("%s %s -> %s", m, orNone(old.Modules[m]), p.Modules[m]))
		}
	}
	if len(mods) > 0 {
		rs = append(rs, "toolchain: "+strings.Join(mods, ", "))
	}
	if len(rs) == 0 && old.Key != p.Key {
		rs = append(rs, "toolchain: key inputs differ from the lock's ("+Toolchain()+")")
	}
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
			changed = append(changed, trimModule(e.Code.Module, id))
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
// checked the same way upstream.) It returns the stages that do not match
// (state "stale" or "removed"), and a "note" when only the Go release
// differs from the lock's.
func (e *Engine) Check(stages []*Stage, lock *Lock) ([]StageStatus, error) {
	var out []StageStatus
	inGraph := map[string]bool{}
	mods := e.Modules
	if mods == nil {
		mods = ModulesFromBuildInfo()
	}
	for _, s := range stages {
		inGraph[s.Name] = true
		old := lock.Stages[s.Name]
		code, err := e.code(s)
		if err != nil {
			return nil, err
		}
		params, err := canonicalJSON(s.Params)
		if err != nil {
			return nil, fmt.Errorf("stage %s: parameters: %w", s.Name, err)
		}
		p := &Prepared{Stage: s, Code: code, Params: params, Files: map[string]string{}, Modules: map[string]string{}}
		for _, f := range s.Files {
			b, err := os.ReadFile(e.filePath(f))
			if err != nil {
				return nil, fmt.Errorf("stage %s: %w", s.Name, err)
			}
			p.Files[f] = HashBytes(b)
		}
		for _, ip := range code.Imports {
			if m, ok := moduleOf(mods, ip); ok {
				p.Modules[m] = mods[m]
			}
		}
		if old != nil {
			p.Inputs = old.Inputs // inputs are checked upstream
			p.Key = old.Key
		}
		rs := e.reasons(lock, old, code, params, p, nil)
		if old != nil && len(rs) == 1 && strings.HasPrefix(rs[0], "missing output") {
			rs = nil // the store is not consulted
		}
		if len(rs) > 0 {
			out = append(out, StageStatus{Stage: s.Name, State: "stale", Reasons: rs})
		}
	}
	for _, name := range sortedKeys(lock.Stages) {
		if !inGraph[name] {
			out = append(out, StageStatus{Stage: name, State: "removed", Reasons: []string{"in the lock but no longer in the graph"}})
		}
	}
	if lock.Toolchain != "" && lock.Toolchain != Toolchain() {
		// A note, not a mismatch: the lock records what its author ran,
		// and another Go release may well give the same results.
		out = append(out, StageStatus{Stage: "(toolchain)", State: "note", Reasons: []string{"the lock was written with " + lock.Toolchain + ", this binary is " + Toolchain()}})
	}
	return out, nil
}
