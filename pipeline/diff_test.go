package pipeline

import (
	"encoding/json"
	"strings"
	"testing"
)

// lockOf builds a lock from stages; metrics and outputs as given.
func lockOf(decls map[string]string, stages map[string]*LockStage) *Lock {
	return &Lock{Version: 1, Profile: "quick", Toolchain: "go1.26.8 linux/amd64", Declarations: decls, Stages: stages}
}

func twoLocks() (*Lock, *Lock) {
	a := lockOf(map[string]string{
		"github.com/repro-dev/repro/stages.gridSplit": "1111", "github.com/repro-dev/repro/stages.split": "2222", "github.com/repro-dev/repro/models.Sigmoid": "3333", "github.com/repro-dev/repro/plots.Gone": "4444",
	}, map[string]*LockStage{
		"load": {Key: "k1", Func: "github.com/repro-dev/repro/stages.load", Code: "c1", Params: json.RawMessage(`{}`),
			Files: map[string]string{"data/x.csv": "f1"}, Outputs: map[string]string{"value": "o1"}},
		"split": {Key: "k2", Func: "github.com/repro-dev/repro/stages.split", Code: "c2", Params: json.RawMessage(`{"x_sparsity": 10, "seed": 1}`),
			Inputs: map[string]string{"load": "o1"}, Outputs: map[string]string{"value": "o2"}, Metrics: map[string]float64{"n.train": 100}},
		"fit": {Key: "k3", Func: "github.com/repro-dev/repro/stages.fit", Code: "c3", Params: json.RawMessage(`{"lr": 0.1}`),
			Inputs: map[string]string{"split": "o2"}, Outputs: map[string]string{"value": "o3"},
			Metrics: map[string]float64{"fit.mse": 0.5, "fit.r2": 0.8, "fit.zero": 0, "fit.same": 7, "fit.gone": 1}},
		"figures/fit": {Key: "k4", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Inputs: map[string]string{"fit": "o3"}, Outputs: map[string]string{"figure.svg": "s1", "value": "v1"}},
		"figures/same": {Key: "k5", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Outputs: map[string]string{"figure.svg": "s2"}},
		"old": {Key: "k6", Func: "github.com/repro-dev/repro/stages.old", Code: "c6", Outputs: map[string]string{"value": "o6"}},
	})
	b := lockOf(map[string]string{
		"github.com/repro-dev/repro/stages.gridSplit": "1112", "github.com/repro-dev/repro/stages.split": "2222", "github.com/repro-dev/repro/models.Sigmoid": "3333", "github.com/repro-dev/repro/stages.newHelper": "5555",
	}, map[string]*LockStage{
		"load": {Key: "k1", Func: "github.com/repro-dev/repro/stages.load", Code: "c1", Params: json.RawMessage(`{}`),
			Files: map[string]string{"data/x.csv": "f1"}, Outputs: map[string]string{"value": "o1"}},
		"split": {Key: "k2b", Func: "github.com/repro-dev/repro/stages.split", Code: "c2b", Params: json.RawMessage(`{"seed":1,"x_sparsity":20}`),
			Inputs: map[string]string{"load": "o1"}, Outputs: map[string]string{"value": "o2b"}, Metrics: map[string]float64{"n.train": 25}},
		"fit": {Key: "k3b", Func: "github.com/repro-dev/repro/stages.fit", Code: "c3", Params: json.RawMessage(`{"lr": 0.1}`),
			Inputs: map[string]string{"split": "o2b"}, Outputs: map[string]string{"value": "o3b"},
			Metrics: map[string]float64{"fit.mse": 0.55, "fit.r2": 0.7, "fit.zero": 0.01, "fit.same": 7, "fit.new": 3}},
		"figures/fit": {Key: "k4b", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Inputs: map[string]string{"fit": "o3b"}, Outputs: map[string]string{"figure.svg": "s1b", "value": "v1b"}},
		"figures/same": {Key: "k5", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Outputs: map[string]string{"figure.svg": "s2"}},
		"figures/new": {Key: "k7", Func: "github.com/repro-dev/repro/stages.plot", Code: "c4", Params: json.RawMessage(`{}`),
			Outputs: map[string]string{"figure.png": "p7"}},
	})
	return a, b
}

func TestDiffLocksStages(t *testing.T) {
	a, b := twoLocks()
	d := DiffLocks(a, b)
	if got := strings.Join(d.Added, ","); got != "figures/new" {
		t.Errorf("added = %s", got)
	}
	if got := strings.Join(d.Removed, ","); got != "old" {
		t.Errorf("removed = %s", got)
	}
	got := map[string][]string{}
	var order []string
	for _, c := range d.Changed {
		got[c.Stage] = c.Reasons
		order = append(order, c.Stage)
	}
	if strings.Join(order, ",") != "split,figures/fit,fit" {
		t.Errorf("changed stages in order %v, want the one with reasons of its own first, then by name", order)
	}
	want := map[string][]string{
		"split": {
			"code: fingerprint c2 -> c2b (declarations that differ between the locks: changed stages.gridSplit; new stages.newHelper; removed plots.Gone)",
			"params: x_sparsity 10 -> 20",
		},
		"fit":         {"inputs: split changed"},
		"figures/fit": {"inputs: fit changed"},
	}
	for stage, rs := range want {
		if strings.Join(got[stage], "\n") != strings.Join(rs, "\n") {
			t.Errorf("%s: reasons\n%q\nwant\n%q", stage, got[stage], rs)
		}
	}
	if _, ok := got["load"]; ok {
		t.Error("an unchanged stage is listed as changed")
	}
	if d.Changed[0].Direct() == false || d.Changed[1].Direct() {
		t.Error("Direct() wrong")
	}
}

func TestDiffLocksCodeReach(t *testing.T) {
	a, b := twoLocks()
	reach := func(fn string) (*Code, error) {
		if fn != "github.com/repro-dev/repro/stages.split" {
			t.Errorf("Reach(%s)", fn)
		}
		return &Code{Fingerprint: "c2b", Decls: map[string]string{"github.com/repro-dev/repro/stages.split": "x", "github.com/repro-dev/repro/stages.gridSplit": "y"}}, nil
	}
	d := DiffOptions{Reach: reach}.Diff(a, b)
	if got := d.Changed[0].Reasons[0]; got != "code: changed stages.gridSplit" {
		t.Errorf("with a matching Reach, code reason = %q", got)
	}
	// A Reach whose fingerprint is not B's is not used.
	stale := func(fn string) (*Code, error) {
		return &Code{Fingerprint: "other", Decls: map[string]string{"github.com/repro-dev/repro/stages.split": "x"}}, nil
	}
	d = DiffOptions{Reach: stale}.Diff(a, b)
	if got := d.Changed[0].Reasons[0]; !strings.Contains(got, "changed stages.gridSplit; new stages.newHelper") {
		t.Errorf("with a stale Reach, code reason = %q", got)
	}
}

func TestDiffLocksOtherReasons(t *testing.T) {
	st := func(mut func(*LockStage)) *LockStage {
		s := &LockStage{Key: "k", Func: "github.com/repro-dev/repro/s.f", Code: "c", Params: json.RawMessage(`{"a":1,"yaml":"x:\n  epochs: 15\ny:\n  epochs: 15\n"}`),
			Inputs: map[string]string{"up": "h", "gone": "g"}, Files: map[string]string{"f.csv": "1", "old.csv": "2"},
			Modules: map[string]string{"gonum.org/v1/gonum": "v0.16.0"}, Outputs: map[string]string{"value": "o"}}
		if mut != nil {
			mut(s)
		}
		return s
	}
	for _, c := range []struct {
		name string
		mut  func(*LockStage)
		want []string
	}{
		{"files", func(s *LockStage) {
			s.Key = "k2"
			s.Files = map[string]string{"f.csv": "1b", "new.csv": "3"}
		}, []string{"inputs: file f.csv changed", "inputs: now reads file new.csv", "inputs: file old.csv no longer read"}},
		{"inputs", func(s *LockStage) {
			s.Key = "k2"
			s.Inputs = map[string]string{"up": "h2", "extra": "e"}
		}, []string{"inputs: up changed", "inputs: now reads extra", "inputs: no longer reads gone"}},
		{"modules", func(s *LockStage) {
			s.Key = "k2"
			s.Modules = map[string]string{"gonum.org/v1/gonum": "v0.17.0"}
		}, []string{"package gonum.org/v1/gonum: v0.16.0 -> v0.17.0"}},
		{"function", func(s *LockStage) { s.Key = "k2"; s.Func = "github.com/repro-dev/repro/s.g" }, []string{"code: function f -> g"}},
		{"params", func(s *LockStage) {
			s.Key = "k2"
			s.Params = json.RawMessage(`{"a":2,"b":[1,2],"yaml":"x:\n  epochs: 15\ny:\n  epochs: 15\n"}`)
		},
			[]string{"params: a 1 -> 2, b (new) -> [1,2]"}},
		{"text lines", func(s *LockStage) {
			s.Key = "k2"
			s.Params = json.RawMessage(`{"a":1,"yaml":"x:\n  epochs: 30\ny:\n  epochs: 15\n"}`)
		}, []string{"params: yaml (lines \"epochs: 15\" -> \"epochs: 30\")"}},
		{"key only", func(s *LockStage) { s.Key = "k2" }, []string{"key: k -> k2: its inputs differ in a way the lock does not record (REPRO_DEBUG_KEY=1 prints them)"}},
		{"nondeterministic", func(s *LockStage) { s.Outputs = map[string]string{"value": "o2"} },
			[]string{"outputs: the same key produced different outputs (is the stage deterministic?)"}},
		{"same", nil, nil},
	} {
		a := lockOf(nil, map[string]*LockStage{"s": st(nil)})
		b := lockOf(nil, map[string]*LockStage{"s": st(c.mut)})
		d := DiffLocks(a, b)
		var got []string
		if len(d.Changed) > 0 {
			got = d.Changed[0].Reasons
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: reasons %q, want %q", c.name, got, c.want)
		}
	}
	// A different toolchain is a note and the reason of a key change.
	a := lockOf(nil, map[string]*LockStage{"s": st(nil)})
	b := lockOf(nil, map[string]*LockStage{"s": st(func(s *LockStage) { s.Key = "k2" })})
	b.Toolchain = "go1.27.0 linux/amd64"
	d := DiffLocks(a, b)
	if len(d.Notes) != 1 || d.Notes[0] != "toolchain: go1.26.8 linux/amd64 -> go1.27.0 linux/amd64" {
		t.Errorf("notes = %q", d.Notes)
	}
	if r := d.Changed[0].Reasons; len(r) != 1 || !strings.HasPrefix(r[0], "toolchain: go1.26.8") {
		t.Errorf("reasons = %q", r)
	}
}

func TestDiffMetricsSortedAndCounted(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		name      string
		a, b      map[string]float64
		want      []string // names in order
		unchanged int
	}{
		{"by relative change", map[string]float64{"small": 100, "big": 1, "mid": 10, "same": 3},
			map[string]float64{"small": 101, "big": 2, "mid": 9, "same": 3}, []string{"big", "mid", "small"}, 1},
		{"from zero first", map[string]float64{"z": 0, "x": 1}, map[string]float64{"z": 1e-9, "x": 100}, []string{"z", "x"}, 0},
		{"ties by absolute change then name", map[string]float64{"b": 1, "a": 1, "c": 2}, map[string]float64{"b": 1.5, "a": 1.5, "c": 3},
			[]string{"c", "a", "b"}, 0},
		{"new and removed last", map[string]float64{"gone": 1, "x": 1, "y": 5}, map[string]float64{"new": 2, "x": 1.1, "y": 5},
			[]string{"x", "gone", "new"}, 1},
		{"all unchanged", map[string]float64{"a": 1, "b": 2}, map[string]float64{"a": 1, "b": 2}, nil, 2},
	} {
		ms, n := diffMetrics(c.a, c.b)
		var names []string
		for _, m := range ms {
			names = append(names, m.Name)
		}
		if strings.Join(names, ",") != strings.Join(c.want, ",") || n != c.unchanged {
			t.Errorf("%s: got %v, %d unchanged; want %v, %d", c.name, names, n, c.want, c.unchanged)
		}
	}
	ms, _ := diffMetrics(map[string]float64{"z": 0, "n": -2}, map[string]float64{"z": 0.25, "n": -1})
	if ms[0].Name != "z" || ms[0].Relative != nil || *ms[0].Change != 0.25 {
		t.Errorf("from A = 0: relative %v, change %v; want nil, 0.25", ms[0].Relative, *ms[0].Change)
	}
	if ms[1].Relative == nil || *ms[1].Relative != 0.5 {
		t.Errorf("from -2 to -1: relative %v, want +0.5 (relative to |A|)", ms[1].Relative)
	}
	if got := FormatRelative(ms[0].Relative, f(0)); got != "n/a (A = 0)" {
		t.Errorf("relative from 0 renders %q", got)
	}
}

func TestDiffFigures(t *testing.T) {
	a, b := twoLocks()
	d := DiffLocks(a, b)
	var got []string
	for _, f := range d.Figures {
		st := ""
		if f.A == "" {
			st = " (new)"
		}
		got = append(got, f.Name()+st)
	}
	if want := "figures/fit/figure.svg,figures/new/figure.png (new)"; strings.Join(got, ",") != want {
		t.Errorf("figures %v, want %s", got, want)
	}
	for _, name := range []string{"a.svg", "b.PNG", "figure.svg"} {
		if !IsFigure(name) {
			t.Errorf("IsFigure(%q) = false", name)
		}
	}
	for _, name := range []string{"value", "report.html", "svg", "x.pdf"} {
		if IsFigure(name) {
			t.Errorf("IsFigure(%q) = true", name)
		}
	}
}

func TestDiffCheck(t *testing.T) {
	a, b := twoLocks()
	d := DiffLocks(a, b)
	var rules []MetricRule
	for _, e := range []string{"fit.* > +5%", "fit.r2 < -0.05", "fit.same >= 0", "n.train < -50%", "nothing.* < 0"} {
		r, err := ParseMetricRule(e)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	vs, unmatched := d.Check(rules)
	var got []string
	for _, v := range vs {
		got = append(got, v.Rule+" | "+v.Metric)
	}
	want := []string{
		"fit.* > +5% | fit.mse",  // +10%
		"fit.* > +5% | fit.zero", // from 0: +Inf
		"fit.r2 < -0.05 | fit.r2",
		"fit.same >= 0 | fit.same", // unchanged metrics are checked too
		"n.train < -50% | n.train", // -75%
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(unmatched, ",") != "nothing.* < 0" {
		t.Errorf("unmatched = %v", unmatched)
	}
	if s := vs[0].String(); s != "fit.* > +5%: fit.mse changed +0.05 (+10%) (0.5 -> 0.55)" {
		t.Errorf("violation text %q", s)
	}
	d.Check(rules[2:3])
	if len(d.Violations) != 1 {
		t.Errorf("one rule: %d violations", len(d.Violations))
	}
}

func TestDiffEmptyAndJSON(t *testing.T) {
	a, _ := twoLocks()
	d := DiffLocks(a, a)
	if !d.Empty() {
		t.Errorf("a lock against itself is not empty: %+v", d)
	}
	a, b := twoLocks()
	d = DiffLocks(a, b)
	d.A.Label = "A"
	js, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		A                struct{ Label, Profile string }
		StagesChanged    []StageChange  `json:"stages_changed"`
		MetricsChanged   []MetricChange `json:"metrics_changed"`
		MetricsUnchanged int            `json:"metrics_unchanged"`
		FiguresChanged   []FigureChange `json:"figures_changed"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if back.A.Label != "A" || back.A.Profile != "quick" || len(back.StagesChanged) != 3 || back.MetricsUnchanged != 1 || len(back.FiguresChanged) != 2 {
		t.Errorf("JSON round trip: %+v", back)
	}
	if m := back.MetricsChanged[0]; m.Name != "fit.zero" || m.Relative != nil || m.A == nil || *m.A != 0 {
		t.Errorf("first metric %+v", m)
	}
	if !strings.Contains(string(js), `"relative": null`) {
		t.Error("an undefined relative change is not null in JSON")
	}
}

func TestDiffModule(t *testing.T) {
	for _, c := range []struct {
		ids  []string
		want string
	}{
		{[]string{"github.com/repro-dev/repro/stages.f", "github.com/repro-dev/repro/models.T.M", "github.com/repro-dev/repro.Source"}, "github.com/repro-dev/repro"},
		{[]string{"example.com/m/stages.f", "example.com/m/models.g"}, "example.com/m"},
		{[]string{"github.com/repro-dev/repro/stages.f"}, "github.com/repro-dev/repro/stages"},
		{nil, ""},
	} {
		m := map[string]string{}
		for _, id := range c.ids {
			m[id] = "h"
		}
		if got := diffModule(m); got != c.want {
			t.Errorf("%v: module %q, want %q", c.ids, got, c.want)
		}
	}
}
