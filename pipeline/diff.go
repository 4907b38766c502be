package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A LockDiff compares two locks, A (the older, usually) and B: which stages were
// added, removed or changed and why, how every metric moved, and which
// figures' bytes differ. It is built from the locks alone: nothing runs and
// the store is not read.
type LockDiff struct {
	A LockDiffSide `json:"a"`
	B LockDiffSide `json:"b"`
	// Notes are differences that concern every stage (profile, toolchain).
	Notes   []string      `json:"notes"`
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

	ma, mb map[string]float64 // every metric of A and of B
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
	d.Metrics, d.Unchanged = diffMetrics(d.ma, d.mb)
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
	return len(d.Added)+len(d.Removed)+len(d.Changed)+len(d.Metrics)+len(d.Figures) == 0
}

func diffNum(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

func diffNumPtr(v *float64) string {
	if v == nil {
		return "-"
	}
	return diffNum(*v)
}

func diffChange(v *float64) string {
	if v == nil {
		return "-"
	}
	if *v == 0 {
		return "0"
	}
	return fmt.Sprintf("%+.4g", *v)
}

func diffRel(v *float64, a *float64) string {
	if v == nil {
		if a != nil && *a == 0 {
			return "n/a (A = 0)"
		}
		return "-"
	}
	return fmt.Sprintf("%+.3g%%", *v*100)
}

func diffChangeText(change float64, rel *float64) string {
	s := diffChange(&change)
	if rel != nil {
		s += " (" + diffRel(rel, nil) + ")"
	}
	return s
}

func (m MetricChange) status() string {
	switch {
	case m.A == nil:
		return "new"
	case m.B == nil:
		return "removed"
	}
	return ""
}

func diffPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func (d *LockDiff) counts() (direct, downstream int) {
	for _, c := range d.Changed {
		if c.Direct() {
			direct++
		} else {
			downstream++
		}
	}
	return
}

func (d *LockDiff) heading() string {
	s := d.A.Label + " -> " + d.B.Label
	if d.B.Profile != "" {
		s += ", profile " + d.B.Profile
	}
	return s
}

// Text renders the diff as plain text: the summary, the rules and the
// metrics first (as the Markdown form), then every stage with its reasons,
// then the figures.
func (d *LockDiff) Text() string { return d.TextWith(nil) }

// TextWith renders the diff as plain text as Text does, with stages, if not
// nil, writing the stages section (which Text lists one stage at a time).
func (d *LockDiff) TextWith(stages func(w io.Writer)) string {
	var b strings.Builder
	fmt.Fprintf(&b, "repro diff: %s\n", d.heading())
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if d.Empty() {
		b.WriteString("\nno differences: both locks record the same stages, metrics and figures\n")
		d.textRules(&b)
		return b.String()
	}
	fmt.Fprintf(&b, "\n%s\n", d.Summary())
	d.textRules(&b)
	fmt.Fprintf(&b, "\nmetrics: %d changed, %d unchanged\n", len(d.Metrics), d.Unchanged)
	if len(d.Metrics) > 0 {
		rows := [][]string{{"metric", "A", "B", "change", "relative"}}
		for _, m := range d.Metrics {
			rel := diffRel(m.Relative, m.A)
			if s := m.status(); s != "" {
				rel = s
			}
			rows = append(rows, []string{m.Name, diffNumPtr(m.A), diffNumPtr(m.B), diffChange(m.Change), rel})
		}
		diffColumns(&b, rows)
	}
	direct, downstream := d.counts()
	fmt.Fprintf(&b, "\nstages: %d changed (%d directly, %d through their inputs), %d added, %d removed\n",
		len(d.Changed), direct, downstream, len(d.Added), len(d.Removed))
	if stages != nil {
		stages(&b)
	} else {
		for _, n := range d.Added {
			fmt.Fprintf(&b, "  added    %s\n", n)
		}
		for _, n := range d.Removed {
			fmt.Fprintf(&b, "  removed  %s\n", n)
		}
		for _, c := range d.Changed {
			fmt.Fprintf(&b, "  changed  %s\n", c.Stage)
			for _, r := range c.Reasons {
				fmt.Fprintf(&b, "           %s\n", r)
			}
		}
	}
	fmt.Fprintf(&b, "\nfigures: %d changed\n", len(d.Figures))
	for _, f := range d.Figures {
		fmt.Fprintf(&b, "  %s%s\n", f.Name(), diffFigureStatus(f))
	}
	return b.String()
}

// Summary is one line of counts: stages, metrics and figures changed.
func (d *LockDiff) Summary() string {
	direct, downstream := d.counts()
	return fmt.Sprintf("%s changed (%d directly, %d through their inputs), %d added, %d removed; %s changed, %d unchanged; %s changed",
		diffPlural(len(d.Changed), "stage", "stages"), direct, downstream, len(d.Added), len(d.Removed),
		diffPlural(len(d.Metrics), "metric", "metrics"), d.Unchanged, diffPlural(len(d.Figures), "figure", "figures"))
}

func (d *LockDiff) textRules(b *strings.Builder) {
	if len(d.Rules) == 0 {
		return
	}
	if len(d.Violations) == 0 {
		fmt.Fprintf(b, "\nrules: %s\n", diffPlural(len(d.Rules), "rule holds", "rules hold"))
		for _, r := range d.Rules {
			fmt.Fprintf(b, "  ok   no metric violates %s\n", r)
		}
		return
	}
	fmt.Fprintf(b, "\nrules: %s\n", diffPlural(len(d.Violations), "violation", "violations"))
	for _, v := range d.Violations {
		fmt.Fprintf(b, "  FAIL %s\n", v)
	}
}

func diffFigureStatus(f FigureChange) string {
	switch {
	case f.A == "":
		return " (new)"
	case f.B == "":
		return " (removed)"
	}
	return ""
}

// diffColumns writes rows as aligned columns, indented by two spaces: the
// first column left-aligned, the others right-aligned.
func diffColumns(b *strings.Builder, rows [][]string) {
	w := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			w[i] = max(w[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		b.WriteString(" ")
		for i, c := range r {
			pad := strings.Repeat(" ", w[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(" " + c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		b.WriteString("\n")
	}
}

// mdDiffCell escapes text for a GFM table cell.
func mdDiffCell(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", "*", `\*`, "`", "'")
	return r.Replace(s)
}

// mdDiffCode puts text in a code span for a GFM table cell.
func mdDiffCode(s string) string {
	return "`" + strings.NewReplacer("|", `\|`, "`", "'", "\n", " ").Replace(s) + "`"
}

// mdDiffInline escapes text for a Markdown paragraph.
func mdDiffInline(s string) string {
	r := strings.NewReplacer("<", "&lt;", "*", `\*`, "`", "'", "[", `\[`)
	return r.Replace(s)
}

// Markdown renders the diff as GitHub-flavoured Markdown, for a pull
// request's comment or a CI job summary: a summary line, then tables of
// metrics and stages and a list of figures. Stages that changed only
// because an input changed are folded in a <details> block when many.
func (d *LockDiff) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### repro diff\n\n")
	fmt.Fprintf(&b, "**A** %s → **B** %s", mdDiffInline(d.A.Label), mdDiffInline(d.B.Label))
	if d.B.Profile != "" {
		fmt.Fprintf(&b, " · profile %s", mdDiffCode(d.B.Profile))
	}
	b.WriteString("\n\n")
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "> %s\n\n", mdDiffInline(n))
	}
	if d.Empty() {
		b.WriteString("No differences: both locks record the same stages, metrics and figures.\n")
		d.mdRules(&b)
		return b.String()
	}
	direct, downstream := d.counts()
	fmt.Fprintf(&b, "**%s changed** (%d directly, %d through their inputs), %d added, %d removed · **%s changed**, %d unchanged · **%s changed**\n",
		diffPlural(len(d.Changed), "stage", "stages"), direct, downstream, len(d.Added), len(d.Removed),
		diffPlural(len(d.Metrics), "metric", "metrics"), d.Unchanged, diffPlural(len(d.Figures), "figure", "figures"))
	d.mdRules(&b)

	b.WriteString("\n#### Metrics\n\n")
	if len(d.Metrics) == 0 {
		fmt.Fprintf(&b, "No metric changed (%d unchanged).\n", d.Unchanged)
	} else {
		b.WriteString("| metric | A | B | change | relative |\n|:--|--:|--:|--:|--:|\n")
		for _, m := range d.Metrics {
			rel := diffRel(m.Relative, m.A)
			if s := m.status(); s != "" {
				rel = s
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdDiffCode(m.Name), diffNumPtr(m.A), diffNumPtr(m.B), diffChange(m.Change), rel)
		}
		fmt.Fprintf(&b, "\n%s unchanged.\n", diffPlural(d.Unchanged, "metric", "metrics"))
	}

	b.WriteString("\n#### Stages\n\n")
	var own, through []StageChange
	for _, c := range d.Changed {
		if c.Direct() {
			own = append(own, c)
		} else {
			through = append(through, c)
		}
	}
	if len(own)+len(d.Added)+len(d.Removed) > 0 {
		b.WriteString("| stage | why |\n|:--|:--|\n")
		for _, n := range d.Added {
			fmt.Fprintf(&b, "| %s | new: not in A |\n", mdDiffCode(n))
		}
		for _, n := range d.Removed {
			fmt.Fprintf(&b, "| %s | removed: not in B |\n", mdDiffCode(n))
		}
		for _, c := range own {
			fmt.Fprintf(&b, "| %s | %s |\n", mdDiffCode(c.Stage), mdDiffReasons(c.Reasons))
		}
		b.WriteString("\n")
	}
	if len(through) > 0 {
		fold := len(through) > 8
		if fold {
			fmt.Fprintf(&b, "<details><summary>%s changed only because an input changed</summary>\n\n", diffPlural(len(through), "stage", "stages"))
		} else if len(own)+len(d.Added)+len(d.Removed) > 0 {
			b.WriteString("Changed because an input changed:\n\n")
		}
		b.WriteString("| stage | why |\n|:--|:--|\n")
		for _, c := range through {
			fmt.Fprintf(&b, "| %s | %s |\n", mdDiffCode(c.Stage), mdDiffReasons(c.Reasons))
		}
		if fold {
			b.WriteString("\n</details>\n")
		}
	}
	if len(d.Changed)+len(d.Added)+len(d.Removed) == 0 {
		b.WriteString("No stage changed.\n")
	}

	b.WriteString("\n#### Figures\n\n")
	if len(d.Figures) == 0 {
		b.WriteString("No figure changed.\n")
	}
	for _, f := range d.Figures {
		fmt.Fprintf(&b, "- %s%s\n", mdDiffCode(f.Name()), diffFigureStatus(f))
	}
	return b.String()
}

func mdDiffReasons(rs []string) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = mdDiffCell(r)
	}
	return strings.Join(out, "<br>")
}

func (d *LockDiff) mdRules(b *strings.Builder) {
	if len(d.Rules) == 0 {
		return
	}
	if len(d.Violations) == 0 {
		// Worded so that the rule does not read as a true statement.
		rs := make([]string, len(d.Rules))
		for i, r := range d.Rules {
			rs[i] = mdDiffCode(r)
		}
		list := rs[0]
		if n := len(rs); n > 1 {
			list = strings.Join(rs[:n-1], ", ") + " or " + rs[n-1]
		}
		fmt.Fprintf(b, "\n✅ no metric violates %s\n", list)
		return
	}
	fmt.Fprintf(b, "\n❌ **%s**:\n\n", diffPlural(len(d.Violations), "rule violation", "rule violations"))
	for _, v := range d.Violations {
		fmt.Fprintf(b, "- %s: %s changed %s (%s → %s)\n", mdDiffCode(v.Rule), mdDiffCode(v.Metric), diffChangeText(v.Change, v.Relative), diffNum(v.A), diffNum(v.B))
	}
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
