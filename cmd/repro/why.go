package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

func newWhyCmd(g *globals) *cobra.Command {
	var decls bool
	cmd := &cobra.Command{
		Use:   "why NAME",
		Short: "Print where a metric, a number of the report or a stage's output came from, back to the data files",
		Long: `Print the chain that produced NAME, a metric as 'repro metrics' prints it, a
stage name, or the id of a number or figure of the report (n12, fig:dag: the
id its popover shows, from report/provenance.json), as the profile's lock
records it: the stage and its short key, the parameters that differ from
params.yaml's defaults, the stage function and how many declarations its
code reaches, then every input stage the same way, down to the files read,
with their sha256. A stage reached twice is printed once. For a number, the
fields it shows and how it was aggregated come first. --decls lists every
declaration.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.open()
			if err != nil {
				return err
			}
			p.warn(os.Stderr)
			lock, err := pipeline.ReadLock(p.lockPath())
			if err != nil {
				return err
			}
			w := why{lock: lock, lockName: filepath.Base(p.lockPath()), reach: p.engine.Code.Reach, decls: decls, defaults: g.defaultParams(p),
				provPath: filepath.Join(p.engine.Store.Dir, "report", "provenance.json")}
			return w.print(cmd.OutOrStdout(), args[0])
		},
	}
	cmd.Flags().BoolVar(&decls, "decls", false, "list every declaration each stage's code reaches")
	return cmd
}

// defaultParams returns the parameters a stage reads under params.yaml
// alone (no profile, environment or --set), or false if that graph has no
// such stage (or the profile is the defaults).
func (g *globals) defaultParams(p *project) func(stage string) ([]byte, bool) {
	if g.profileName() == "default" && len(g.set) == 0 {
		return nil
	}
	var graph *pipeline.Graph
	built := false
	return func(stage string) ([]byte, bool) {
		if !built {
			built = true
			if params, err := config.Load(config.Options{Dir: p.root}); err == nil {
				graph, _ = g.graphBuilder(p.root)(params)
			}
		}
		if graph == nil || graph.Stage(stage) == nil {
			return nil, false
		}
		b, err := json.Marshal(graph.Stage(stage).Params)
		return b, err == nil
	}
}

// why prints the provenance of a name from a lock.
type why struct {
	lock     *pipeline.Lock
	lockName string
	reach    func(fn string) (*pipeline.Code, error)
	defaults func(stage string) ([]byte, bool) // nil: the profile is the defaults
	decls    bool
	seen     map[string]bool
	files    map[string]string
	// provPath is the exported provenance.json of the report, for the ids
	// of its numbers and figures.
	provPath string
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

func (w *why) print(out io.Writer, name string) error {
	if numberID(name) && w.lock.Stages[name] == nil {
		return w.printNumber(out, name)
	}
	stage, value, isMetric := w.find(name)
	if stage == "" {
		return usagef("%s is neither a metric nor a stage of %s%s", name, w.lockName, suggestNames(name, w.names()))
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
func (w *why) printNumber(out io.Writer, id string) error {
	b, err := os.ReadFile(w.provPath)
	if err != nil {
		return usagef("%s looks like the id of a number of the report, but the report's provenance is not at hand (%v): run repro run first", id, err)
	}
	var p stages.Provenance
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("%s: %w", w.provPath, err)
	}
	var e *stages.ProvEntry
	for i := range p.Entries {
		if p.Entries[i].ID == id {
			e = &p.Entries[i]
		}
	}
	if e == nil {
		return usagef("the report has no number or figure %s (%s has %d entries)", id, w.provPath, len(p.Entries))
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
		ls := w.lock.Stages[s]
		switch {
		case hasKey(outs, "parameters"):
			fmt.Fprintf(out, "from the report's own parameters (stage %s in %s)\n", s, w.lockName)
			continue
		case ls == nil && hasKey(outs, "file"):
			w.files[s] = outs["file"]
			fmt.Fprintf(out, "from file %s sha256 %s\n", s, short12(outs["file"]))
			continue
		}
		w.stage(out, s, "", "", true)
		for o, h := range outs {
			if ls != nil && ls.Outputs[o] != "" && ls.Outputs[o] != h {
				fmt.Fprintf(out, "  note: the report read output %s %s, %s records %s (the report is from another run)\n", o, short12(h), w.lockName, short12(ls.Outputs[o]))
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
func (w *why) find(name string) (stage string, value float64, metric bool) {
	for _, s := range slices.Sorted(maps.Keys(w.lock.Stages)) {
		if v, ok := w.lock.Stages[s].Metrics[name]; ok {
			return s, v, true
		}
	}
	if w.lock.Stages[name] != nil {
		return name, 0, false
	}
	return "", 0, false
}

func (w *why) names() []string {
	var out []string
	for s, ls := range w.lock.Stages {
		out = append(out, s)
		out = append(out, slices.Collect(maps.Keys(ls.Metrics))...)
	}
	return out
}

// stage prints one stage of the chain and its inputs below it; first
// marks the stage that produced the name.
func (w *why) stage(out io.Writer, name, indent, branch string, first bool) {
	ls := w.lock.Stages[name]
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
	if w.defaults != nil {
		if d, ok := w.defaults(name); !ok {
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
func (w *why) code(ls *pipeline.LockStage, indent string) string {
	fn := trimModulePath(ls.Func)
	if w.reach == nil {
		return fn
	}
	c, err := w.reach(ls.Func)
	if err != nil {
		return fmt.Sprintf("%s (its declarations are unknown: %v)", fn, err)
	}
	s := fmt.Sprintf("%s, %d declarations", fn, len(c.Decls))
	if c.Fingerprint != ls.Code {
		s += " now (the code changed since the run: repro status names what)"
	}
	if w.decls {
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
