package crate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A Run describes one run of the pipeline, as plain data, for Write.
type Run struct {
	Name, Description string
	// License is the URL of the licence of the crate as a whole; "" says
	// that none is stated (each data file keeps its own).
	License  string
	Authors  []string // for CITATION.cff; none: "The authors"
	Date     time.Time
	Profile  string
	Commit   string // the code's commit; "" if unknown
	Modified bool   // uncommitted changes in the tree that ran
	// CommitSource says how the commit was found ("the binary's build
	// stamp", "git in the checkout").
	CommitSource string
	Toolchain    string // "go1.26 linux/amd64"
	Modules      []Module
	Parameters   []byte // the effective parameters (YAML)
	Report       []byte // the exported report (HTML); nil: none
	Data         []DataFile
	Stages       []Stage
}

// A Module is a Go module of the binary.
type Module struct{ Path, Version string }

// A DataFile is a file the stages read, with its licence.
type DataFile struct {
	Path        string // as the stages name it ("data/digits.csv.gz"), also its path in the crate
	Content     []byte
	License     string // URL; "" if not stated
	LicenseName string
	Description string
}

// A Stage is one stage of the run, as its lock entry records it.
type Stage struct {
	Name, Func, Key string
	Code            string          // the fingerprint of the code it reaches
	Params          json.RawMessage // canonical JSON
	Inputs          []string        // the stages it reads
	Files           map[string]string
	Outputs         map[string]string // name -> sha256
	Metrics         map[string]float64
	// Artifacts are outputs written into the crate as files: crate path
	// -> bytes (a figure's SVG and CSV).
	Artifacts map[string][]byte
	// Signer is the id of the key that signed the result in the shared
	// store it was pulled from ("" if computed here or unsigned), Trusted
	// whether a key the project trusts is that signer.
	Signer  string
	Trusted bool
}

// Write writes the run as a crate into dir: the report, the artifacts, the
// data files, results.json (every stage's metrics), parameters.yaml,
// CITATION.cff and ro-crate-metadata.json.
func Write(dir string, r *Run) (*Crate, error) {
	license := Ref("#license")
	if r.License != "" {
		license = Ref(r.License)
	}
	c, err := New(dir, Entity{
		"name":          r.Name,
		"description":   r.Description,
		"datePublished": r.Date.UTC().Format(time.RFC3339),
		"license":       license,
		"mentions":      []any{},
	})
	if err != nil {
		return nil, err
	}
	if r.License == "" {
		c.must(Entity{"@id": "#license", "@type": "CreativeWork", "name": "No licence stated",
			"description": "The authors state no licence for the results as a whole; each data file names its own."})
	} else {
		c.must(Entity{"@id": r.License, "@type": "CreativeWork", "name": r.License})
	}
	w := &writer{c: c, r: r}
	return c, w.write()
}

type writer struct {
	c *Crate
	r *Run
}

func (w *writer) write() error {
	c, r := w.c, w.r
	// The software: repro at its commit, with its modules.
	version := r.Commit
	if version == "" {
		version = "unknown"
	}
	if r.Modified {
		version += " (with uncommitted changes)"
	}
	var reqs []any
	for _, m := range r.Modules {
		id := LocalID("module", m.Path+"@"+m.Version)
		if !c.Has(id) {
			c.must(Entity{"@id": id, "@type": "SoftwareApplication", "name": m.Path, "version": m.Version})
		}
		reqs = append(reqs, Ref(id))
	}
	sw := Entity{"@id": "#repro", "@type": "SoftwareApplication", "name": "repro", "version": version,
		"runtimePlatform": r.Toolchain, "softwareRequirements": reqs}
	if r.CommitSource != "" {
		sw["description"] = "The pipeline's code at commit " + version + " (found by " + r.CommitSource + ")."
	}
	c.must(sw)

	// Files of the run as a whole.
	if r.Report != nil {
		if _, err := c.AddFile("report.html", r.Report, Entity{"name": "The report", "description": "The report as exported by the run (artifacts/report.html)."}); err != nil {
			return err
		}
	}
	if _, err := c.AddFile("parameters.yaml", r.Parameters, Entity{"name": "Parameters", "description": fmt.Sprintf("The effective parameters of profile %q.", r.Profile)}); err != nil {
		return err
	}
	if err := w.results(); err != nil {
		return err
	}
	data := map[string]string{}
	for _, d := range r.Data {
		props := Entity{"description": d.Description}
		if d.License != "" {
			props["license"] = Ref(d.License)
			if !c.Has(d.License) {
				c.must(Entity{"@id": d.License, "@type": "CreativeWork", "name": cmpOr(d.LicenseName, d.License)})
			}
		}
		id, err := c.AddFile(d.Path, d.Content, props)
		if err != nil {
			return err
		}
		data[d.Path] = id
	}
	// Every stage: its code, parameters, result and action.
	for _, s := range r.Stages {
		if err := w.stage(s, data); err != nil {
			return err
		}
	}
	if _, err := c.AddFile("CITATION.cff", citation(r), Entity{"name": "Citation", "description": "How to cite these results (Citation File Format 1.2.0)."}); err != nil {
		return err
	}
	return c.Write()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (w *writer) results() error {
	type res struct {
		Key     string             `json:"key"`
		Metrics map[string]float64 `json:"metrics"`
	}
	out := map[string]res{}
	for _, s := range w.r.Stages {
		if len(s.Metrics) > 0 {
			out[s.Name] = res{s.Key, s.Metrics}
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.c.AddFile("results.json", append(b, '\n'), Entity{"name": "Results", "description": "Every stage's metrics and key, as the lock records them: stage -> {key, metrics}."})
	return err
}

func (w *writer) stage(s Stage, data map[string]string) error {
	c := w.c
	code := LocalID("code", s.Func+"@"+short(s.Code))
	if !c.Has(code) {
		c.must(Entity{"@id": code, "@type": "SoftwareApplication", "name": s.Func,
			"identifier": "sha256:" + s.Code, "isPartOf": Ref("#repro"),
			"description": "The stage function and every declaration it reaches; the identifier is their fingerprint."})
	}
	var object, result []any
	for _, in := range s.Inputs {
		object = append(object, Ref(LocalID("result", in)))
	}
	for _, f := range slices.Sorted(mapsKeys(s.Files)) {
		id, ok := data[f]
		if !ok {
			id = LocalID("file", f)
			if !c.Has(id) {
				c.must(Entity{"@id": id, "@type": "CreativeWork", "name": f, "identifier": "sha256:" + s.Files[f],
					"description": "A file the stage reads that is not part of the crate (a template or an asset of the code)."})
			}
		}
		object = append(object, Ref(id))
	}
	if p := strings.TrimSpace(string(s.Params)); p != "" && p != "{}" && p != "null" {
		id := LocalID("params", s.Name)
		c.must(Entity{"@id": id, "@type": "PropertyValue", "name": "parameters of " + s.Name, "value": p})
		object = append(object, Ref(id))
	}
	var outs []string
	for _, n := range slices.Sorted(mapsKeys(s.Outputs)) {
		outs = append(outs, n+" sha256:"+s.Outputs[n])
	}
	rid := LocalID("result", s.Name)
	c.must(Entity{"@id": rid, "@type": "CreativeWork", "name": "outputs of " + s.Name, "identifier": outs,
		"description": "What the stage stored, by content hash (the run cache holds the bytes)."})
	result = append(result, Ref(rid))
	for _, p := range slices.Sorted(mapsKeys(s.Artifacts)) {
		id, err := c.AddFile(p, s.Artifacts[p], Entity{"description": "An output of stage " + s.Name + "."})
		if err != nil {
			return err
		}
		result = append(result, Ref(id))
	}
	for _, m := range slices.Sorted(mapsKeys(s.Metrics)) {
		id := LocalID("metric", m)
		if !c.Has(id) {
			c.must(Entity{"@id": id, "@type": "PropertyValue", "name": m, "value": s.Metrics[m]})
			result = append(result, Ref(id))
		}
	}
	act := Entity{"@id": LocalID("action", s.Name), "@type": "CreateAction", "name": "stage " + s.Name,
		"identifier": s.Key, "instrument": Ref(code), "object": nonNil(object), "result": result,
		"actionStatus": "http://schema.org/CompletedActionStatus"}
	if s.Signer != "" {
		id := LocalID("signer", s.Signer)
		if !c.Has(id) {
			c.must(Entity{"@id": id, "@type": "SoftwareApplication", "name": "repro signing key " + s.Signer,
				"identifier":  "repro-ed25519:" + s.Signer,
				"description": "An ed25519 key that signed results in the shared store (docs/security.md)."})
		}
		act["agent"] = Ref(id)
		if s.Trusted {
			act["description"] = "Pulled from the shared store, signed by key " + s.Signer + ", which the project trusts."
		} else {
			act["description"] = "Pulled from the shared store, signed by key " + s.Signer + ", which the project does not list as trusted."
		}
	}
	c.must(act)
	c.Root["mentions"] = append(c.Root["mentions"].([]any), Ref(act.ID()))
	return nil
}

func nonNil(x []any) []any {
	if x == nil {
		return []any{}
	}
	return x
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// citation is CITATION.cff (format 1.2.0) for the run.
func citation(r *Run) []byte {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // a JSON string is a YAML string
	var b strings.Builder
	b.WriteString("cff-version: 1.2.0\n")
	b.WriteString("message: \"If you use these results, please cite them as below.\"\n")
	b.WriteString("type: dataset\n")
	fmt.Fprintf(&b, "title: %s\n", q(r.Name))
	fmt.Fprintf(&b, "abstract: %s\n", q(r.Description))
	b.WriteString("authors:\n")
	authors := r.Authors
	if len(authors) == 0 {
		authors = []string{"The authors"}
	}
	for _, a := range authors {
		fmt.Fprintf(&b, "  - name: %s\n", q(a))
	}
	fmt.Fprintf(&b, "date-released: %s\n", r.Date.UTC().Format("2006-01-02"))
	if r.Commit != "" {
		fmt.Fprintf(&b, "commit: %s\n", q(r.Commit))
		fmt.Fprintf(&b, "version: %s\n", q(short(r.Commit)))
	}
	if r.License != "" {
		fmt.Fprintf(&b, "license-url: %s\n", q(r.License))
	}
	return []byte(b.String())
}
