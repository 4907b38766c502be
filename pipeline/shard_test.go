package pipeline

import (
	"fmt"
	"strings"
	"testing"
)

// testPoint is a grid point: source's values times its parameter.
func testPoint(c *Context) (int, error) {
	p, err := Params[numParams](c)
	if err != nil {
		return 0, err
	}
	xs, err := Input[[]int](c, "source")
	t := 0
	for _, x := range xs {
		t += x * p.N
	}
	return t, err
}

// testGather sums every grid point.
func testGather(c *Context) (int, error) {
	p, err := Params[[]string](c)
	if err != nil {
		return 0, err
	}
	t := 0
	for _, d := range p {
		x, err := Input[int](c, d)
		if err != nil {
			return 0, err
		}
		t += x
	}
	return t, nil
}

// gridGraph is source -> point/k=1..n (shardable) -> gather, and source ->
// double (needed by no grid point).
func (e *testEnv) gridGraph(n int) *Graph {
	g := NewGraph()
	must := func(err error) {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(g.Add(Stage{Name: "source", Params: numParams{N: 3}, Run: Func(testSource)}))
	must(g.Add(Stage{Name: "double", Deps: []string{"source"}, Run: Func(testDouble)}))
	var pts []string
	for k := 1; k <= n; k++ {
		name := fmt.Sprintf("point/k=%d", k)
		pts = append(pts, name)
		must(g.Add(Stage{Name: name, Deps: []string{"source"}, Params: numParams{N: k}, Run: Func(testPoint), Shard: true}))
	}
	must(g.Add(Stage{Name: "gather", Deps: pts, Params: pts, Run: Func(testGather)}))
	e.engine.Graph = g
	return g
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/2", Shard{0, 2}, ""},
		{"3/4", Shard{3, 4}, ""},
		{"0/1", Shard{0, 1}, ""},
		{"2/2", Shard{}, "0 <= I < N"},
		{"-1/2", Shard{}, "0 <= I < N"},
		{"0/0", Shard{}, "0 <= I < N"},
		{"1", Shard{}, "want I/N"},
		{"a/b", Shard{}, "want I/N"},
	} {
		got, err := ParseShard(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShard(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestPartIsBalancedAndStable(t *testing.T) {
	const n = 4
	count := make([]int, n)
	for i := 0; i < 4000; i++ {
		count[Part(HashBytes([]byte(fmt.Sprint(i))), n)]++
	}
	for i, c := range count {
		if c < 900 || c > 1100 {
			t.Errorf("part %d has %d of 4000 keys", i, c)
		}
	}
	// The same key always falls in the same part (the first 8 bytes, mod N).
	if got := Part("00000000000000ff"+strings.Repeat("0", 48), 16); got != 15 {
		t.Errorf("Part = %d, want 15", got)
	}
}

func TestShardableMayNotDependOnShardable(t *testing.T) {
	g := NewGraph()
	for _, s := range []Stage{
		{Name: "source", Run: Func(testSource)},
		{Name: "a/k=1", Deps: []string{"source"}, Run: Func(testPoint), Shard: true},
		{Name: "tune", Deps: []string{"a/k=1"}, Run: Func(testGather)},
	} {
		if err := g.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	err := g.Add(Stage{Name: "b/k=1", Deps: []string{"tune"}, Run: Func(testPoint), Shard: true})
	if err == nil || !strings.Contains(err.Error(), "depends on the shardable stage a/k=1") {
		t.Errorf("err = %v, want a grid point on a grid point refused", err)
	}
}

// Two shards against one remote, then an assembling run: every grid point
// runs exactly once, in one shard; the assembling run runs none and gets
// the same result as a single machine.
func TestShardsThenAssemble(t *testing.T) {
	envs := newTestEnvs(t, 4)
	rem := newMemRemote()
	const n = 12
	ranIn := map[string]int{}
	for i, e := range envs[:2] {
		e.engine.Remote = rem
		e.engine.Shard = Shard{I: i, N: 2}
		res, err := e.run(e.gridGraph(n))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(sorted(res.Ran)+sorted(res.Cached), "gather") || strings.Contains(sorted(res.Ran), "double") {
			t.Errorf("shard %d ran %v: want no stage after the grid, nor one no grid point needs", i, res.Ran)
		}
		if !strings.Contains(sorted(res.Skipped), "gather") || !strings.Contains(sorted(res.Skipped), "double") {
			t.Errorf("shard %d skipped %v, want gather and double among them", i, res.Skipped)
		}
		pts := 0
		for _, name := range append(res.Ran, res.Cached...) {
			if o := res.Outcomes[name]; o.Stage.Shard {
				pts++
				ranIn[name]++
				if Part(o.Key, 2) != i {
					t.Errorf("shard %d ran %s, whose key is in part %d", i, name, Part(o.Key, 2))
				}
			}
		}
		if pts == 0 || pts == n {
			t.Errorf("shard %d took %d of %d points", i, pts, n)
		}
	}
	if len(ranIn) != n {
		t.Errorf("the shards ran %d distinct points, want %d", len(ranIn), n)
	}
	for name, k := range ranIn {
		if k != 1 {
			t.Errorf("%s ran in %d shards", name, k)
		}
	}
	asm := envs[2]
	asm.engine.Remote = rem
	ra, err := asm.run(asm.gridGraph(n))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range ra.Ran {
		if ra.Outcomes[name].Stage.Shard {
			t.Errorf("the assembling run ran grid point %s", name)
		}
	}
	single := envs[3]
	rs, err := single.run(single.gridGraph(n))
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range rs.Outcomes {
		if a := ra.Outcomes[name]; a == nil || a.Key != o.Key || a.Record.OutputHash() != o.Record.OutputHash() {
			t.Errorf("%s: assembled result differs from a single machine's", name)
		}
	}
}
