package plots

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot/text"
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
// The figure's size follows from the graph: labels are 9 pt, and the gaps
// between columns shrink so that the figure is at most 930 pt (the
// report's wide column at one pixel per point) wide when they can; when
// they cannot, long labels break into lines after a "/" (or before a
// " (count)"), so that the figure stays that wide however many families a
// layer has, and for as many layers as fit with one path segment a line.
// WithSize sets that width and scales the figure to fit it and the height
// (the labels then shrink with it).
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
	// Labels at the package's smallest text size, never scaled below it
	// by default: the figure is as wide as the text column (dagMaxW) when
	// the gaps between columns can shrink to make it so; when they cannot,
	// labels break into lines after a "/" (narrower columns, taller boxes),
	// at the widest line length that fits. Only a graph of too many layers
	// for its path segments is left wider (and the report scrolls it).
	maxW := vg.Length(dagMaxW)
	if cfg.sizeSet {
		maxW = cfg.width
	}
	lay := fitDAG(nodes, edges, levels, maxW)

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
		lay.draw(c, nodes, vg.Point{X: ox, Y: oy})
		return nil
	})
}

// fitDAG lays the graph out at most maxW wide with its margins if it can:
// first with the gaps between columns shrunk (down to dagMinGapX), then with
// the labels broken into lines at the longest line length that fits. When
// nothing fits it returns the narrowest layout it found.
func fitDAG(nodes []string, edges [][2]int, levels []int, maxW vg.Length) *dagLayout {
	at := func(wrap vg.Length) *dagLayout {
		lay := layoutDAGWrapped(nodes, edges, levels, dagGapX, wrap)
		if ncol := len(lay.colX); ncol > 1 && lay.w+2*margin > maxW {
			gap := dagGapX - (lay.w+2*margin-maxW)/vg.Length(ncol-1)
			lay = layoutDAGWrapped(nodes, edges, levels, max(gap, dagMinGapX), wrap)
		}
		return lay
	}
	lay := at(0)
	if lay.w+2*margin <= maxW {
		return lay
	}
	// Candidate line lengths: from just under the widest label down to
	// the widest unbreakable piece, in steps small against a column.
	sty := textStyle(dagFont)
	widest, piece := vg.Length(0), vg.Length(0)
	for _, name := range nodes {
		widest = max(widest, sty.Width(name))
		for _, p := range labelPieces(name) {
			piece = max(piece, sty.Width(strings.TrimLeft(p, " ")))
		}
	}
	best := lay
	for wrap := widest - dagWrapStep; ; wrap -= dagWrapStep {
		wrap = max(wrap, piece)
		l := at(wrap)
		if l.w < best.w {
			best = l
		}
		if l.w+2*margin <= maxW || wrap <= piece {
			return best
		}
	}
}

// labelPieces splits a node's name where a line may break: after each "/"
// and before a " (" (the count of a group, "neural/* (54)").
func labelPieces(name string) []string {
	var pieces []string
	start := 0
	for i := 0; i < len(name); i++ {
		switch {
		case name[i] == '/' && i+1 < len(name):
			pieces = append(pieces, name[start:i+1])
			start = i + 1
		case name[i] == ' ' && i+1 < len(name) && name[i+1] == '(' && i > start:
			pieces = append(pieces, name[start:i])
			start = i
		}
	}
	return append(pieces, name[start:])
}

// wrapLabel breaks name into lines of at most wrap wide (wrap <= 0: one
// line), at the places labelPieces allows, filling the lines from the end
// so that a family keeps its last segments together ("neural/regression/",
// "tune/* (4)"); a piece wider than wrap gets a line of its own.
func wrapLabel(sty text.Style, name string, wrap vg.Length) []string {
	if wrap <= 0 || sty.Width(name) <= wrap {
		return []string{name}
	}
	pieces := labelPieces(name)
	var lines []string // last line first
	line := ""
	for i := len(pieces) - 1; i >= 0; i-- {
		p := pieces[i]
		if line != "" && sty.Width(strings.TrimLeft(p+line, " ")) > wrap {
			lines = append(lines, strings.TrimLeft(line, " "))
			line = p
			continue
		}
		line = p + line
	}
	lines = append(lines, line)
	slices.Reverse(lines)
	return lines
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
	dagFont     = sizeMinText
	dagBoxH     = 16
	dagLaneH    = 3 // height of the slot a long edge takes in a column it crosses
	dagGapY     = 6
	dagGapX     = 42 // between columns, shrunk down to dagMinGapX to fit dagMaxW
	dagMinGapX  = 18
	dagLineH    = 10.5 // between the baselines of a label's lines
	dagWrapStep = 4    // the line lengths fitDAG tries, apart
	dagPadX     = 5
	dagArrowL   = 5
	// dagMaxW is the default widest figure: the report's wide column
	// (60rem less the card's padding) at one pixel per unit.
	dagMaxW = 930
)

// dagLayout places the real nodes and, for every edge spanning more than
// one column, one virtual node per column crossed, so that long edges run
// in their own lanes instead of behind boxes.
type dagLayout struct {
	w, h  vg.Length
	colX  []vg.Length // left edge of each column
	colW  []vg.Length
	col   []int       // column of each node, real then virtual
	y     []vg.Length // centre of each node, from the top
	real  int         // number of real nodes
	chain [][]int     // per edge: the nodes it passes, source to target
	lines [][]string  // each real node's label, line by line
}

// layoutDAG lays the graph out with every label on one line.
func layoutDAG(nodes []string, edges [][2]int, levels []int, gapX vg.Length) *dagLayout {
	return layoutDAGWrapped(nodes, edges, levels, gapX, 0)
}

// layoutDAGWrapped lays the graph out with labels broken into lines of at
// most wrap wide (see wrapLabel).
func layoutDAGWrapped(nodes []string, edges [][2]int, levels []int, gapX, wrap vg.Length) *dagLayout {
	n := len(nodes)
	// Dense column numbers from the levels that occur.
	distinct := append([]int(nil), levels...)
	sort.Ints(distinct)
	rank := map[int]int{}
	for _, l := range distinct {
		if _, ok := rank[l]; !ok {
			rank[l] = len(rank)
		}
	}
	ncol := len(rank)
	col := make([]int, n, n+len(edges))
	for i := range n {
		col[i] = rank[levels[i]]
	}
	// Split long edges with virtual nodes.
	var ins, outs [][]int
	ins, outs = make([][]int, n), make([][]int, n)
	link := func(a, b int) {
		outs[a] = append(outs[a], b)
		ins[b] = append(ins[b], a)
	}
	chain := make([][]int, len(edges))
	for k, e := range edges {
		ch := []int{e[0]}
		prev := e[0]
		for c := col[e[0]] + 1; c < col[e[1]]; c++ {
			v := len(col)
			col = append(col, c)
			ins, outs = append(ins, nil), append(outs, nil)
			link(prev, v)
			ch = append(ch, v)
			prev = v
		}
		link(prev, e[1])
		chain[k] = append(ch, e[1])
	}
	total := len(col)
	cols := make([][]int, ncol)
	for v := range total {
		cols[col[v]] = append(cols[col[v]], v)
	}
	// Barycentre sweeps; positions are normalised ranks within a column.
	pos := make([]float64, total)
	setPos := func(c int) {
		k := len(cols[c])
		for r, v := range cols[c] {
			pos[v] = (float64(r) + 0.5) / float64(k)
		}
	}
	for c := range cols {
		setPos(c)
	}
	key := make([]float64, total)
	reorder := func(c int, nb [][]int) {
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
	for range 6 {
		for c := 1; c < ncol; c++ {
			reorder(c, ins)
		}
		for c := ncol - 2; c >= 0; c-- {
			reorder(c, outs)
		}
	}

	sty := textStyle(dagFont)
	lay := &dagLayout{col: col, y: make([]vg.Length, total), colW: make([]vg.Length, ncol),
		colX: make([]vg.Length, ncol), real: n, chain: chain, lines: make([][]string, n)}
	for i, name := range nodes {
		lay.lines[i] = wrapLabel(sty, name, wrap)
	}
	slot := func(v int) vg.Length {
		if v < n {
			return lay.boxH(v)
		}
		return dagLaneH
	}
	colH := make([]vg.Length, ncol)
	for c, vs := range cols {
		for i, v := range vs {
			if v < n {
				for _, l := range lay.lines[v] {
					lay.colW[c] = max(lay.colW[c], sty.Width(l)+2*dagPadX)
				}
			}
			if i > 0 {
				colH[c] += dagGapY
			}
			colH[c] += slot(v)
		}
		lay.h = max(lay.h, colH[c])
	}
	x := vg.Length(0)
	for c := range cols {
		lay.colX[c] = x
		x += lay.colW[c] + gapX
	}
	lay.w = x - gapX
	for c, vs := range cols {
		y := (lay.h - colH[c]) / 2
		for _, v := range vs {
			lay.y[v] = y + slot(v)/2
			y += slot(v) + dagGapY
		}
	}
	return lay
}

// boxH is the height of real node v's box.
func (lay *dagLayout) boxH(v int) vg.Length {
	return dagBoxH + vg.Length(len(lay.lines[v])-1)*dagLineH
}

// draw draws the layout with its bottom-left corner at origin.
func (lay *dagLayout) draw(c draw.Canvas, nodes []string, origin vg.Point) {
	top := origin.Y + lay.h
	left := func(v int) vg.Length { return origin.X + lay.colX[lay.col[v]] }
	right := func(v int) vg.Length { return left(v) + lay.colW[lay.col[v]] }
	yOf := func(v int) vg.Length { return top - lay.y[v] }
	edgeSty := draw.LineStyle{Color: withAlpha(rgb(0x44, 0x44, 0x44), 0.6), Width: 0.7}
	arrow := rgb(0x33, 0x33, 0x33)
	curve := func(path *vg.Path, from, to vg.Point) {
		dx := max((to.X-from.X)/2, 6)
		path.CubeTo(vg.Point{X: from.X + dx, Y: from.Y}, vg.Point{X: to.X - dx, Y: to.Y}, to)
	}
	for _, ch := range lay.chain {
		var path vg.Path
		cur := vg.Point{X: right(ch[0]), Y: yOf(ch[0])}
		path.Move(cur)
		for _, v := range ch[1 : len(ch)-1] {
			in := vg.Point{X: left(v), Y: yOf(v)}
			curve(&path, cur, in)
			cur = vg.Point{X: right(v), Y: yOf(v)}
			path.Line(cur)
		}
		t := ch[len(ch)-1]
		end := vg.Point{X: left(t) - dagArrowL, Y: yOf(t)}
		curve(&path, cur, end)
		c.SetLineStyle(edgeSty)
		c.Stroke(path)
		var head vg.Path
		head.Move(vg.Point{X: left(t), Y: end.Y})
		head.Line(vg.Point{X: end.X, Y: end.Y + 2.2})
		head.Line(vg.Point{X: end.X, Y: end.Y - 2.2})
		head.Close()
		c.SetColor(arrow)
		c.Fill(head)
	}
	sty := textStyle(dagFont)
	fill := rgb(0xea, 0xf2, 0xfa)
	for i := range nodes {
		bh := lay.boxH(i)
		r := vg.Rectangle{
			Min: vg.Point{X: left(i), Y: yOf(i) - bh/2},
			Max: vg.Point{X: right(i), Y: yOf(i) + bh/2},
		}
		c.SetColor(fill)
		c.Fill(r.Path())
		c.SetLineStyle(draw.LineStyle{Color: seriesColor(0), Width: 0.8})
		c.Stroke(r.Path())
		lines := lay.lines[i]
		for k, l := range lines {
			y := yOf(i) + (vg.Length(len(lines)-1)/2-vg.Length(k))*dagLineH
			c.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: y}, l)
		}
	}
}
