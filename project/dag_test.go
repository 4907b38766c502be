package project

import (
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

type dagIn struct{ N pipeline.In[int] }

func dagSource(pipeline.Ctx, struct{}, struct{}) (int, error) { return 1, nil }
func dagDouble(_ pipeline.Ctx, _ struct{}, in dagIn) (int, error) {
	return 2 * in.N.Value, nil
}

// WriteDAG writes the graph as text, dot and mermaid, and refuses another
// format as bad usage.
func TestWriteDAG(t *testing.T) {
	g := pipeline.NewGraph()
	a := pipeline.Add(g, "a/load", struct{}{}, struct{}{}, dagSource)
	pipeline.Add(g, "b", struct{}{}, dagIn{N: a.In()}, dagDouble)
	for format, want := range map[string]string{
		"text":    "a/load\nb <- a/load\n",
		"dot":     "digraph repro {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n  \"a/load\";\n  \"b\";\n  \"a/load\" -> \"b\";\n}\n",
		"mermaid": "flowchart LR\n  s0[\"a/load\"]\n  s1[\"b\"]\n  s0 --> s1\n",
	} {
		var b strings.Builder
		if err := WriteDAG(&b, g, format); err != nil || b.String() != want {
			t.Errorf("%s: %v\n%s\nwant\n%s", format, err, b.String(), want)
		}
	}
	if _, ok := WriteDAG(&strings.Builder{}, g, "png").(UsageError); !ok {
		t.Error("format png: want a UsageError")
	}
}
