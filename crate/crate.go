// Package crate writes a run's results as an RO-Crate 1.1 (a directory with
// ro-crate-metadata.json, https://w3id.org/ro/crate/1.1) following the
// Process Run Crate profile (https://w3id.org/ro/wfrun/process/0.5): every
// file of the crate with its sha256, every stage as a CreateAction with its
// instrument (the code), object (inputs, data files, parameters) and result
// (outputs, metrics), and a CITATION.cff. It knows nothing of the pipeline:
// the caller describes the run as plain data (Run), and Check reads a crate
// back and checks its shape.
package crate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The specifications a crate conforms to.
const (
	Spec           = "https://w3id.org/ro/crate/1.1"
	Context        = Spec + "/context"
	ProcessProfile = "https://w3id.org/ro/wfrun/process/0.5"
	MetadataFile   = "ro-crate-metadata.json"
)

// An Entity is one node of the crate's @graph.
type Entity map[string]any

// ID is the entity's @id.
func (e Entity) ID() string { s, _ := e["@id"].(string); return s }

// Ref is a reference to the entity with id.
func Ref(id string) map[string]any { return map[string]any{"@id": id} }

// A Crate is a crate being written into Dir.
type Crate struct {
	Dir   string
	Root  Entity
	graph []Entity
	byID  map[string]Entity
}

// New starts a crate in dir (created if missing) with root's properties on
// the root dataset ("./"), which conforms to the Process Run Crate profile.
func New(dir string, root Entity) (*Crate, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := Entity{"@id": "./", "@type": "Dataset", "conformsTo": []any{Ref(ProcessProfile)}, "hasPart": []any{}}
	for k, v := range root {
		r[k] = v
	}
	c := &Crate{Dir: dir, Root: r, byID: map[string]Entity{}}
	c.must(Entity{"@id": MetadataFile, "@type": "CreativeWork", "conformsTo": Ref(Spec), "about": Ref("./")})
	c.must(r)
	c.must(Entity{"@id": ProcessProfile, "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"})
	return c, nil
}

func (c *Crate) must(e Entity) {
	if err := c.Add(e); err != nil {
		panic("crate: " + err.Error())
	}
}

// Add adds a contextual entity; an id already in the crate is an error.
func (c *Crate) Add(e Entity) error {
	id := e.ID()
	if id == "" {
		return fmt.Errorf("entity without @id")
	}
	if c.byID[id] != nil {
		return fmt.Errorf("two entities with @id %q", id)
	}
	c.byID[id] = e
	c.graph = append(c.graph, e)
	return nil
}

// Has reports whether an entity with id is in the crate.
func (c *Crate) Has(id string) bool { return c.byID[id] != nil }

// AddFile writes b to rel (a slash-separated path inside the crate) and
// adds it as a File entity with its sha256, size and props, listed in the
// root's hasPart. It returns the entity's id.
func (c *Crate) AddFile(rel string, b []byte, props Entity) (string, error) {
	if !filepath.IsLocal(filepath.FromSlash(rel)) || path.Clean(rel) != rel {
		return "", fmt.Errorf("crate: file %q is not a clean path inside the crate", rel)
	}
	p := filepath.Join(c.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return "", err
	}
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		if err := c.addDir(d); err != nil {
			return "", err
		}
	}
	id := FileID(rel)
	sum := sha256.Sum256(b)
	e := Entity{"@id": id, "@type": "File", "name": path.Base(rel), "sha256": hex.EncodeToString(sum[:]), "contentSize": fmt.Sprint(len(b))}
	if f := format(rel); f != "" {
		e["encodingFormat"] = f
	}
	for k, v := range props {
		e[k] = v
	}
	if err := c.Add(e); err != nil {
		return "", err
	}
	c.Root["hasPart"] = append(c.Root["hasPart"].([]any), Ref(id))
	return id, nil
}

// addDir describes the directory rel as a Dataset in the root's hasPart,
// once.
func (c *Crate) addDir(rel string) error {
	id := FileID(rel) + "/"
	if c.Has(id) {
		return nil
	}
	if err := c.Add(Entity{"@id": id, "@type": "Dataset", "name": path.Base(rel)}); err != nil {
		return err
	}
	c.Root["hasPart"] = append(c.Root["hasPart"].([]any), Ref(id))
	return nil
}

// Write writes ro-crate-metadata.json.
func (c *Crate) Write() error {
	doc := map[string]any{"@context": Context, "@graph": c.graph}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.Dir, MetadataFile), append(b, '\n'), 0o644)
}

// FileID is the @id of the file at rel: its path as a relative URI
// reference, every byte but unreserved ones and "/" percent-encoded.
func FileID(rel string) string { return escape(rel, "/") }

// LocalID is the @id of a contextual entity named by kind and name
// ("#action/digits/load").
func LocalID(kind, name string) string { return "#" + kind + "/" + escape(name, "/=,@+") }

func escape(s, keep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("-._~", ch) >= 0 || strings.IndexByte(keep, ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

var formats = map[string]string{
	".html": "text/html", ".svg": "image/svg+xml", ".csv": "text/csv", ".json": "application/json",
	".yaml": "application/yaml", ".cff": "application/yaml", ".gz": "application/gzip", ".npz": "application/zip",
	".npy": "application/octet-stream", ".tif": "image/tiff", ".tiff": "image/tiff",
}

func format(rel string) string { return formats[strings.ToLower(path.Ext(rel))] }

// Check reads the crate in dir and checks its shape: one metadata
// descriptor conforming to RO-Crate 1.1, a root dataset with the required
// properties that conforms to the Process Run Crate profile, unique ids,
// every File entity a file of the crate with the sha256 it states, listed
// in the root's hasPart, every hasPart entry a described entity, and every
// reference to a crate-local id ("#...") resolved. It returns every
// problem found.
func Check(dir string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	b, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil {
		return []error{err}
	}
	var doc struct {
		Context any      `json:"@context"`
		Graph   []Entity `json:"@graph"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return []error{fmt.Errorf("%s: %w", MetadataFile, err)}
	}
	if doc.Context != Context {
		bad("@context is %v, want %s", doc.Context, Context)
	}
	byID := map[string]Entity{}
	for _, e := range doc.Graph {
		id := e.ID()
		if id == "" {
			bad("an entity without @id: %v", e)
			continue
		}
		if byID[id] != nil {
			bad("@id %q twice", id)
		}
		byID[id] = e
	}
	desc, root := byID[MetadataFile], byID["./"]
	switch {
	case desc == nil:
		bad("no metadata descriptor %q", MetadataFile)
	case refID(desc["conformsTo"]) != Spec || refID(desc["about"]) != "./":
		bad("the metadata descriptor must conform to %s and be about ./", Spec)
	}
	if root == nil {
		return append(errs, fmt.Errorf("no root dataset ./"))
	}
	if !slices.Contains(types(root), "Dataset") {
		bad("the root is not a Dataset")
	}
	for _, p := range []string{"name", "description", "datePublished", "license", "conformsTo"} {
		if root[p] == nil {
			bad("the root dataset has no %s", p)
		}
	}
	if !slices.Contains(refIDs(root["conformsTo"]), ProcessProfile) {
		bad("the root dataset does not conform to %s", ProcessProfile)
	}
	parts := map[string]bool{}
	for _, id := range refIDs(root["hasPart"]) {
		parts[id] = true
		if byID[id] == nil {
			bad("hasPart names %q, which the crate does not describe", id)
		}
	}
	for _, e := range doc.Graph {
		id := e.ID()
		walkRefs(e, func(r string) {
			if strings.HasPrefix(r, "#") && byID[r] == nil {
				bad("%s refers to %s, which the crate does not describe", id, r)
			}
		})
		if id != "./" && slices.Contains(types(e), "Dataset") {
			rel, err := unescape(strings.TrimSuffix(id, "/"))
			if fi, serr := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil || !filepath.IsLocal(filepath.FromSlash(rel)) || serr != nil || !fi.IsDir() {
				bad("dataset %s is not a directory of the crate", id)
			}
			if !parts[id] {
				bad("dataset %s is not in the root's hasPart", id)
			}
		}
		if !slices.Contains(types(e), "File") {
			continue
		}
		if !parts[id] {
			bad("file %s is not in the root's hasPart", id)
		}
		rel, err := unescape(id)
		if err != nil || !filepath.IsLocal(filepath.FromSlash(rel)) {
			bad("file %s: not a path inside the crate", id)
			continue
		}
		fb, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			bad("file %s: %v", id, err)
			continue
		}
		sum := sha256.Sum256(fb)
		if got := hex.EncodeToString(sum[:]); e["sha256"] != got {
			bad("file %s: sha256 %v in the metadata, %s on disk", id, e["sha256"], got)
		}
		if e["contentSize"] != fmt.Sprint(len(fb)) {
			bad("file %s: contentSize %v in the metadata, %d bytes on disk", id, e["contentSize"], len(fb))
		}
	}
	return errs
}

func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		var ch byte
		if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &ch); err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(ch)
		i += 2
	}
	return b.String(), nil
}

func types(e Entity) []string {
	switch t := e["@type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func refID(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["@id"].(string)
		return s
	}
	return ""
}

func refIDs(v any) []string {
	if l, ok := v.([]any); ok {
		var out []string
		for _, x := range l {
			out = append(out, refID(x))
		}
		return out
	}
	if id := refID(v); id != "" {
		return []string{id}
	}
	return nil
}

// walkRefs calls f with every {"@id": ...} reference inside the entity's
// properties.
func walkRefs(e Entity, f func(string)) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["@id"].(string); ok && len(x) == 1 {
				f(id)
				return
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	for k, v := range e {
		if k != "@id" {
			walk(v)
		}
	}
}
