package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The typed test graph: a list from a file and a parameter, doubled, then
// summed with the original.

type listParams struct {
	N int `json:"n"`
}

type listIn struct {
	Seed File
}

func typedList(c Ctx, p listParams, in listIn) ([]int, error) {
	out := make([]int, p.N)
	for i := range out {
		out[i] = i + len(in.Seed.Data)
	}
	return out, nil
}

type doubleIn struct {
	List In[[]int]
}

func typedDouble(c Ctx, _ struct{}, in doubleIn) ([]int, error) {
	out := make([]int, len(in.List.Value))
	for i, x := range in.List.Value {
		out[i] = 2 * x
	}
	return out, nil
}

type sumIn struct {
	Lists []In[[]int]
}

func typedSum(c Ctx, _ struct{}, in sumIn) (sumOut, error) {
	var s sumOut
	for _, l := range in.Lists {
		for _, x := range l.Value {
			s.Total += x
		}
	}
	return s, c.Err()
}

const typedSource = "\nfunc typedList() {}\nfunc typedDouble() {}\nfunc typedSum() {}\n"

func TestTypedGraph(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "seed.txt"), []byte("abc"), 0o644)
	g := NewGraph()
	list := Add(g, "list", listParams{N: 3}, listIn{Seed: FileIn("seed.txt")}, typedList)
	double := Add(g, "double", struct{}{}, doubleIn{List: list.In()}, typedDouble)
	sum := Add(g, "sum", struct{}{}, sumIn{Lists: Ins([]Ref[[]int]{list, double})}, typedSum, Export("total.txt", "total.txt"))
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	if s := g.Stage("sum"); strings.Join(s.Deps, ",") != "list,double" || sum.Name() != "sum" {
		t.Errorf("sum deps = %v", s.Deps)
	}
	if s := g.Stage("list"); strings.Join(s.Files, ",") != "seed.txt" {
		t.Errorf("list files = %v", s.Files)
	}
	e := keyCase{src: keySource + typedSource}.engine(t, dir, g)
	res, err := e.Run(context.Background(), g.Stages())
	if err != nil {
		t.Fatal(err)
	}
	// list = 3,4,5; double = 6,8,10; total 36.
	if m := res.Outcomes["sum"].Record.Metrics["test.total"]; m != 36 {
		t.Errorf("total = %v, want 36", m)
	}
	// The template's inputs stay empty: a second run fills its own copy.
	res, err = e.Run(context.Background(), g.Stages())
	if err != nil || len(res.Cached) != 3 {
		t.Errorf("second run: %v, %v", res.Cached, err)
	}
	// A stage function is a plain function of its parameters and inputs.
	out, err := typedDouble(Background(), struct{}{}, doubleIn{List: In[[]int]{Value: []int{1, 2}}})
	if err != nil || len(out) != 2 || out[1] != 4 {
		t.Errorf("typedDouble = %v, %v", out, err)
	}
}

func TestTypedGraphErrors(t *testing.T) {
	for name, add := range map[string]func(g *Graph){
		"a closure": func(g *Graph) {
			Add(g, "x", struct{}{}, struct{}{}, func(Ctx, struct{}, struct{}) (int, error) { return 1, nil })
		},
		"an input struct with a plain field": func(g *Graph) {
			Add(g, "x", struct{}{}, struct{ N int }{}, func(Ctx, struct{}, struct{ N int }) (int, error) { return 1, nil })
		},
		"an unset input": func(g *Graph) { Add(g, "x", struct{}{}, doubleIn{}, typedDouble) },
		"an unknown input": func(g *Graph) {
			Add(g, "x", struct{}{}, doubleIn{List: Ref[[]int]{name: "nope"}.In()}, typedDouble)
		},
		"inputs that are not a struct": func(g *Graph) {
			Add(g, "x", struct{}{}, 3, func(Ctx, struct{}, int) (int, error) { return 1, nil })
		},
	} {
		g := NewGraph()
		add(g)
		if g.Err() == nil || !strings.Contains(g.Err().Error(), "x") {
			t.Errorf("%s: Err = %v, want an error naming the stage", name, g.Err())
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	var p listParams
	if err := decodeStrict([]byte(`{"n": 2}`), &p); err != nil || p.N != 2 {
		t.Errorf("decode = %+v, %v", p, err)
	}
	for _, bad := range []string{`{"n": 2, "m": 1}`, `{"n": 2} {}`, `{"n": "two"}`} {
		if err := decodeStrict([]byte(bad), &p); err == nil {
			t.Errorf("decode %s: no error", bad)
		}
	}
}
