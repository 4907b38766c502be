package pipeline

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// explanation compares two versions of what went into one stage's key: A,
// the lock's (or commit A's), and B, the current one (or commit B's). Both
// `repro status` and `repro diff` explain a stage with it, in the same words.
type explanation struct {
	a, b   *LockStage
	la, lb *Lock // their locks' toolchain, build settings and engine code
	// code explains a changed code fingerprint (which declarations).
	code func() string
	// module is trimmed from the names of functions.
	module string
}

// reasons lists, in a fixed order and wording, every difference between
// the two sides: code, params, inputs, module, build, engine, toolchain,
// and "key" when the keys differ for a reason the lock does not record.
// b.Inputs nil means B's inputs are not known yet (they are not compared).
func (x explanation) reasons() []string {
	a, b := x.a, x.b
	var rs []string
	if a.Func != b.Func && b.Func != "" {
		rs = append(rs, fmt.Sprintf("code: function %s -> %s", trimModule(x.module, a.Func), trimModule(x.module, b.Func)))
	}
	if a.Code != b.Code {
		rs = append(rs, "code: "+x.code())
	}
	if !bytes.Equal(compactJSON(a.Params), compactJSON(b.Params)) {
		rs = append(rs, "params: "+strings.Join(diffParams(a.Params, b.Params), ", "))
	}
	if b.Inputs != nil {
		var changed, added, removed []string
		for _, dep := range sortedKeys(diffKeys(a.Inputs, b.Inputs)) {
			ha, oka := a.Inputs[dep]
			hb, okb := b.Inputs[dep]
			switch {
			case !oka:
				added = append(added, dep)
			case !okb:
				removed = append(removed, dep)
			case ha != hb:
				changed = append(changed, dep)
			}
		}
		if len(changed) > 0 {
			rs = append(rs, "inputs: "+strings.Join(limit(changed, 6), ", ")+" changed")
		}
		if len(added) > 0 {
			rs = append(rs, "inputs: now reads "+strings.Join(limit(added, 6), ", "))
		}
		if len(removed) > 0 {
			rs = append(rs, "inputs: no longer reads "+strings.Join(limit(removed, 6), ", "))
		}
	}
	for _, f := range sortedKeys(diffKeys(a.Files, b.Files)) {
		ha, oka := a.Files[f]
		hb, okb := b.Files[f]
		switch {
		case !oka:
			rs = append(rs, "inputs: now reads file "+f)
		case !okb:
			rs = append(rs, "inputs: file "+f+" no longer read")
		case ha != hb:
			rs = append(rs, "inputs: file "+f+" changed")
		}
	}
	for _, m := range sortedKeys(diffKeys(a.Modules, b.Modules)) {
		if r := moduleChange(m, a.Modules[m], b.Modules[m]); r != "" {
			rs = append(rs, r)
		}
	}
	if !slices.Equal(x.la.Build, x.lb.Build) {
		rs = append(rs, "build: "+settingsChange(x.la.Build, x.lb.Build))
	}
	if x.la.Engine != "" && x.lb.Engine != "" && x.la.Engine != x.lb.Engine {
		rs = append(rs, "engine: the engine's output encoding code changed ("+shortHash(x.la.Engine)+" -> "+shortHash(x.lb.Engine)+")")
	}
	if x.la.Lang != x.lb.Lang {
		rs = append(rs, "language version (go.mod's go line): "+orNone(x.la.Lang)+" -> "+orNone(x.lb.Lang))
	}
	if x.la.Toolchain != x.lb.Toolchain {
		rs = append(rs, "toolchain: "+orNone(x.la.Toolchain)+" -> "+orNone(x.lb.Toolchain))
	}
	if len(rs) == 0 && b.Key != "" && a.Key != b.Key {
		rs = append(rs, "key: "+shortHash(a.Key)+" -> "+shortHash(b.Key)+": its inputs differ in a way the lock does not record (REPRO_DEBUG_KEY=1 prints them)")
	}
	return rs
}

// moduleChange describes a change of one module a stage reaches, or "".
func moduleChange(m, old, new string) string {
	switch {
	case old == new:
		return ""
	case new == "":
		return "package " + m + ": no longer reached"
	case old == "":
		return "package " + m + ": now reached (" + new + ")"
	}
	return "package " + m + ": " + old + " -> " + new
}

// settingsChange describes how two lists of build settings differ.
func settingsChange(o, n []string) string {
	var parts []string
	for _, x := range n {
		if !slices.Contains(o, x) {
			parts = append(parts, "now "+x)
		}
	}
	for _, x := range o {
		if !slices.Contains(n, x) {
			parts = append(parts, "was "+x)
		}
	}
	return strings.Join(parts, ", ")
}
