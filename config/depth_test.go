package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Parameter files, environment variables and --set values nested deeper
// than MaxDepth are refused at once, naming the source and the limit
// (2,000 nested mappings took 21 s in the configuration library's walk).
func TestDeepNestingRefusedQuickly(t *testing.T) {
	deep := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i), i)
		}
		fmt.Fprintf(&b, "%sv: 1\n", strings.Repeat(" ", n))
		return b.String()
	}
	flow := func(n int) string { return strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) }
	for _, tc := range []struct {
		name  string
		quick string
		env   []string
		set   []string
		want  string
	}{
		{name: "2000 mappings in a file", quick: "terrain: " + flow(2000) + "\n", want: "params.quick.yaml: nested more than 32 levels deep (line 1)"},
		{name: "100 indented mappings in a file", quick: deep(100), want: fmt.Sprintf("params.quick.yaml: nested more than %d levels deep (line %d)", MaxDepth, MaxDepth+1)},
		{name: "lists and mappings in a file", quick: "terrain: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", want: "params.quick.yaml: nested more than 32 levels deep"},
		{name: "flow mappings in --set", set: []string{"terrain.degree=" + flow(500)}, want: "--set: terrain.degree = "},
		{name: "flow mappings in the environment", env: []string{"REPRO_TERRAIN_DEGREE=" + flow(500)}, want: "REPRO_TERRAIN_DEGREE: terrain.degree = "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, nil, tc.quick)
			profile := ""
			if tc.quick != "" {
				profile = "quick"
			}
			t0 := time.Now()
			_, err := Load(Options{Dir: dir, Profile: profile, Environ: tc.env, Set: tc.set})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), fmt.Sprintf("nested more than %d levels deep", MaxDepth)) {
				t.Errorf("Load = %v, want an error containing %q and the limit", err, tc.want)
			}
			if d := time.Since(t0); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// Nesting up to the limit parses (and is then judged by its keys).
	if _, err := ParseYAML("ok.yaml", []byte(deep(MaxDepth-1))); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	if _, err := parseValue(flow(MaxDepth)); err != nil {
		t.Errorf("%d levels in a value: %v", MaxDepth, err)
	}
}

// FuzzParseValue checks that the value of an environment variable or a
// --set never panics, and that whatever it accepts is one value, not null,
// nested at most MaxDepth deep.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"3", `""`, "[1, 2]", "{a: {b: [1]}}", "~", "a: b", strings.Repeat("[", 40) + strings.Repeat("]", 40),
		strings.Repeat("{a: ", 33) + "1" + strings.Repeat("}", 33), "3\n---\n5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := parseValue(s)
		if err != nil {
			return
		}
		if x == nil || tooDeep(x, 0) {
			t.Fatalf("parseValue(%q) accepted %v", s, x)
		}
	})
}
