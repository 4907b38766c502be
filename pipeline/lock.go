package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Lock records every stage of the last run of a profile: what went into its
// key and what came out. It is canonical JSON (sorted keys, two-space
// indent), committed to git, so that `git diff` of it is readable and two
// commits' results can be compared without rerunning anything.
type Lock struct {
	Version   int    `json:"version"`
	Profile   string `json:"profile"`
	Toolchain string `json:"toolchain"`
	// Lang is the module's language version (go.mod's go line, as go1.N).
	Lang string `json:"lang,omitempty"`
	// Build is the build settings of the binary that wrote the lock, and
	// Engine the fingerprint of the engine's encoding code (see the key
	// lines "build" and "engine").
	Build  []string `json:"build,omitempty"`
	Engine string   `json:"engine,omitempty"`
	// Declarations maps each declaration reached by some stage to a short
	// hash of its tokens, so a later status can say which ones changed.
	Declarations map[string]string     `json:"declarations"`
	Stages       map[string]*LockStage `json:"stages"`
}

// A LockStage is one stage's entry in the lock.
type LockStage struct {
	Key     string             `json:"key"`
	Func    string             `json:"func"`
	Code    string             `json:"code"`
	Params  json.RawMessage    `json:"params"`
	Inputs  map[string]string  `json:"inputs,omitempty"`
	Files   map[string]string  `json:"files,omitempty"`
	Modules map[string]string  `json:"modules,omitempty"`
	Outputs map[string]string  `json:"outputs"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

const lockVersion = 1

// ReadLock reads a lock file. A missing file is an empty lock, not an error.
func ReadLock(path string) (*Lock, error) {
	b, err := ReadRegularFile(path, MaxStateFileBytes, "a lock file")
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{Version: lockVersion, Declarations: map[string]string{}, Stages: map[string]*LockStage{}}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseLock(path, b)
}

// ParseLock decodes the bytes of a lock file; name is used in errors.
func ParseLock(name string, b []byte) (*Lock, error) {
	// encoding/json keeps the last of two equal keys: a lock with a stage
	// (or a metric) twice would read as whichever came last, while a
	// reader of the file (a reviewer) may see the first.
	if err := checkDuplicateKeys(b); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var l Lock
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if l.Version != lockVersion {
		return nil, fmt.Errorf("%s: lock version %d, this repro reads version %d", name, l.Version, lockVersion)
	}
	if l.Declarations == nil {
		l.Declarations = map[string]string{}
	}
	if l.Stages == nil {
		l.Stages = map[string]*LockStage{}
	}
	for _, stage := range sortedKeys(l.Stages) {
		if err := l.Stages[stage].check(stage); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return &l, nil
}

// checkDuplicateKeys refuses a JSON document with two equal keys in one
// object, at any depth, naming the key and where it is. Keys are compared
// as encoding/json decodes them (escapes resolved, invalid UTF-8 replaced).
// It scans the bytes once, without decoding values: the lock of the default
// profile is megabytes, read twice by every run. Syntax errors are left to
// json.Unmarshal, which words them better: on a document that is not JSON
// it may return nil or an error, and ParseLock fails either way.
func checkDuplicateKeys(b []byte) error {
	type frame struct {
		obj  bool
		keys []string            // the keys seen so far, while few
		set  map[string]struct{} // and then
		key  string              // the key whose value is being read
	}
	var stack []frame
	expectKey := false // in an object, the next string is a key
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			j := i + 1
			escaped := false
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					escaped = true
					j++
				}
				j++
			}
			if j >= len(b) {
				return nil // unterminated: a syntax error
			}
			if expectKey && len(stack) > 0 && stack[len(stack)-1].obj {
				raw := b[i : j+1]
				var k string
				if escaped || !utf8.Valid(raw) {
					if json.Unmarshal(raw, &k) != nil {
						return nil
					}
				} else {
					k = string(raw[1 : len(raw)-1])
				}
				top := &stack[len(stack)-1]
				dup := false
				if top.set != nil {
					_, dup = top.set[k]
					top.set[k] = struct{}{}
				} else {
					dup = slices.Contains(top.keys, k)
					top.keys = append(top.keys, k)
					if len(top.keys) > 16 {
						top.set = make(map[string]struct{}, 2*len(top.keys))
						for _, k := range top.keys {
							top.set[k] = struct{}{}
						}
						top.keys = nil
					}
				}
				if dup {
					// Where: each enclosing object's key, quoted and
					// joined by dots, "[]" for an array's element.
					path := ""
					for _, f := range stack[:len(stack)-1] {
						if !f.obj {
							path += "[]"
							continue
						}
						if path != "" {
							path += "."
						}
						path += strconv.Quote(f.key)
					}
					where := "at the top level"
					if path != "" {
						where = "in " + path
					}
					return fmt.Errorf("duplicate key %q %s (a lock this engine writes has each key once)", k, where)
				}
				top.key = k
				expectKey = false
			}
			i = j
		case '{':
			stack = append(stack, frame{obj: true})
			expectKey = true
		case '[':
			stack = append(stack, frame{})
			expectKey = false
		case '}', ']':
			if len(stack) == 0 {
				return nil
			}
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].obj
		}
	}
	return nil
}

// check refuses what this engine never writes into a lock, so that what
// reads a lock (status, diff, gc) can trust its shape: a lock is outside
// input (a pull request's lock is read by repro diff in CI).
func (s *LockStage) check(name string) error {
	if err := CheckName("stage", name); err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("stage %q: null", name)
	}
	if !validHash(s.Key) {
		return fmt.Errorf("stage %q: key %q is not a hash", name, s.Key)
	}
	for what, m := range map[string]map[string]string{"output": s.Outputs, "input": s.Inputs, "file": s.Files} {
		for _, k := range sortedKeys(m) {
			if err := CheckName(what, k); err != nil {
				return fmt.Errorf("stage %q: %w", name, err)
			}
			if !validHash(m[k]) {
				return fmt.Errorf("stage %q: %s %q: %q is not a hash", name, what, k, m[k])
			}
		}
	}
	return nil
}

// Encode returns the canonical bytes of the lock.
func (l *Lock) Encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes the lock atomically.
func (l *Lock) Write(path string) error {
	b, err := l.Encode()
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// WriteIfChanged writes the lock atomically unless the file already holds
// exactly its bytes: a run that changed nothing (every stage cached) then
// leaves the file alone, and spares the sync of a file of megabytes.
func (l *Lock) WriteIfChanged(path string) error {
	b, err := l.Encode()
	if err != nil {
		return err
	}
	if old, err := ReadRegularFile(path, int64(len(b)), "a lock file"); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return WriteFileAtomic(path, b)
}

// Metrics returns every metric of every stage, by its flat dotted name,
// without the per-seed values (NAME.seeds[i], see SeedValues).
func (l *Lock) Metrics() map[string]float64 { return headline(l.allMetrics()) }

// SeedValues returns the per-seed values of every metric that is a mean
// over seeds and records them (NAME.seeds[0], NAME.seeds[1], ...), by the
// metric's name, in seed order.
func (l *Lock) SeedValues() map[string][]float64 { return seedValues(l.allMetrics()) }

func (l *Lock) allMetrics() map[string]float64 {
	m := map[string]float64{}
	for _, s := range l.Stages {
		for k, v := range s.Metrics {
			m[k] = v
		}
	}
	return m
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// Update merges the outcomes of a run into the lock. Stages no longer in the
// graph are dropped; stages of the graph that did not take part keep their
// old entries. Declarations is rebuilt as the union of what every locked
// stage reaches (for a stage that did not run, only if its code is unchanged).
func (l *Lock) Update(res *RunResult, e *Engine) error {
	l.Version = lockVersion
	l.Toolchain = Toolchain()
	l.Lang = e.Code.Lang
	l.Build = append([]string{}, e.Code.Build.Settings...)
	l.Engine = e.engineCode()
	if l.Stages == nil {
		l.Stages = map[string]*LockStage{}
	}
	for name := range l.Stages {
		if e.Graph.Stage(name) == nil {
			delete(l.Stages, name)
		}
	}
	for name, o := range res.Outcomes {
		ls := &LockStage{
			Key: o.Key, Func: o.Stage.Run.name, Code: o.Code.Fingerprint,
			Params: json.RawMessage(o.Params), Inputs: o.Inputs, Files: o.Files,
			Modules: o.Modules, Outputs: o.Record.Outputs, Metrics: o.Record.Metrics,
		}
		if len(ls.Inputs) == 0 {
			ls.Inputs = nil
		}
		if len(ls.Files) == 0 {
			ls.Files = nil
		}
		if len(ls.Modules) == 0 {
			ls.Modules = nil
		}
		l.Stages[name] = ls
	}
	decls := map[string]string{}
	for name, ls := range l.Stages {
		code, err := e.code(e.Graph.Stage(name))
		if err != nil {
			return err
		}
		if code.Fingerprint != ls.Code {
			continue
		}
		for id, h := range code.Decls {
			decls[id] = shortHash(h)
		}
	}
	l.Declarations = decls
	return nil
}

// ObjectHashes lists every object the lock names, for gc.
func (l *Lock) ObjectHashes() []string {
	var hs []string
	for _, s := range l.Stages {
		for _, h := range s.Outputs {
			hs = append(hs, h)
		}
	}
	sort.Strings(hs)
	return hs
}

// FlattenJSON flattens a JSON document into dotted keys ("a.b[2].c") with
// their values as compact JSON.
func FlattenJSON(b []byte) map[string]string {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return map[string]string{"": string(b)}
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if len(v) == 0 {
				out[prefix] = "{}"
			}
			for k, x := range v {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, x)
			}
		case []any:
			// Lists of scalars read best whole.
			scalar := true
			for _, x := range v {
				switch x.(type) {
				case map[string]any, []any:
					scalar = false
				}
			}
			if scalar {
				b, _ := json.Marshal(v)
				out[prefix] = string(b)
				return
			}
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", prefix, i), x)
			}
		default:
			b, _ := json.Marshal(v)
			out[prefix] = string(b)
		}
	}
	walk("", v)
	return out
}

// ParamChanges lists "key old -> new" for every flattened key that differs.
func ParamChanges(old, new []byte) []string {
	a, b := FlattenJSON(old), FlattenJSON(new)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []string
	for _, k := range sortedKeys(keys) {
		va, oka := a[k]
		vb, okb := b[k]
		switch {
		case !oka:
			out = append(out, fmt.Sprintf("%s (new) -> %s", k, vb))
		case !okb:
			out = append(out, fmt.Sprintf("%s %s -> (removed)", k, va))
		case va != vb:
			if d, ok := textChange(va, vb); ok {
				out = append(out, k+" "+d)
				continue
			}
			out = append(out, fmt.Sprintf("%s %s -> %s", k, va, vb))
		}
	}
	return out
}

// textChange describes a change between two multi-line JSON strings by the
// lines that differ, rather than by the whole texts.
func textChange(a, b string) (string, bool) {
	var sa, sb string
	if json.Unmarshal([]byte(a), &sa) != nil || json.Unmarshal([]byte(b), &sb) != nil || !strings.Contains(sa+sb, "\n") {
		return "", false
	}
	la, lb := strings.Split(sa, "\n"), strings.Split(sb, "\n")
	in := func(xs []string) map[string]int {
		m := map[string]int{}
		for _, x := range xs {
			m[x]++
		}
		return m
	}
	ma, mb := in(la), in(lb)
	var gone, added []string
	for _, x := range la {
		if mb[x] > 0 {
			mb[x]--
			continue
		}
		gone = append(gone, strconv.Quote(strings.TrimSpace(x)))
	}
	for _, x := range lb {
		if ma[x] > 0 {
			ma[x]--
			continue
		}
		added = append(added, strconv.Quote(strings.TrimSpace(x)))
	}
	return fmt.Sprintf("(lines %s -> %s)", strings.Join(limit(gone, 3), ", "), strings.Join(limit(added, 3), ", ")), true
}

// trimModule shortens declaration ids for display.
func trimModule(module, id string) string {
	return strings.TrimPrefix(strings.TrimPrefix(id, module+"/"), module+".")
}
