package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
)

// A LockDiff compares two locks, A (the older, usually) and B: which stages were
// added, removed or changed and why, how every metric moved, and which
// figures' bytes differ. It is built from the locks alone: nothing runs and
// the store is not read.
type LockDiff struct {
	A LockDiffSide `json:"a"`
	B LockDiffSide `json:"b"`
	// Notes are differences that concern every stage (profile, toolchain).
	Notes []string `json:"notes"`
	// Trust lists every change of what decides which results are trusted
	// (the shared store, its mode, the trusted keys): "KEY: A -> B". The
	// locks do not record it; the caller fills it (SetTrust) from both
	// sides' parameter files. A reviewer must see it even when nothing
	// else changed.
	Trust   []string      `json:"trust_changed"`
	Added   []string      `json:"stages_added"`
	Removed []string      `json:"stages_removed"`
	Changed []StageChange `json:"stages_changed"`
	// Metrics lists every metric whose value differs, or that only one side
	// has, sorted by the size of the change (see DiffLocks).
	Metrics []MetricChange `json:"metrics_changed"`
	// Unchanged counts the metrics both sides hold with equal values.
	Unchanged int            `json:"metrics_unchanged"`
	Figures   []FigureChange `json:"figures_changed"`
	// Rules and Violations are filled by Check.
	Rules      []string        `json:"rules,omitempty"`
	Violations []RuleViolation `json:"violations,omitempty"`

	ma, mb map[string]float64   // every metric of A and of B (no per-seed values)
	sa, sb map[string][]float64 // the per-seed values of A and of B
}

// A LockDiffSide names one side of a diff.
type LockDiffSide struct {
	Label     string `json:"label"` // set by the caller, e.g. "HEAD (1a2b3c4)"
	Profile   string `json:"profile"`
	Toolchain string `json:"toolchain"`
}

// A StageChange is a stage both locks hold whose key, outputs or metrics
// differ, with the reasons: "code: ...", "params: ...", "inputs: ...",
// "files: ...", "toolchain: ..." or "outputs: ...".
type StageChange struct {
	Stage   string   `json:"stage"`
	Reasons []string `json:"reasons"`
}

// Direct reports whether the stage changed for a reason of its own (code,
// parameters, files, toolchain) rather than only because an input changed.
func (c StageChange) Direct() bool {
	for _, r := range c.Reasons {
		if !strings.HasPrefix(r, "inputs: ") {
			return true
		}
	}
	return false
}

// A MetricChange is one metric of the diff. A or B is nil when that side
// lacks the metric; Change (B - A) and Relative ((B - A) / |A|) are nil when
// undefined: Relative is undefined when A is 0.
type MetricChange struct {
	Name     string   `json:"name"`
	A        *float64 `json:"a"`
	B        *float64 `json:"b"`
	Change   *float64 `json:"change"`
	Relative *float64 `json:"relative"`
	// Noise is the metric's spread over seeds and whether the change
	// exceeds it; nil when only one side holds the metric.
	Noise *Noise `json:"noise,omitempty"`
}

// A FigureChange is an output named *.svg or *.png whose content hash
// differs; A or B is empty when that side lacks it.
type FigureChange struct {
	Stage  string `json:"stage"`
	Output string `json:"output"`
	A      string `json:"a"`
	B      string `json:"b"`
}

// Name is "stage/output", e.g. "figures/terrain-split/figure.svg".
func (f FigureChange) Name() string { return f.Stage + "/" + f.Output }

// DiffOptions refine a diff.
type DiffOptions struct {
	// Reach, if set, fingerprints a stage function of the running binary's
	// source (Fingerprinter.Reach). The lock does not record which
	// declarations each stage reaches, only the hash of every declaration
	// some stage reaches; when Reach's fingerprint for a stage equals B's,
	// its declaration set is B's, and a code change names only the
	// declarations that stage reaches. Otherwise it names every declaration
	// that changed between the locks.
	Reach func(fn string) (*Code, error)
	// Module is the module path trimmed from declaration ids; by default the
	// longest common path of the ids' packages.
	Module string
}

// DiffLocks compares lock a with lock b; see DiffOptions.LockDiff.
func DiffLocks(a, b *Lock) *LockDiff { return DiffOptions{}.Diff(a, b) }

// LockDiff compares lock a with lock b.
//
// A stage of both locks is changed when its key, outputs or metrics differ.
// Its reasons say what went into the key differently: code (the declarations
// whose hash differs, limited to a few), params (each flattened key, old ->
// new), inputs (which upstream stages' outputs changed), files, and module or
// toolchain versions. Changed stages with a reason of their own come first.
//
// Metrics are sorted by the size of the change: the absolute relative change
// |B - A| / |A|, with A = 0 counting as infinite, then the absolute change,
// then the name; metrics only one side has come last.
func (o DiffOptions) Diff(a, b *Lock) *LockDiff {
	d := &LockDiff{
		A:       LockDiffSide{Profile: a.Profile, Toolchain: a.Toolchain},
		B:       LockDiffSide{Profile: b.Profile, Toolchain: b.Toolchain},
		Notes:   []string{},
		Trust:   []string{},
		Added:   []string{},
		Removed: []string{},
		Changed: []StageChange{},
		Metrics: []MetricChange{},
		Figures: []FigureChange{},
	}
	if a.Profile != b.Profile {
		d.Notes = append(d.Notes, fmt.Sprintf("profile: %s -> %s", orNone(a.Profile), orNone(b.Profile)))
	}
	if a.Toolchain != b.Toolchain {
		d.Notes = append(d.Notes, fmt.Sprintf("toolchain: %s -> %s", orNone(a.Toolchain), orNone(b.Toolchain)))
	}
	module := o.Module
	if module == "" {
		module = diffModule(a.Declarations, b.Declarations, lockFuncs(a), lockFuncs(b))
	}
	dd := diffDeclarations(a.Declarations, b.Declarations)
	for _, name := range sortedKeys(b.Stages) {
		if a.Stages[name] == nil {
			d.Added = append(d.Added, name)
		}
	}
	for _, name := range sortedKeys(a.Stages) {
		sa, sb := a.Stages[name], b.Stages[name]
		if sb == nil {
			d.Removed = append(d.Removed, name)
			continue
		}
		if rs := o.stageReasons(a, b, sa, sb, dd, module); len(rs) > 0 {
			d.Changed = append(d.Changed, StageChange{Stage: name, Reasons: rs})
		}
	}
	sort.SliceStable(d.Changed, func(i, j int) bool {
		return d.Changed[i].Direct() && !d.Changed[j].Direct()
	})
	d.ma, d.mb = a.Metrics(), b.Metrics()
	d.sa, d.sb = a.SeedValues(), b.SeedValues()
	d.Metrics, d.Unchanged = diffMetrics(d.ma, d.mb)
	for i, m := range d.Metrics {
		if m.A != nil && m.B != nil {
			n := noiseOf(m.Name, *m.A, *m.B, d.ma, d.mb, d.sa, d.sb)
			d.Metrics[i].Noise = &n
		}
	}
	d.Figures = diffFigures(a, b)
	return d
}

// stageReasons says why a stage of both locks differs; nil if it does not.
func (o DiffOptions) stageReasons(la, lb *Lock, a, b *LockStage, dd diffDeclSets, module string) []string {
	sameOut := diffSameMaps(a.Outputs, b.Outputs)
	if a.Key == b.Key && sameOut && diffSameMaps(a.Metrics, b.Metrics) {
		return nil
	}
	rs := explanation{a: a, b: b, la: la, lb: lb, module: module, code: func() string { return o.codeReason(a, b, dd, module) }}.reasons()
	if len(rs) == 0 {
		// Same key, different results: the stage is not deterministic.
		what := "outputs"
		if sameOut {
			what = "metrics"
		}
		rs = append(rs, "outputs: the same key produced different "+what+" (is the stage deterministic?)")
	}
	return rs
}

// diffParams is ParamChanges, with a multi-line text value described by the
// lines that differ counting repeats (a line that appears twice in A and
// once in B is one line gone).
func diffParams(a, b []byte) []string {
	out := ParamChanges(a, b)
	fa, fb := FlattenJSON(a), FlattenJSON(b)
	for i, c := range out {
		key, _, _ := strings.Cut(c, " ")
		var sa, sb string
		if json.Unmarshal([]byte(fa[key]), &sa) != nil || json.Unmarshal([]byte(fb[key]), &sb) != nil || !strings.Contains(sa+sb, "\n") {
			continue
		}
		gone, added := diffLineChanges(strings.Split(sa, "\n"), strings.Split(sb, "\n"))
		out[i] = fmt.Sprintf("%s (lines %s -> %s)", key, diffQuoteLines(gone), diffQuoteLines(added))
	}
	return out
}

// diffLineChanges returns the lines of a not in b and of b not in a, as
// multisets, each in its order of appearance.
func diffLineChanges(a, b []string) (gone, added []string) {
	count := func(xs []string) map[string]int {
		m := map[string]int{}
		for _, x := range xs {
			m[x]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	extra := func(xs []string, mine, other map[string]int) []string {
		var out []string
		left := map[string]int{}
		for x, n := range mine {
			left[x] = n - other[x]
		}
		for _, x := range xs {
			if left[x] > 0 {
				out = append(out, x)
				left[x]--
			}
		}
		return out
	}
	return extra(a, ca, cb), extra(b, cb, ca)
}

func diffQuoteLines(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(strings.TrimSpace(x))
	}
	return strings.Join(limit(q, 3), ", ")
}

// diffDeclSets are the declaration ids whose hash differs between two locks.
type diffDeclSets struct{ changed, added, removed []string }

func diffDeclarations(a, b map[string]string) diffDeclSets {
	var dc diffDeclSets
	for _, id := range sortedKeys(diffKeys(a, b)) {
		ha, oka := a[id]
		hb, okb := b[id]
		switch {
		case !oka:
			dc.added = append(dc.added, id)
		case !okb:
			dc.removed = append(dc.removed, id)
		case ha != hb:
			dc.changed = append(dc.changed, id)
		}
	}
	return dc
}

// codeReason names the declarations behind a change of code fingerprint.
func (o DiffOptions) codeReason(a, b *LockStage, dd diffDeclSets, module string) string {
	fp := "fingerprint " + shortHash(a.Code) + " -> " + shortHash(b.Code)
	changed, added, removed := dd.changed, dd.added, dd.removed
	scoped := false
	if o.Reach != nil {
		if c, err := o.Reach(b.Func); err == nil && c.Fingerprint == b.Code {
			in := func(ids []string) []string {
				var out []string
				for _, id := range ids {
					if _, ok := c.Decls[id]; ok {
						out = append(out, id)
					}
				}
				return out
			}
			changed, added, removed, scoped = in(changed), in(added), nil, true
		}
	}
	trim := func(ids []string) string {
		t := make([]string, len(ids))
		for i, id := range ids {
			t[i] = trimModule(module, id)
		}
		return strings.Join(limit(t, 6), ", ")
	}
	var parts []string
	if len(changed) > 0 {
		parts = append(parts, "changed "+trim(changed))
	}
	if len(added) > 0 {
		parts = append(parts, "new "+trim(added))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+trim(removed))
	}
	switch {
	case len(parts) == 0:
		return fp
	case scoped:
		return strings.Join(parts, "; ")
	}
	return fp + " (declarations that differ between the locks: " + strings.Join(parts, "; ") + ")"
}

// diffModule is the longest common path of the packages of the ids.
func diffModule(maps ...map[string]string) string {
	var common []string
	first := true
	for _, m := range maps {
		for id := range m {
			pkg := id
			slash := strings.LastIndex(id, "/")
			if dot := strings.Index(id[slash+1:], "."); dot >= 0 {
				pkg = id[:slash+1+dot]
			}
			segs := strings.Split(pkg, "/")
			if first {
				common, first = segs, false
				continue
			}
			n := 0
			for n < len(common) && n < len(segs) && common[n] == segs[n] {
				n++
			}
			common = common[:n]
		}
	}
	return strings.Join(common, "/")
}

func diffMetrics(a, b map[string]float64) ([]MetricChange, int) {
	var out, onlyOne []MetricChange
	unchanged := 0
	for _, name := range sortedKeys(diffKeys(a, b)) {
		va, oka := a[name]
		vb, okb := b[name]
		m := MetricChange{Name: name}
		if oka {
			m.A = diffPtr(va)
		}
		if okb {
			m.B = diffPtr(vb)
		}
		if !oka || !okb {
			onlyOne = append(onlyOne, m)
			continue
		}
		if va == vb {
			unchanged++
			continue
		}
		m.Change = diffPtr(vb - va)
		if va != 0 {
			m.Relative = diffPtr((vb - va) / math.Abs(va))
		}
		out = append(out, m)
	}
	size := func(m MetricChange) float64 {
		if m.Relative == nil {
			return math.Inf(1)
		}
		return math.Abs(*m.Relative)
	}
	sort.SliceStable(out, func(i, j int) bool {
		si, sj := size(out[i]), size(out[j])
		if si != sj {
			return si > sj
		}
		ci, cj := math.Abs(*out[i].Change), math.Abs(*out[j].Change)
		if ci != cj {
			return ci > cj
		}
		return out[i].Name < out[j].Name
	})
	return append(out, onlyOne...), unchanged
}

// IsFigure reports whether an output name is a figure (*.svg or *.png).
func IsFigure(output string) bool {
	ext := strings.ToLower(path.Ext(output))
	return ext == ".svg" || ext == ".png"
}

func diffFigures(a, b *Lock) []FigureChange {
	out := []FigureChange{}
	stages := diffKeys(a.Stages, b.Stages)
	for _, name := range sortedKeys(stages) {
		var oa, ob map[string]string
		if s := a.Stages[name]; s != nil {
			oa = s.Outputs
		}
		if s := b.Stages[name]; s != nil {
			ob = s.Outputs
		}
		for _, o := range sortedKeys(diffKeys(oa, ob)) {
			if IsFigure(o) && oa[o] != ob[o] {
				out = append(out, FigureChange{Stage: name, Output: o, A: oa[o], B: ob[o]})
			}
		}
	}
	return out
}

// Empty reports whether the two locks record the same stages, results and
// figures.
func (d *LockDiff) Empty() bool {
	return len(d.Trust)+len(d.Added)+len(d.Removed)+len(d.Changed)+len(d.Metrics)+len(d.Figures) == 0
}

// JSON renders the diff as indented JSON (the LockDiff type's fields).
func (d *LockDiff) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SetTrust records the changes between A's and B's trust settings, each a
// map from a flat key (store.remote, store.trusted_keys, ...) to its value
// as written; a key only one side has counts as changed.
func (d *LockDiff) SetTrust(a, b map[string]string) {
	d.Trust = []string{}
	for _, k := range sortedKeys(diffKeys(a, b)) {
		va, oka := a[k]
		vb, okb := b[k]
		if oka && okb && va == vb {
			continue
		}
		if !oka {
			va = "(unset)"
		}
		if !okb {
			vb = "(unset)"
		}
		d.Trust = append(d.Trust, k+": "+va+" -> "+vb)
	}
}

// ---- helpers ----

// lockFuncs maps the stage functions of a lock to themselves (for diffModule).
func lockFuncs(l *Lock) map[string]string {
	m := map[string]string{}
	for _, s := range l.Stages {
		if s.Func != "" {
			m[s.Func] = s.Func
		}
	}
	return m
}

func diffPtr(v float64) *float64 { return &v }

func diffKeys[V any, W any](a map[string]V, b map[string]W) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

func diffSameMaps[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
