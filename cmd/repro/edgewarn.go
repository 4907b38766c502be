package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// edgeWarnings prints the warnings of tuning stages whose chosen value lies
// on the edge of its grid or whose best epoch comes at the end of its budget,
// for a run that did not reach the report (which prints them all).
func edgeWarnings(w io.Writer, p *project, res *pipeline.RunResult) {
	if res == nil {
		return
	}
	if _, ok := res.Outcomes["report"]; ok {
		return
	}
	var names []string
	for n := range res.Outcomes {
		if tuned(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		o := res.Outcomes[n]
		if o.Record == nil {
			continue
		}
		b, err := p.store.Get(o.Record.Outputs["value"])
		if err != nil {
			continue
		}
		var v struct {
			Edges         json.RawMessage
			MomentumEdges *stages.Edges
			Panels        []struct{ Edges stages.Edges }
		}
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		var es []stages.Edges
		var e stages.Edges
		if len(v.Edges) > 0 && string(v.Edges) != "null" && json.Unmarshal(v.Edges, &e) == nil {
			es = append(es, e)
		}
		if v.MomentumEdges != nil {
			es = append(es, *v.MomentumEdges)
		}
		for _, pn := range v.Panels {
			es = append(es, pn.Edges)
		}
		for _, e := range es {
			for _, msg := range e.Warnings() {
				fmt.Fprintf(w, "repro: %s: warning: %s\n", n, msg)
			}
		}
	}
}

// tuned reports whether stage n chooses among configurations (and so
// records where its choice lies).
func tuned(n string) bool {
	for _, p := range []string{"neural/regression/tune/", "neural/classification/tune", "linear/ridge", "linear/sgd/summary", "logistic/sgd", "baseline/keras-style"} {
		if strings.HasPrefix(n, p) && !strings.Contains(strings.TrimPrefix(n, p), "seed=") {
			return true
		}
	}
	return false
}
