package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// An Error is a bad parameter: where it came from, its key, its value and
// what is allowed.
type Error struct {
	Source string // "params.yaml", "params.quick.yaml", "REPRO_TERRAIN_DEGREE", "--set"
	Key    string
	Value  any
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	b.WriteString(e.Key)
	if e.Value != nil {
		fmt.Fprintf(&b, " = %s", show(e.Value))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// maxShown is how much of a long string value an error shows.
const maxShown = 80

func show(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > maxShown {
			return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(strings.ToValidUTF8(v[:maxShown], "")), len(v))
		}
		return strconv.Quote(v)
	case []any:
		parts := make([]string, 0, min(len(v), 10))
		for i, x := range v {
			if i == 10 {
				parts = append(parts, fmt.Sprintf("... (%d values)", len(v)))
				break
			}
			parts = append(parts, show(x))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{...}"
	}
	return fmt.Sprint(v)
}

// keyName returns the config key of a struct field: its yaml tag.
func keyName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if i := strings.IndexByte(tag, ','); i >= 0 {
		tag = tag[:i]
	}
	if tag == "" {
		return strings.ToLower(f.Name)
	}
	return tag
}

// Keys lists every leaf key of the Params struct type, dotted.
func Keys() []string {
	var out []string
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			k := keyName(f)
			if prefix != "" {
				k = prefix + "." + k
			}
			if f.Type.Kind() == reflect.Struct {
				walk(k, f.Type)
				continue
			}
			out = append(out, k)
		}
	}
	walk("", reflect.TypeOf(Params{}))
	sort.Strings(out)
	return out
}

// decoder decodes a generic map (from YAML via viper) into a struct,
// strictly, recording where each key came from.
type decoder struct {
	source func(key string) string
}

func (d *decoder) errf(key string, v any, format string, args ...any) error {
	return &Error{Source: d.source(key), Key: key, Value: v, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) decode(key string, v any, rv reflect.Value) error {
	switch rv.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return d.errf(key, v, "want a mapping with keys %s", strings.Join(fieldKeys(rv.Type()), ", "))
		}
		fields := map[string]int{}
		for i := 0; i < rv.NumField(); i++ {
			fields[keyName(rv.Type().Field(i))] = i
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			full := k
			if key != "" {
				full = key + "." + k
			}
			i, ok := fields[strings.ToLower(k)]
			if !ok {
				msg := "unknown key"
				if s := suggest(k, fieldKeys(rv.Type())); s != "" {
					sfull := s
					if key != "" {
						sfull = key + "." + s
					}
					msg += fmt.Sprintf("; did you mean %s?", sfull)
				} else {
					msg += "; allowed here: " + strings.Join(fieldKeys(rv.Type()), ", ")
				}
				return &Error{Source: d.source(full), Key: full, Msg: msg}
			}
			if err := d.decode(full, m[k], rv.Field(i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		xs, ok := v.([]any)
		if !ok {
			return d.errf(key, v, "want a list")
		}
		out := reflect.MakeSlice(rv.Type(), len(xs), len(xs))
		for i, x := range xs {
			if err := d.decode(fmt.Sprintf("%s[%d]", key, i), x, out.Index(i)); err != nil {
				return err
			}
		}
		rv.Set(out)
		return nil
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return d.errf(key, v, "want a string")
		}
		rv.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return d.errf(key, v, "want true or false")
		}
		rv.SetBool(b)
		return nil
	case reflect.Int, reflect.Int64, reflect.Uint64:
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int64:
			n = x
		case uint64:
			if x > math.MaxInt64 {
				if rv.Kind() == reflect.Uint64 {
					rv.SetUint(x)
					return nil
				}
				return d.errf(key, v, "want an integer, at most %d", int64(math.MaxInt64))
			}
			n = int64(x)
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return d.errf(key, v, "want an integer")
			}
			n = int64(x)
		default:
			return d.errf(key, v, "want an integer")
		}
		if rv.Kind() == reflect.Uint64 {
			if n < 0 {
				return d.errf(key, v, "want a non-negative integer")
			}
			rv.SetUint(uint64(n))
		} else {
			rv.SetInt(n)
		}
		return nil
	case reflect.Float64:
		var f float64
		switch x := v.(type) {
		case int:
			f = float64(x)
		case int64:
			f = float64(x)
		case uint64:
			f = float64(x)
		case float64:
			f = x
		default:
			return d.errf(key, v, "want a number")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return d.errf(key, v, "want a finite number")
		}
		rv.SetFloat(f)
		return nil
	}
	return d.errf(key, v, "cannot decode into %s", rv.Type())
}

func fieldKeys(t reflect.Type) []string {
	var ks []string
	for i := 0; i < t.NumField(); i++ {
		ks = append(ks, keyName(t.Field(i)))
	}
	return ks
}

// suggest returns the candidate closest to s, if it is close enough to be a
// likely misspelling.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := EditDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= 2 || (bestD <= 3 && len(s) > 8) {
		return best
	}
	return ""
}

// EditDistance is the Levenshtein distance between a and b, in bytes: how
// far a misspelt key or name is from a known one.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
