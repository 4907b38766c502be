package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/repro-dev/repro/pipeline"
)

// Options says where the parameters come from.
type Options struct {
	Dir     string   // project root holding params.yaml
	Profile string   // "" or "default": params.yaml alone; otherwise params.<profile>.yaml on top
	Environ []string // os.Environ(): REPRO_* variables override keys
	Set     []string // key=value overrides, applied last
}

// EnvPrefix starts every environment variable that overrides a key:
// terrain.x_sparsity is REPRO_TERRAIN_X_SPARSITY.
const EnvPrefix = "REPRO_"

// reservedEnv are REPRO_ variables that are not parameters.
// REPRO_SIGNING_KEY_FILE names the private key that signs uploaded results
// (docs/security.md): a secret, so never a parameter.
// REPRO_CACHE_DIR is where the code fingerprints are kept across stores
// (project.CacheDirEnv).
var reservedEnv = map[string]bool{"REPRO_DEBUG_KEY": true, "REPRO_PROFILE": true, "REPRO_BROWSER": true, "REPRO_TEST_ARTIFACTS": true, "REPRO_CACHE_DIR": true, SigningKeyEnv: true}

// SigningKeyEnv names the private key file that signs uploaded results.
const SigningKeyEnv = "REPRO_SIGNING_KEY_FILE"

// EnvName is the environment variable that overrides key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// ProfileFile is the file of a profile.
func ProfileFile(profile string) string {
	if profile == "" || profile == "default" {
		return "params.yaml"
	}
	return "params." + profile + ".yaml"
}

// Load reads, merges, decodes and validates the parameters.
func Load(o Options) (*Params, error) {
	sources := map[string]string{}
	v := viper.New()
	base := filepath.Join(o.Dir, "params.yaml")
	m, err := readYAML(base, "params.yaml")
	if err != nil {
		return nil, err
	}
	note(sources, "", m, "params.yaml")
	if err := v.MergeConfigMap(m); err != nil {
		return nil, fmt.Errorf("params.yaml: %w", err)
	}
	if err := CheckProfile(o.Profile); err != nil {
		return nil, err
	}
	if o.Profile != "" && o.Profile != "default" {
		name := ProfileFile(o.Profile)
		pm, err := readYAML(filepath.Join(o.Dir, name), name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--profile %s: %s not found (profiles: %s)", o.Profile, name, strings.Join(Profiles(o.Dir), ", "))
		}
		if err != nil {
			return nil, err
		}
		note(sources, "", pm, name)
		if err := v.MergeConfigMap(pm); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	keys := Keys()
	known := map[string]bool{}
	byEnv := map[string]string{}
	for _, k := range keys {
		known[k] = true
		byEnv[EnvName(k)] = k
	}
	env := append([]string(nil), o.Environ...)
	sort.Strings(env)
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || reservedEnv[name] {
			continue
		}
		k, ok := byEnv[name]
		if !ok {
			msg := "no parameter has this variable"
			var names []string
			for n := range byEnv {
				names = append(names, n)
			}
			if s := suggest(name, names); s != "" {
				msg += "; did you mean " + s + "?"
			}
			return nil, &Error{Source: "environment", Key: name, Value: val, Msg: msg}
		}
		x, err := parseValue(val)
		if err != nil {
			return nil, &Error{Source: name, Key: k, Value: val, Msg: err.Error()}
		}
		v.Set(k, x)
		sources[k] = name
	}
	for _, s := range o.Set {
		k, val, ok := strings.Cut(s, "=")
		if !ok {
			return nil, &Error{Source: "--set", Key: s, Msg: "want key=value"}
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if !known[k] {
			msg := "no such key"
			if sg := suggest(k, keys); sg != "" {
				msg += "; did you mean " + sg + "?"
			} else {
				msg += " (`repro params --keys` lists them)"
			}
			return nil, &Error{Source: "--set", Key: k, Value: val, Msg: msg}
		}
		x, err := parseValue(val)
		if err != nil {
			return nil, &Error{Source: "--set", Key: k, Value: val, Msg: err.Error()}
		}
		v.Set(k, x)
		sources[k] = "--set"
	}
	d := &decoder{source: func(key string) string {
		for k := key; k != ""; {
			if s, ok := sources[k]; ok {
				return s
			}
			if i := strings.LastIndexAny(k, ".["); i >= 0 {
				k = k[:i]
			} else {
				break
			}
		}
		return "params"
	}}
	var p Params
	if err := d.decode("", normalise(v.AllSettings()), reflectValue(&p)); err != nil {
		return nil, err
	}
	if err := p.validate(d); err != nil {
		return nil, err
	}
	return &p, nil
}

// Profiles lists the profiles available in dir.
func Profiles(dir string) []string {
	out := []string{"default"}
	ms, _ := filepath.Glob(filepath.Join(dir, "params.*.yaml"))
	for _, m := range ms {
		b := filepath.Base(m)
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(b, "params."), ".yaml"))
	}
	sort.Strings(out[1:])
	return out
}

// maxParamsBytes bounds a parameter file (params.yaml is 5 kB).
const maxParamsBytes = 1 << 20

func readYAML(path, name string) (map[string]any, error) {
	b, err := pipeline.ReadInputFile(path, maxParamsBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("%s: cannot read: %w", name, err)
	}
	return ParseYAML(name, b)
}

// ParseYAML parses a parameter file's bytes into a generic map. The file
// holds one YAML document; keys that differ only by case (keys are not
// case-sensitive) and keys with no value (null) are errors naming the key.
func ParseYAML(name string, b []byte) (map[string]any, error) {
	malformed := func(err error) error {
		return fmt.Errorf("%s: malformed YAML: %v", name, yamlMessage(b, err.Error()))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return map[string]any{}, nil
	} else if err != nil {
		return nil, malformed(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, fmt.Errorf("%s: several YAML documents (the second starts at line %d); a parameter file holds one", name, max(next.Line, 1))
	} else if err != io.EOF {
		return nil, malformed(err)
	}
	if err := checkNode(name, "", &doc, 0); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := doc.Decode(&m); err != nil {
		return nil, malformed(err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return lowerKeys(m), nil
}

// MaxDepth bounds how deep mappings and sequences nest in a parameter
// file, an environment variable or a --set value (params.yaml nests 4
// deep). The configuration library walks nested settings in time that grows
// much faster than their depth (2,000 levels took 21 s), so deeper input is
// refused before it sees it.
const MaxDepth = 32

// checkNode walks a parsed YAML file: within a mapping no two keys may
// differ only by case, and no key may be null (which would leave the value
// of the file below in place, or a zero, without a word); nothing nests
// deeper than MaxDepth.
func checkNode(name, path string, n *yaml.Node, depth int) error {
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && depth >= MaxDepth {
		return fmt.Errorf("%s: nested more than %d levels deep (line %d); a parameter file nests a few levels", name, MaxDepth, n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := checkNode(name, path, c, depth); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			full := k.Value
			if path != "" {
				full = path + "." + k.Value
			}
			if k.Kind == yaml.ScalarNode {
				low := strings.ToLower(k.Value)
				if prev, ok := seen[low]; ok && prev.Value != k.Value {
					return &Error{Source: name, Key: strings.ToLower(full), Msg: fmt.Sprintf("written both as %q (line %d) and %q (line %d); keys are not case-sensitive: keep one", prev.Value, prev.Line, k.Value, k.Line)}
				}
				seen[low] = k
			}
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				return &Error{Source: name, Key: strings.ToLower(full), Msg: fmt.Sprintf("no value (line %d): give one, or leave the key out", k.Line)}
			}
			if err := checkNode(name, full, v, depth+1); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkNode(name, fmt.Sprintf("%s[%d]", path, i), c, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func lowerKeys(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = lowerKeys(sub)
		}
		out[strings.ToLower(k)] = v
	}
	return out
}

// errNoValue is parseValue's error for an empty or null value.
var errNoValue = errors.New(`no value: give one ("" for an empty string)`)

// parseValue parses the value of an environment variable or a --set: one
// YAML value, not empty and not null.
func parseValue(s string) (any, error) {
	dec := yaml.NewDecoder(strings.NewReader(s))
	var x any
	if err := dec.Decode(&x); err == io.EOF {
		return nil, errNoValue
	} else if err != nil {
		return nil, fmt.Errorf("not a YAML value: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if x == nil {
		return nil, errNoValue
	}
	if tooDeep(x, 0) {
		return nil, fmt.Errorf("nested more than %d levels deep", MaxDepth)
	}
	var more any
	if err := dec.Decode(&more); err != io.EOF {
		return nil, errors.New("not a YAML value: several YAML documents")
	}
	return x, nil
}

// tooDeep reports whether maps and lists nest in x more than MaxDepth deep.
func tooDeep(x any, depth int) bool {
	switch x := x.(type) {
	case map[string]any:
		if depth >= MaxDepth {
			return true
		}
		for _, v := range x {
			if tooDeep(v, depth+1) {
				return true
			}
		}
	case []any:
		if depth >= MaxDepth {
			return true
		}
		for _, v := range x {
			if tooDeep(v, depth+1) {
				return true
			}
		}
	}
	return false
}

// note records which file each key came from.
func note(sources map[string]string, prefix string, m map[string]any, src string) {
	for k, v := range m {
		full := k
		if prefix != "" {
			full = prefix + "." + k
		}
		sources[full] = src
		if sub, ok := v.(map[string]any); ok {
			note(sources, full, sub, src)
		}
	}
}

// normalise turns the nested values viper returns into map[string]any and
// []any all the way down.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalise(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = normalise(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		return out
	case []int:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case []float64:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	}
	return v
}
