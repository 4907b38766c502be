package project

import (
	"fmt"
	"io"
	"strings"

	"github.com/repro-dev/repro/pipeline"
)

// WriteDAG writes the stage graph g for `repro dag` in format: "text" (a
// stage and the stages it reads, one line each), "dot" (Graphviz) or
// "mermaid"; any other format is a UsageError.
func WriteDAG(w io.Writer, g *pipeline.Graph, format string) error {
	switch format {
	case "text":
		for _, s := range g.Stages() {
			if len(s.Deps) == 0 {
				fmt.Fprintf(w, "%s\n", s.Name)
			} else {
				fmt.Fprintf(w, "%s <- %s\n", s.Name, strings.Join(s.Deps, ", "))
			}
		}
	case "dot":
		fmt.Fprintln(w, "digraph repro {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];")
		for _, s := range g.Stages() {
			fmt.Fprintf(w, "  %q;\n", s.Name)
			for _, d := range s.Deps {
				fmt.Fprintf(w, "  %q -> %q;\n", d, s.Name)
			}
		}
		fmt.Fprintln(w, "}")
	case "mermaid":
		fmt.Fprintln(w, "flowchart LR")
		ids := map[string]string{}
		for i, s := range g.Stages() {
			ids[s.Name] = fmt.Sprintf("s%d", i)
			fmt.Fprintf(w, "  %s[\"%s\"]\n", ids[s.Name], s.Name)
		}
		for _, s := range g.Stages() {
			for _, d := range s.Deps {
				fmt.Fprintf(w, "  %s --> %s\n", ids[d], ids[s.Name])
			}
		}
	default:
		return Usagef("--format %q: want text, dot or mermaid", format)
	}
	return nil
}
