package project

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

// Status and the report stage's reasons name a stage's own parameters
// ("params: train.lr 0.05 -> 0.1", "settings[4].grid ..."), which a user
// never edits: they edit params.yaml ("logistic.learning_rate"). A stage's
// parameters are computed from the parameters by stages.Build, so the key
// behind each of them is found by asking Build: change one key, build the
// graph again, and see which parameters of which stages move.

// A paramLeaf is one leaf of the parameters: its key as params.yaml spells
// it ("logistic.learning_rate", "neural_regression.extra[0].learning_rate";
// a list of numbers or names is one leaf) and where it lies in a Params.
type paramLeaf struct {
	key  string
	path []int // field and element indexes from the Params value
}

// paramLeaves lists the leaves of p (the store section, which is not a
// parameter of the study, left out).
func paramLeaves(p *config.Params) []paramLeaf {
	var out []paramLeaf
	var walk func(prefix string, v reflect.Value, path []int)
	walk = func(prefix string, v reflect.Value, path []int) {
		switch {
		case v.Kind() == reflect.Struct:
			t := v.Type()
			for i := range t.NumField() {
				f := t.Field(i)
				if !f.IsExported() {
					continue
				}
				k := yamlKey(f)
				if prefix != "" {
					k = prefix + "." + k
				}
				if k == "store" {
					continue
				}
				walk(k, v.Field(i), append(slices.Clone(path), i))
			}
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", prefix, i), v.Index(i), append(slices.Clone(path), i))
			}
		default:
			out = append(out, paramLeaf{key: prefix, path: path})
		}
	}
	walk("", reflect.ValueOf(p).Elem(), nil)
	return out
}

func yamlKey(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if tag == "" {
		return strings.ToLower(f.Name)
	}
	return tag
}

// at returns the value of the leaf in p.
func (l paramLeaf) at(p *config.Params) reflect.Value {
	v := reflect.ValueOf(p).Elem()
	for _, i := range l.path {
		if v.Kind() == reflect.Slice {
			v = v.Index(i)
		} else {
			v = v.Field(i)
		}
	}
	return v
}

// perturb changes v (settable) to a different value of its kind: numbers
// move, names get a suffix, switches flip, each element of a list moves.
// It reports false for a kind it cannot change.
func perturb(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float()*1.37 + 0.0137)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.String:
		v.SetString(v.String() + "~")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		if v.Len() == 0 {
			return false
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := range c.Len() {
			if !perturb(c.Index(i)) {
				return false
			}
		}
		v.Set(c)
	default:
		return false
	}
	return true
}

// copyParams is a deep copy of p.
func copyParams(p *config.Params) (*config.Params, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var c config.Params
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// stageParamPaths flattens a stage's parameters: path -> JSON value.
func stageParamPaths(s *pipeline.Stage) map[string]string {
	b, err := json.Marshal(s.Params)
	if err != nil {
		return nil
	}
	return pipeline.FlattenJSON(b)
}

// paramKeyMap maps, for each of the named stages, each of its parameter
// paths to the keys of params.yaml whose change moves it, found by
// building the graph again with one key changed at a time (build builds a
// graph from parameters; env-dependent settings stay as they are).
func paramKeyMap(p *config.Params, build func(*config.Params) (*pipeline.Graph, error), names []string) map[string]map[string][]string {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	base := map[string]map[string]string{}
	if g, err := safeBuild(build, p); err == nil {
		for _, s := range g.Stages() {
			if want[s.Name] {
				base[s.Name] = stageParamPaths(s)
			}
		}
	}
	out := map[string]map[string][]string{}
	for _, leaf := range paramLeaves(p) {
		c, err := copyParams(p)
		if err != nil || !perturb(leaf.at(c)) {
			continue
		}
		g, err := safeBuild(build, c)
		if err != nil {
			continue
		}
		for n, was := range base {
			s := g.Stage(n)
			if s == nil {
				continue
			}
			now := stageParamPaths(s)
			for path, v := range now {
				if was[path] != v {
					if out[n] == nil {
						out[n] = map[string][]string{}
					}
					out[n][path] = append(out[n][path], leaf.key)
				}
			}
		}
	}
	return out
}

// safeBuild is build, with a panic (a perturbed value Build cannot take)
// an error.
func safeBuild(build func(*config.Params) (*pipeline.Graph, error), p *config.Params) (g *pipeline.Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("build: %v", r)
		}
	}()
	return build(p)
}

// UserParamNames rewrites the "params: ..." reasons of sts to name the keys
// of params.yaml behind each of a stage's parameters: "params:
// logistic.learning_rate 0.05 -> 0.1" for "params: train.lr 0.05 -> 0.1";
// a parameter computed from several keys ("settings[4].grid", the report's
// table of settings) is named by the keys whose current value it newly
// shows, then its own path: "logistic.learning_rate (settings[4].grid)".
// A path no key moves is left as it is.
func UserParamNames(sts []pipeline.StageStatus, p *config.Params, build func(*config.Params) (*pipeline.Graph, error)) {
	var names []string
	for _, s := range sts {
		for _, r := range s.Reasons {
			if strings.HasPrefix(r, "params: ") {
				names = append(names, s.Stage)
				break
			}
		}
	}
	if len(names) == 0 {
		return
	}
	keys := paramKeyMap(p, build, names)
	values := map[string]string{}
	for _, l := range paramLeaves(p) {
		values[l.key] = leafText(l.at(p))
	}
	for i := range sts {
		paths := keys[sts[i].Stage]
		if len(paths) == 0 {
			continue
		}
		for j, r := range sts[i].Reasons {
			if strings.HasPrefix(r, "params: ") {
				sts[i].Reasons[j] = "params: " + renameParams(strings.TrimPrefix(r, "params: "), paths, values)
			}
		}
	}
}

// renameParams rewrites the items of one "params:" reason ("PATH OLD ->
// NEW, PATH OLD -> NEW").
func renameParams(text string, paths map[string][]string, values map[string]string) string {
	// Items start at the beginning or after ", " with a known path and a
	// space; longer paths first, so that "train.lr" is not taken for
	// "train.l".
	known := make([]string, 0, len(paths))
	for p := range paths {
		known = append(known, p)
	}
	sort.Slice(known, func(i, j int) bool { return len(known[i]) > len(known[j]) })
	var b strings.Builder
	for i := 0; i < len(text); {
		start := i == 0 || strings.HasSuffix(text[:i], ", ")
		matched := ""
		if start {
			for _, p := range known {
				if strings.HasPrefix(text[i:], p+" ") {
					matched = p
					break
				}
			}
		}
		if matched == "" {
			b.WriteByte(text[i])
			i++
			continue
		}
		item := text[i+len(matched)+1:] // up to the next item
		end := len(item)
		for _, p := range known {
			if k := strings.Index(item, ", "+p+" "); k >= 0 && k < end {
				end = k
			}
		}
		item = item[:end]
		b.WriteString(userName(matched, paths[matched], values, item))
		i += len(matched)
	}
	return b.String()
}

// userName is what to call the stage parameter path moved by keys: the one
// key whose value it is, or the keys whose current value the new value
// shows and the old one does not, followed by the path; the path alone when
// more than three keys remain.
func userName(path string, keys []string, values map[string]string, item string) string {
	if len(keys) == 1 && strings.HasSuffix(item, " "+values[keys[0]]) {
		return keys[0] // a copy of the key's value
	}
	old, new, _ := strings.Cut(item, " -> ")
	var shown []string
	for _, k := range keys {
		if v := values[k]; v != "" && strings.Contains(new, v) && !strings.Contains(old, v) {
			shown = append(shown, k)
		}
	}
	if len(shown) == 0 {
		shown = keys
	}
	if len(shown) > 3 {
		return path // made of many keys (a dump of them all): its own name says more
	}
	return strings.Join(shown, " or ") + " (" + path + ")"
}

// leafText is a leaf's value as the reasons print values: JSON.
func leafText(v reflect.Value) string {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return ""
	}
	return string(b)
}
