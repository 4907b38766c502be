package why

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
	"github.com/repro-dev/repro/stages"
)

// A Printer prints the provenance of names from a lock.
type Printer struct {
	Lock     *pipeline.Lock
	LockName string                                  // the lock's file name, for messages
	Reach    func(fn string) (*pipeline.Code, error) // nil: functions only, no declarations
	Defaults func(stage string) ([]byte, bool)       // nil: the profile is the defaults
	Decls    bool                                    // list every declaration reached
	// Provenance is the exported provenance.json of the report, for the
	// ids of its numbers and figures.
	Provenance string

	seen  map[string]bool
	files map[string]string
}

// numberID is the form of the ids the report gives its numbers and
// figures.
func numberID(name string) bool {
	if f, ok := strings.CutPrefix(name, "fig:"); ok {
		return f != ""
	}
	if len(name) < 2 || name[0] != 'n' {
		return false
	}
	for _, c := range name[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Print prints where name came from: a metric, a stage, or the id of a
// number or figure of the report. A name it does not know is a
// project.UsageError with suggestions.
func (w *Printer) Print(out io.Writer, name string) error {
	if numberID(name) && w.Lock.Stages[name] == nil {
		return w.printNumber(out, name)
	}
	stage, value, isMetric := w.find(name)
	if stage == "" {
		return project.Usagef("%s is neither a metric nor a stage of %s%s", name, w.LockName, suggestNames(name, w.names()))
	}
	w.seen, w.files = map[string]bool{}, map[string]string{}
	if isMetric {
		fmt.Fprintf(out, "%s = %.6g\n", name, value)
	} else {
		fmt.Fprintf(out, "%s\n", name)
	}
	w.stage(out, stage, "", "", true)
	if len(w.files) > 0 {
		fmt.Fprintln(out, "data files:")
		for _, f := range slices.Sorted(maps.Keys(w.files)) {
			fmt.Fprintf(out, "  %s sha256 %s\n", f, w.files[f])
		}
	}
	return nil
}

// printNumber prints where number (or figure) id of the report came from:
// what it shows, then the chain of each stage it names.
func (w *Printer) printNumber(out io.Writer, id string) error {
	b, err := os.ReadFile(w.Provenance)
	if err != nil {
		return project.Usagef("%s looks like the id of a number of the report, but the report's provenance is not at hand (%v): run repro run first", id, err)
	}
	var p stages.Provenance
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("%s: %w", w.Provenance, err)
	}
	var e *stages.ProvEntry
	for i := range p.Entries {
		if p.Entries[i].ID == id {
			e = &p.Entries[i]
		}
	}
	if e == nil {
		return project.Usagef("the report has no number or figure %s (%s has %d entries)", id, w.Provenance, len(p.Entries))
	}
	w.seen, w.files = map[string]bool{}, map[string]string{}
	if e.Kind == "figure" {
		fmt.Fprintf(out, "%s: figure %s\n", id, e.Text)
	} else {
		how := e.Aggregation
		if e.Computed {
			how = strings.TrimSpace("computed " + how)
		}
		if how == "" {
			how = "a value"
		}
		fmt.Fprintf(out, "%s = %s (%s)\n", id, e.Text, how)
	}
	if e.Template != "" {
		fmt.Fprintf(out, "  inserted by %s\n", e.Template)
	}
	if e.Table != "" {
		fmt.Fprintf(out, "  table %s, row %s, column %s\n", e.Table, e.Row, e.Column)
	}
	for _, f := range e.Fields {
		agg := ""
		if f.Agg != "" {
			agg = " (" + f.Agg + ")"
		}
		fmt.Fprintf(out, "  field %s%s = %v of %s\n", f.Path, agg, f.Value, f.Stage)
	}
	if e.Computed && len(e.Stages) > 0 {
		fmt.Fprintf(out, "  computed from the outputs of %d stages:\n", len(e.Stages))
	}
	for _, s := range e.Stages {
		outs := p.Outputs[s]
		ls := w.Lock.Stages[s]
		switch {
		case hasKey(outs, "parameters"):
			fmt.Fprintf(out, "from the report's own parameters (stage %s in %s)\n", s, w.LockName)
			continue
		case ls == nil && hasKey(outs, "file"):
			w.files[s] = outs["file"]
			fmt.Fprintf(out, "from file %s sha256 %s\n", s, short12(outs["file"]))
			continue
		}
		w.stage(out, s, "", "", true)
		for o, h := range outs {
			if ls != nil && ls.Outputs[o] != "" && ls.Outputs[o] != h {
				fmt.Fprintf(out, "  note: the report read output %s %s, %s records %s (the report is from another run)\n", o, short12(h), w.LockName, short12(ls.Outputs[o]))
			}
		}
	}
	if len(w.files) > 0 {
		fmt.Fprintln(out, "data files:")
		for _, f := range slices.Sorted(maps.Keys(w.files)) {
			fmt.Fprintf(out, "  %s sha256 %s\n", f, w.files[f])
		}
	}
	return nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// find resolves name to its stage: the stage itself, or the stage whose
// metrics hold it.
func (w *Printer) find(name string) (stage string, value float64, metric bool) {
	for _, s := range slices.Sorted(maps.Keys(w.Lock.Stages)) {
		if v, ok := w.Lock.Stages[s].Metrics[name]; ok {
			return s, v, true
		}
	}
	if w.Lock.Stages[name] != nil {
		return name, 0, false
	}
	return "", 0, false
}

func (w *Printer) names() []string {
	var out []string
	for s, ls := range w.Lock.Stages {
		out = append(out, s)
		out = append(out, slices.Collect(maps.Keys(ls.Metrics))...)
	}
	return out
}

// stage prints one stage of the chain and its inputs below it; first
// marks the stage that produced the name.
func (w *Printer) stage(out io.Writer, name, indent, branch string, first bool) {
	ls := w.Lock.Stages[name]
	label := "from"
	if !first {
		label = branch
	}
	if ls == nil {
		fmt.Fprintf(out, "%s%s %s: not in the lock\n", indent, label, name)
		return
	}
	if w.seen[name] {
		fmt.Fprintf(out, "%s%s %s (key %s, above)\n", indent, label, name, short12(ls.Key))
		return
	}
	w.seen[name] = true
	fmt.Fprintf(out, "%s%s %s (key %s)\n", indent, label, name, short12(ls.Key))
	sub := indent
	if !first {
		sub = indent + map[string]string{"├─": "│   ", "└─": "    "}[branch]
	}
	fmt.Fprintf(out, "%s  code: %s\n", sub, w.code(ls, sub))
	if w.Defaults != nil {
		if d, ok := w.Defaults(name); !ok {
			fmt.Fprintf(out, "%s  params: not a stage of the default parameters\n", sub)
		} else if ch := pipeline.ParamChanges(d, ls.Params); len(ch) > 0 {
			fmt.Fprintf(out, "%s  params differ from the defaults: %s\n", sub, strings.Join(ch, "; "))
		}
	}
	for _, f := range slices.Sorted(maps.Keys(ls.Files)) {
		w.files[f] = ls.Files[f]
		fmt.Fprintf(out, "%s  file %s sha256 %s\n", sub, f, short12(ls.Files[f]))
	}
	ins := slices.Sorted(maps.Keys(ls.Inputs))
	for i, in := range ins {
		b := "├─"
		if i == len(ins)-1 {
			b = "└─"
		}
		w.stage(out, in, sub, b, false)
	}
}

// code is a stage's function and how many declarations it reaches, and
// whether the code on disk is still the code that ran.
func (w *Printer) code(ls *pipeline.LockStage, indent string) string {
	fn := trimModulePath(ls.Func)
	if w.Reach == nil {
		return fn
	}
	c, err := w.Reach(ls.Func)
	if err != nil {
		return fmt.Sprintf("%s (its declarations are unknown: %v)", fn, err)
	}
	s := fmt.Sprintf("%s, %d declarations", fn, len(c.Decls))
	if c.Fingerprint != ls.Code {
		s += " now (the code changed since the run: repro status names what)"
	}
	if w.Decls {
		ds := slices.Sorted(maps.Keys(c.Decls))
		for i := range ds {
			ds[i] = trimModulePath(ds[i])
		}
		s += "\n" + indent + "    " + strings.Join(ds, "\n"+indent+"    ")
	}
	return s
}

func trimModulePath(id string) string {
	return strings.TrimPrefix(id, "github.com/repro-dev/repro/")
}

func short12(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// suggestNames is ": did you mean ...?" with up to three names that
// contain name or are closest to it, or "".
func suggestNames(name string, names []string) string {
	sort.Slice(names, func(i, j int) bool {
		ci, cj := strings.Contains(names[i], name), strings.Contains(names[j], name)
		if ci != cj {
			return ci
		}
		di, dj := config.EditDistance(name, names[i]), config.EditDistance(name, names[j])
		if di != dj {
			return di < dj
		}
		return names[i] < names[j]
	})
	if len(names) > 3 {
		names = names[:3]
	}
	if len(names) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(names, ", ") + "? (repro metrics lists the metrics)"
}
