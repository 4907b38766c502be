package plots

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// DAG draws a directed acyclic graph in layers from left to right: one
// column per level, a box with its name per node, and a curved arrow per
// edge [from, to]. levels[i] is the column of node i (levels[from] must be
// below levels[to]); with levels nil each node goes one column right of its
// furthest input. Within a column, nodes are ordered to reduce crossings
// (barycentre sweeps, deterministic). Meant for up to about a hundred
// nodes; group large families of similar nodes before calling ("neural/*
// (54)").
//
// The figure's size follows from the graph (WithSize scales it to fit).
//
// Options: WithTitle (default "Dependency graph of the pipeline"), WithSize.
func DAG(nodes []string, edges [][2]int, levels []int, opts ...Option) ([]byte, error) {
	const fn = "DAG"
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	n := len(nodes)
	if n == 0 {
		return nil, badArg(fn, "nodes", "empty")
	}
	for i, e := range edges {
		if e[0] < 0 || e[0] >= n || e[1] < 0 || e[1] >= n {
			return nil, badArg(fn, fmt.Sprintf("edges[%d]", i), "%v has a node outside [0, %d)", e, n)
		}
		if e[0] == e[1] {
			return nil, badArg(fn, fmt.Sprintf("edges[%d]", i), "self loop on node %d", e[0])
		}
	}
	if levels != nil {
		if len(levels) != n {
			return nil, badArg(fn, "levels", "length %d, want len(nodes) = %d", len(levels), n)
		}
		for i, l := range levels {
			if l < 0 {
				return nil, badArg(fn, fmt.Sprintf("levels[%d]", i), "negative level %d", l)
			}
		}
		for i, e := range edges {
			if levels[e[0]] >= levels[e[1]] {
				return nil, badArg(fn, fmt.Sprintf("edges[%d]", i), "goes from level %d to level %d, want increasing",
					levels[e[0]], levels[e[1]])
			}
		}
	} else {
		levels, err = longestPathLevels(n, edges)
		if err != nil {
			return nil, badArg(fn, "edges", "%v", err)
		}
	}
	lay := layoutDAG(nodes, edges, levels)

	title := cfg.titleOr("Dependency graph of the pipeline")
	tsty := textStyle(sizeTitle)
	titleH := vg.Length(0)
	if title != "" {
		titleH = tsty.Height(title) + 8
	}
	natW := max(lay.w, tsty.Width(title)) + 2*margin
	natH := lay.h + titleH + 2*margin
	w, h := cfg.size(natW, natH)
	scale := math.Min(float64(w/natW), float64(h/natH))
	return render(fn, w, h, func(c draw.Canvas) error {
		if scale != 1 {
			// Draw at natural size, scaled about the centre.
			offX := (w - natW*vg.Length(scale)) / 2
			offY := (h - natH*vg.Length(scale)) / 2
			c.Translate(vg.Point{X: offX, Y: offY})
			c.Scale(scale, scale)
			c.Rectangle = vg.Rectangle{Max: vg.Point{X: natW, Y: natH}}
		}
		c = frame(c, title, nil)
		// Centre the graph horizontally.
		ox := c.Min.X + (c.Max.X-c.Min.X-lay.w)/2
		oy := c.Max.Y - lay.h
		lay.draw(c, nodes, edges, vg.Point{X: ox, Y: oy})
		return nil
	})
}

// longestPathLevels puts each node one level right of its furthest input;
// it fails on a cycle.
func longestPathLevels(n int, edges [][2]int) ([]int, error) {
	indeg := make([]int, n)
	out := make([][]int, n)
	for _, e := range edges {
		indeg[e[1]]++
		out[e[0]] = append(out[e[0]], e[1])
	}
	level := make([]int, n)
	var queue []int
	for i := range n {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	seen := 0
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		seen++
		for _, u := range out[v] {
			level[u] = max(level[u], level[v]+1)
			indeg[u]--
			if indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	if seen != n {
		return nil, fmt.Errorf("contain a cycle (%d of %d nodes are on or after one)", n-seen, n)
	}
	return level, nil
}

const (
	dagFont   = 8
	dagBoxH   = 15
	dagGapY   = 6
	dagGapX   = 42
	dagPadX   = 5
	dagArrowL = 5
)

type dagLayout struct {
	w, h vg.Length
	colX []vg.Length // left edge of each column
	colW []vg.Length
	col  []int       // column of each node
	y    []vg.Length // centre of each node, from the top
}

func layoutDAG(nodes []string, edges [][2]int, levels []int) *dagLayout {
	n := len(nodes)
	// Dense column numbers from the levels that occur.
	used := map[int]bool{}
	for _, l := range levels {
		used[l] = true
	}
	var distinct []int
	for l := range used {
		distinct = append(distinct, l)
	}
	sort.Ints(distinct)
	rank := map[int]int{}
	for i, l := range distinct {
		rank[l] = i
	}
	ncol := len(distinct)
	col := make([]int, n)
	cols := make([][]int, ncol)
	for i := range n {
		col[i] = rank[levels[i]]
		cols[col[i]] = append(cols[col[i]], i)
	}
	ins := make([][]int, n)
	outs := make([][]int, n)
	for _, e := range edges {
		outs[e[0]] = append(outs[e[0]], e[1])
		ins[e[1]] = append(ins[e[1]], e[0])
	}
	// Barycentre sweeps; positions are normalised ranks within a column.
	pos := make([]float64, n)
	setPos := func(c int) {
		k := len(cols[c])
		for r, v := range cols[c] {
			pos[v] = (float64(r) + 0.5) / float64(k)
		}
	}
	for c := range cols {
		setPos(c)
	}
	reorder := func(c int, nb [][]int) {
		key := make(map[int]float64, len(cols[c]))
		for _, v := range cols[c] {
			key[v] = pos[v]
			if len(nb[v]) > 0 {
				s := 0.0
				for _, u := range nb[v] {
					s += pos[u]
				}
				key[v] = s / float64(len(nb[v]))
			}
		}
		sort.SliceStable(cols[c], func(a, b int) bool {
			ka, kb := key[cols[c][a]], key[cols[c][b]]
			if ka != kb {
				return ka < kb
			}
			return cols[c][a] < cols[c][b]
		})
		setPos(c)
	}
	for range 4 {
		for c := 1; c < ncol; c++ {
			reorder(c, ins)
		}
		for c := ncol - 2; c >= 0; c-- {
			reorder(c, outs)
		}
	}

	sty := textStyle(dagFont)
	lay := &dagLayout{col: col, y: make([]vg.Length, n), colW: make([]vg.Length, ncol), colX: make([]vg.Length, ncol)}
	maxRows := 0
	for c, vs := range cols {
		for _, v := range vs {
			lay.colW[c] = max(lay.colW[c], sty.Width(nodes[v])+2*dagPadX)
		}
		maxRows = max(maxRows, len(vs))
	}
	x := vg.Length(0)
	for c := range cols {
		lay.colX[c] = x
		x += lay.colW[c] + dagGapX
	}
	lay.w = x - dagGapX
	lay.h = vg.Length(maxRows)*(dagBoxH+dagGapY) - dagGapY
	for _, vs := range cols {
		colH := vg.Length(len(vs))*(dagBoxH+dagGapY) - dagGapY
		top := (lay.h - colH) / 2
		for r, v := range vs {
			lay.y[v] = top + vg.Length(r)*(dagBoxH+dagGapY) + dagBoxH/2
		}
	}
	return lay
}

// draw draws the layout with its top-left corner at origin.Y + lay.h.
func (lay *dagLayout) draw(c draw.Canvas, nodes []string, edges [][2]int, origin vg.Point) {
	top := origin.Y + lay.h
	box := func(i int) vg.Rectangle {
		k := lay.col[i]
		cy := top - lay.y[i]
		return vg.Rectangle{
			Min: vg.Point{X: origin.X + lay.colX[k], Y: cy - dagBoxH/2},
			Max: vg.Point{X: origin.X + lay.colX[k] + lay.colW[k], Y: cy + dagBoxH/2},
		}
	}
	edgeSty := draw.LineStyle{Color: withAlpha(rgb(0x44, 0x44, 0x44), 0.55), Width: 0.7}
	arrow := rgb(0x33, 0x33, 0x33)
	for _, e := range edges {
		a, b := box(e[0]), box(e[1])
		p0 := vg.Point{X: a.Max.X, Y: (a.Min.Y + a.Max.Y) / 2}
		p1 := vg.Point{X: b.Min.X - dagArrowL, Y: (b.Min.Y + b.Max.Y) / 2}
		dx := max((p1.X-p0.X)/2, 10)
		var path vg.Path
		path.Move(p0)
		path.CubeTo(vg.Point{X: p0.X + dx, Y: p0.Y}, vg.Point{X: p1.X - dx, Y: p1.Y}, p1)
		c.SetLineStyle(edgeSty)
		c.Stroke(path)
		var head vg.Path
		head.Move(vg.Point{X: b.Min.X, Y: p1.Y})
		head.Line(vg.Point{X: p1.X, Y: p1.Y + 2.2})
		head.Line(vg.Point{X: p1.X, Y: p1.Y - 2.2})
		head.Close()
		c.SetColor(arrow)
		c.Fill(head)
	}
	sty := textStyle(dagFont)
	fill := rgb(0xea, 0xf2, 0xfa)
	for i, name := range nodes {
		r := box(i)
		c.SetColor(fill)
		c.Fill(r.Path())
		c.SetLineStyle(draw.LineStyle{Color: seriesColor(0), Width: 0.8})
		c.Stroke(r.Path())
		c.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, name)
	}
}
