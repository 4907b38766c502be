package stages

// AllEdges lists the edge checks of every tuned result the report shows, in
// the order of the report.
func (d *reportData) AllEdges() []Edges {
	var out []Edges
	if d.Ridge.Edges != nil {
		out = append(out, *d.Ridge.Edges)
	}
	out = append(out, d.SGD.Edges, d.SGD.MomentumEdges)
	for _, r := range d.Reg {
		out = append(out, r.Edges)
	}
	for _, r := range d.Extra {
		out = append(out, r.Edges)
	}
	for _, p := range d.Cls.Panels {
		out = append(out, p.Edges)
	}
	out = append(out, d.LogSGD.Edges, d.Keras.Edges)
	for _, k := range d.KerasLong {
		out = append(out, k.Edges)
	}
	return out
}

// EdgeWarnings are the run's warnings about optima on a grid's edge or at
// the end of their epoch budget.
func (d *reportData) EdgeWarnings() []string {
	var out []string
	for _, e := range d.AllEdges() {
		out = append(out, e.Warnings()...)
	}
	return out
}

// FlaggedEdges are the edge checks that call for the reader's attention.
func (d *reportData) FlaggedEdges() []Edges {
	var out []Edges
	for _, e := range d.AllEdges() {
		if e.Flagged() {
			out = append(out, e)
		}
	}
	return out
}
