package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// HeatPanel is one heat map of HeatMaps. Mean[y][x] is coloured and printed
// in cell (x, y); SD[y][x], when SD is not nil, is printed below it as
// "± sd"; cells with Diverged[y][x] (Diverged may be nil) are hatched grey
// and read "diverged". Row y = 0 (YTicks[0]) is drawn at the top, like a
// table. A NaN mean in a cell that did not diverge reads "n/a". Cells with
// Untried[y][x] (may be nil) are left blank and out of the colour scale;
// cells with Added[y][x] (may be nil) get a dashed outline (cells a
// refinement added beyond the grid); cells with Level[y][x] (may be nil)
// get an "=" in their top right corner (cells a paired test cannot
// separate from the best; the outlined best cell needs no mark).
type HeatPanel struct {
	Title          string
	XTicks, YTicks []string
	Mean, SD       [][]float64
	Diverged       [][]bool
	Untried, Added [][]bool
	Level          [][]bool
}

// HeatOptions labels a heat map and says how to print and judge its cells.
// The zero value draws no title and no axis labels, prints cells in the
// default format, and outlines the highest mean as the best cell.
type HeatOptions struct {
	// Title is the figure's title; "" means none (WithTitle replaces it).
	Title string
	// XLabel and YLabel label the x axis (the columns, XTicks) and the y
	// axis (the rows, YTicks); "" means no label.
	XLabel, YLabel string
	// Format prints each cell's mean and sd: a fmt verb for one float64,
	// e.g. "%.1f". "" means the sd to one or two significant figures (two
	// when its first digit is 1 or 2) and the mean to the same decimal
	// place, or "%.3g" for a cell without sd.
	Format string
	// LowerIsBetter outlines the cell with the lowest mean as the best (an
	// error); false means the highest (an accuracy).
	LowerIsBetter bool
}

// HeatMap draws one heat map of a hyper-parameter grid (F9, F12, F13): the
// mean of each cell coloured (viridis, with a colour bar) and printed with
// its standard deviation as "mean\n± sd" in o.Format; diverged cells hatched;
// the best cell (see HeatOptions.LowerIsBetter) outlined. The panel's
// fields are as in HeatMaps (indexed [y][x]; SD, Diverged, Untried and
// Added may be nil).
//
// Options: WithColorLabel (default: none), WithLogColor, WithSize,
// WithTitle.
func HeatMap(panel HeatPanel, o HeatOptions, opts ...Option) ([]byte, error) {
	return heatMaps("HeatMap", o.Title, o.XLabel, o.YLabel, []HeatPanel{panel}, o.Format, o.LowerIsBetter, opts)
}

// HeatMaps draws several heat maps side by side (e.g. sigmoid, ReLU and
// leaky ReLU hidden layers) with ONE colour scale shared by all panels and
// one colour bar; each panel outlines its own best cell. See HeatMap.
//
// Options: WithColumns (default: all panels in one row), WithColorLabel,
// WithLogColor, WithSize, WithTitle.
func HeatMaps(panels []HeatPanel, o HeatOptions, opts ...Option) ([]byte, error) {
	return heatMaps("HeatMaps", o.Title, o.XLabel, o.YLabel, panels, o.Format, o.LowerIsBetter, opts)
}

// Confusion draws a confusion matrix: counts[true][predicted], each cell
// printed with its count and coloured by its share of the true class (so
// an unbalanced test set still reads evenly). Class 0 is at the top left.
//
// Options: WithColorLabel, WithSize (default 14 cm x 12 cm), WithTitle.
func Confusion(labels []string, counts [][]int, title string, opts ...Option) ([]byte, error) {
	const fn = "Confusion"
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	n := len(labels)
	if n == 0 {
		return nil, badArg(fn, "labels", "empty")
	}
	if len(counts) != n {
		return nil, badArg(fn, "counts", "%d rows, want len(labels) = %d", len(counts), n)
	}
	g := heatGrid{
		xticks: labels, yticks: labels,
		value: make([][]float64, n), text: make([][]string, n),
		best: [2]int{-1, -1},
	}
	for i, row := range counts {
		if len(row) != n {
			return nil, badArg(fn, fmt.Sprintf("counts[%d]", i), "%d columns, want len(labels) = %d", len(row), n)
		}
		total := 0
		for j, v := range row {
			if v < 0 {
				return nil, badArg(fn, fmt.Sprintf("counts[%d][%d]", i, j), "negative count %d", v)
			}
			total += v
		}
		g.value[i] = make([]float64, n)
		g.text[i] = make([]string, n)
		g.hover = append(g.hover, make([]string, n))
		for j, v := range row {
			if total > 0 {
				g.value[i][j] = float64(v) / float64(total)
			}
			g.text[i][j] = fmt.Sprint(v)
			g.hover[i][j] = fmt.Sprintf("true class %s, predicted %s: %d of %d (%.1f %%)", labels[i], labels[j], v, total, 100*g.value[i][j])
		}
	}
	w, h := cfg.size(14*vg.Centimeter, 12*vg.Centimeter)
	spec := heatSpec{
		fn: fn, title: cfg.titleOr(title), xlabel: "predicted class", ylabel: "true class",
		cmap: blues(0, 1), colorLabel: cfg.colorLabelOr("fraction of the true class"),
		square: true, w: w, h: h, cols: 1,
	}
	return spec.draw([]heatGrid{g}, nil)
}

// heatGrid is what one heat-map panel draws.
type heatGrid struct {
	title          string
	xticks, yticks []string
	value          [][]float64 // colour-map coordinate, [y][x]; NaN: grey
	text           [][]string  // annotation, [y][x]
	hatched        [][]bool    // may be nil
	dashed         [][]bool    // may be nil: cells outlined dashed
	level          [][]bool    // may be nil: cells marked level with the best
	best           [2]int      // {y, x} of the outlined cell, or {-1, -1}
	hover          [][]string  // may be nil: the tooltip of each cell
}

type heatSpec struct {
	fn                    string
	title, xlabel, ylabel string
	cmap                  *stopMap
	scale                 colorScale
	colorLabel            string
	square                bool
	w, h                  vg.Length
	cols                  int
}

func heatMaps(fn, title, xlabel, ylabel string, panels []HeatPanel, format string, lowerIsBetter bool, opts []Option) ([]byte, error) {
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	if len(panels) == 0 {
		return nil, badArg(fn, "panels", "empty")
	}
	if s := fmt.Sprintf(format, 1.5); format != "" && strings.Contains(s, "%!") {
		return nil, badArg(fn, "format", "%q does not format one float64 (gives %q)", format, s)
	}
	single := fn == "HeatMap"
	arg := func(i int, f string) string {
		if single {
			return strings.ToLower(f)
		}
		return fmt.Sprintf("panels[%d].%s", i, f)
	}
	scale := colorScale{log: cfg.logColor}
	var grids []heatGrid
	var all []float64
	anyDiverged, anyUntried, anyAdded, anyLevel := false, false, false, false
	maxX, maxY := 0, 0
	for i, p := range panels {
		ny, nx := len(p.YTicks), len(p.XTicks)
		if nx == 0 {
			return nil, badArg(fn, arg(i, "XTicks"), "empty")
		}
		if ny == 0 {
			return nil, badArg(fn, arg(i, "YTicks"), "empty")
		}
		maxX, maxY = max(maxX, nx), max(maxY, ny)
		if err := checkMatrix(fn, arg(i, "Mean"), len(p.Mean), ny, func(y int) int { return len(p.Mean[y]) }, nx); err != nil {
			return nil, err
		}
		if p.SD != nil {
			if err := checkMatrix(fn, arg(i, "SD"), len(p.SD), ny, func(y int) int { return len(p.SD[y]) }, nx); err != nil {
				return nil, err
			}
		}
		if p.Diverged != nil {
			if err := checkMatrix(fn, arg(i, "Diverged"), len(p.Diverged), ny, func(y int) int { return len(p.Diverged[y]) }, nx); err != nil {
				return nil, err
			}
		}
		for _, b := range []struct {
			name string
			m    [][]bool
		}{{"Untried", p.Untried}, {"Added", p.Added}, {"Level", p.Level}} {
			if b.m != nil {
				if err := checkMatrix(fn, arg(i, b.name), len(b.m), ny, func(y int) int { return len(b.m[y]) }, nx); err != nil {
					return nil, err
				}
			}
		}
		g := heatGrid{
			title: p.Title, xticks: p.XTicks, yticks: p.YTicks,
			value: make([][]float64, ny), text: make([][]string, ny), hatched: make([][]bool, ny),
			best: [2]int{-1, -1}, dashed: p.Added, level: p.Level, hover: make([][]string, ny),
		}
		bestV := math.NaN()
		for y := range ny {
			g.value[y] = make([]float64, nx)
			g.text[y] = make([]string, nx)
			g.hatched[y] = make([]bool, nx)
			g.hover[y] = make([]string, nx)
			for x := range nx {
				m := p.Mean[y][x]
				where := fmt.Sprintf("%s %s, %s %s", ylabel, p.YTicks[y], xlabel, p.XTicks[x])
				if p.Title != "" {
					where = p.Title + ": " + where
				}
				g.hover[y][x] = where + ": " + heatHover(p, y, x)
				if p.Untried != nil && p.Untried[y][x] {
					g.value[y][x] = math.NaN()
					g.text[y][x] = ""
					anyUntried = true
					continue
				}
				if p.Added != nil && p.Added[y][x] {
					anyAdded = true
				}
				if p.Diverged != nil && p.Diverged[y][x] {
					g.hatched[y][x] = true
					g.value[y][x] = math.NaN()
					g.text[y][x] = "diverged"
					anyDiverged = true
					continue
				}
				if !finite(m) {
					g.value[y][x] = math.NaN()
					g.text[y][x] = "n/a"
					continue
				}
				if scale.log && m <= 0 {
					return nil, badArg(fn, fmt.Sprintf("%s[%d][%d]", arg(i, "Mean"), y, x),
						"value %g is not positive, as WithLogColor needs", m)
				}
				g.value[y][x] = scale.f(m)
				all = append(all, g.value[y][x])
				var t string
				switch {
				case format != "":
					t = fmt.Sprintf(format, m)
					if p.SD != nil && finite(p.SD[y][x]) {
						t += "\n± " + fmt.Sprintf(format, p.SD[y][x])
					}
				case p.SD != nil && finite(p.SD[y][x]):
					t = meanSD(m, p.SD[y][x])
				default:
					t = fmt.Sprintf("%.3g", m)
				}
				g.text[y][x] = t
				anyLevel = anyLevel || (p.Level != nil && p.Level[y][x])
				if math.IsNaN(bestV) || (lowerIsBetter && m < bestV) || (!lowerIsBetter && m > bestV) {
					bestV, g.best = m, [2]int{y, x}
				}
			}
		}
		grids = append(grids, g)
	}
	lo, hi, _ := valueRange(all)
	if cfg.rangeSet {
		lo, hi = scale.f(cfg.lo), scale.f(cfg.hi)
		if cfg.logColor && !(cfg.lo > 0) {
			return nil, badArg(fn, "WithColorRange", "low end %g is not positive, as WithLogColor needs", cfg.lo)
		}
		if !(hi > lo) {
			return nil, badArg(fn, "WithColorRange", "want low < high, got %g and %g", cfg.lo, cfg.hi)
		}
	}
	cols := cfg.cols
	if cols == 0 {
		cols = len(panels) // one row
	}
	rows, cols := gridShape(len(panels), cols)
	pw := max(6.5*vg.Centimeter, vg.Length(maxX)*1.45*vg.Centimeter+2.6*vg.Centimeter)
	ph := max(6*vg.Centimeter, vg.Length(maxY)*0.95*vg.Centimeter+2.2*vg.Centimeter)
	w, h := cfg.size(max(16*vg.Centimeter, vg.Length(cols)*pw+2.2*vg.Centimeter),
		max(10*vg.Centimeter, vg.Length(rows)*ph+2*vg.Centimeter))
	bestWord := "highest"
	if lowerIsBetter {
		bestWord = "lowest"
	}
	legend := []legendItem{{label: "best cell (" + bestWord + " mean)", thumbs: []plot.Thumbnailer{outlineThumb{}}}}
	if anyDiverged {
		legend = append(legend, legendItem{label: "diverged", thumbs: []plot.Thumbnailer{hatchThumb{}}})
	}
	if anyLevel {
		legend = append(legend, legendItem{label: "level with the best (paired test)", thumbs: []plot.Thumbnailer{levelThumb{}}})
	}
	if anyAdded {
		legend = append(legend, legendItem{label: "added by the refinement", thumbs: []plot.Thumbnailer{dashedThumb{}}})
	}
	if anyUntried {
		legend = append(legend, legendItem{label: "not trained", thumbs: []plot.Thumbnailer{untriedThumb{}}})
	}
	spec := heatSpec{
		fn: fn, title: cfg.titleOr(title), xlabel: xlabel, ylabel: ylabel,
		cmap: viridis(lo, hi), scale: scale, colorLabel: cfg.colorLabel,
		w: w, h: h, cols: cols,
	}
	return spec.draw(grids, legend)
}

// checkMatrix checks that a [y][x] matrix has ny rows of nx values.
func checkMatrix(fn, arg string, rows, ny int, rowLen func(int) int, nx int) error {
	if rows != ny {
		return badArg(fn, arg, "%d rows, want len(YTicks) = %d", rows, ny)
	}
	for y := range rows {
		if n := rowLen(y); n != nx {
			return badArg(fn, fmt.Sprintf("%s[%d]", arg, y), "%d values, want len(XTicks) = %d", n, nx)
		}
	}
	return nil
}

func (s heatSpec) draw(grids []heatGrid, legend []legendItem) ([]byte, error) {
	hov := &hovers{}
	rows, cols := gridShape(len(grids), s.cols)
	ticks := s.scale.ticks(s.cmap.min, s.cmap.max)
	barW := colorBarWidth(ticks, s.colorLabel)
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	for i, g := range grids {
		r, c := i/cols, i%cols
		xl, yl := "", ""
		if r == rows-1 || i+cols >= len(grids) {
			xl = s.xlabel
		}
		if c == 0 {
			yl = s.ylabel
		}
		p := newPlot(g.title, xl, yl)
		ny := len(g.yticks)
		p.X.Tick.Marker = categoryTicks(g.xticks)
		yt := make(plot.ConstantTicks, ny)
		for y, l := range g.yticks {
			yt[y] = plot.Tick{Value: float64(ny - 1 - y), Label: l}
		}
		p.Y.Tick.Marker = yt
		p.X.Padding, p.Y.Padding = 0, 0
		hm := plotter.NewHeatMap(gridData{g.value}, s.cmap.Palette(256))
		hm.Min, hm.Max = s.cmap.min, s.cmap.max
		hm.NaN = rgb(0xcc, 0xcc, 0xcc)
		hm.Underflow = s.cmap.at(s.cmap.min)
		hm.Overflow = s.cmap.at(s.cmap.max)
		p.Add(hm, cellMarks{grid: g, cmap: s.cmap, hov: hov})
		plots[r][c] = p
	}
	return renderWith(s.fn, s.w, s.h, hov, func(c draw.Canvas) error {
		c = frame(c, s.title, legend)
		if s.square && len(grids) == 1 {
			nx, ny := len(grids[0].xticks), len(grids[0].yticks)
			panel := draw.Crop(c, 0, -barW, 0, 0)
			sq := fitAspect(plots[0][0], panel, float64(nx)/float64(ny))
			// Keep the bar next to the matrix.
			c = draw.Crop(sq, 0, barW, 0, 0)
		}
		panels := draw.Crop(c, 0, -barW, 0, 0)
		cs := gridPlots(panels, plots, 18, 12)
		top := plots[0][0].DataCanvas(cs[0][0]).Max.Y
		last := len(grids) - 1
		bottom := plots[last/cols][last%cols].DataCanvas(cs[last/cols][last%cols]).Min.Y
		strip := c
		strip.Min.X = panels.Max.X
		drawColorBar(strip, s.cmap, ticks, s.colorLabel, bottom, top)
		return nil
	})
}

// gridData adapts a [y][x] matrix (row 0 at the top) to plotter.GridXYZ.
type gridData struct{ v [][]float64 }

func (g gridData) Dims() (c, r int)   { return len(g.v[0]), len(g.v) }
func (g gridData) Z(c, r int) float64 { return g.v[len(g.v)-1-r][c] }
func (g gridData) X(c int) float64    { return float64(c) }
func (g gridData) Y(r int) float64    { return float64(r) }
func (g gridData) Min() (m float64)   { m, _, _ = valueRange(g.flat()); return m }
func (g gridData) Max() (m float64)   { _, m, _ = valueRange(g.flat()); return m }
func (g gridData) flat() (out []float64) {
	for _, row := range g.v {
		out = append(out, row...)
	}
	return out
}

// cellMarks draws the hatching, the annotations and the best-cell outline
// of a heat map.
type cellMarks struct {
	grid heatGrid
	cmap *stopMap
	hov  *hovers
}

func (m cellMarks) Plot(c draw.Canvas, p *plot.Plot) {
	g := m.grid
	ny, nx := len(g.yticks), len(g.xticks)
	trX, trY := p.Transforms(&c)
	cell := func(y, x int) vg.Rectangle {
		row := float64(ny - 1 - y)
		x0, x1 := trX(float64(x)-0.5), trX(float64(x)+0.5)
		y0, y1 := trY(row-0.5), trY(row+0.5)
		return vg.Rectangle{Min: vg.Point{X: min(x0, x1), Y: min(y0, y1)}, Max: vg.Point{X: max(x0, x1), Y: max(y0, y1)}}
	}
	// One font size for the whole panel: the largest, up to 9 pt, at which
	// every annotation fits its cell.
	r0 := cell(0, 0)
	cw, ch := r0.Max.X-r0.Min.X, r0.Max.Y-r0.Min.Y
	size := vg.Length(9)
	probe := textStyle(size)
	for y := range ny {
		for x := range nx {
			t := g.text[y][x]
			if t == "" {
				continue
			}
			if w := probe.Width(t); w > 0 {
				size = min(size, 9*(cw-4)/w)
			}
			if h := probe.Height(t); h > 0 {
				size = min(size, 9*(ch-2)/h)
			}
		}
	}
	size = max(size, 4.5)
	for y := range ny {
		for x := range nx {
			r := cell(y, x)
			if g.hover != nil && g.hover[y][x] != "" {
				m.hov.addRect(r, g.hover[y][x])
			}
			if g.hatched != nil && g.hatched[y][x] {
				drawHatch(c, r)
			}
			if g.text[y][x] == "" && math.IsNaN(g.value[y][x]) {
				c.SetColor(color.White)
				c.Fill(r.Path())
			}
			if g.dashed != nil && g.dashed[y][x] {
				drawDashedOutline(c, r)
			}
			t := g.text[y][x]
			if t == "" {
				continue
			}
			sty := textStyle(size)
			v := g.value[y][x]
			if math.IsNaN(v) {
				sty.Color = color.Black
			} else {
				sty.Color = contrastText(m.cmap.at(v))
			}
			ctr := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
			if g.hatched != nil && g.hatched[y][x] {
				// A white plate keeps the word readable over the hatching.
				tw, th := sty.Width(t)+3, sty.Height(t)+1
				c.SetColor(withAlpha(color.White, 0.85))
				c.Fill(vg.Rectangle{Min: vg.Point{X: ctr.X - tw/2, Y: ctr.Y - th/2}, Max: vg.Point{X: ctr.X + tw/2, Y: ctr.Y + th/2}}.Path())
			}
			c.FillText(sty, ctr, t)
			if g.level != nil && g.level[y][x] && [2]int{y, x} != g.best {
				drawLevelMark(c, r)
			}
		}
	}
	if g.best[0] >= 0 {
		drawBestOutline(c, cell(g.best[0], g.best[1]))
	}
}

// drawHatch fills r light grey with diagonal dark grey hatching.
func drawHatch(c draw.Canvas, r vg.Rectangle) {
	c.SetColor(rgb(0xd9, 0xd9, 0xd9))
	c.Fill(r.Path())
	sty := draw.LineStyle{Color: rgb(0x80, 0x80, 0x80), Width: 0.6}
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	const step = 5
	// Lines x - y = k for k from -h to w, clipped to r.
	for k := -h; k < w; k += step {
		x0, y0 := r.Min.X+max(k, 0), r.Min.Y+max(-k, 0)
		d := min(w-max(k, 0), h-max(-k, 0))
		if d <= 0 {
			continue
		}
		c.StrokeLine2(sty, x0, y0, x0+d, y0+d)
	}
}

// drawBestOutline outlines r in black with a white inner line, visible on
// any colour of the map; the black line straddles the cell's edge to keep
// the inside free for the annotation.
func drawBestOutline(c draw.Canvas, r vg.Rectangle) {
	in := func(d vg.Length) vg.Rectangle {
		return vg.Rectangle{Min: vg.Point{X: r.Min.X + d, Y: r.Min.Y + d}, Max: vg.Point{X: r.Max.X - d, Y: r.Max.Y - d}}
	}
	c.SetLineStyle(draw.LineStyle{Color: color.Black, Width: 2.6})
	c.Stroke(in(0.3).Path())
	c.SetLineStyle(draw.LineStyle{Color: color.White, Width: 0.9})
	c.Stroke(in(2).Path())
}

// drawLevelMark draws a small "=" in the top right corner of r, black on
// a white plate (visible on every colour of the map).
func drawLevelMark(c draw.Canvas, r vg.Rectangle) {
	const w, gap, pad = 7.0, 2.6, 3.0
	x1 := r.Max.X - pad
	x0 := x1 - w
	y1 := r.Max.Y - pad - 1.5
	c.SetColor(withAlpha(color.White, 0.9))
	c.Fill(vg.Rectangle{Min: vg.Point{X: x0 - 1.5, Y: y1 - gap - 2}, Max: vg.Point{X: x1 + 1.5, Y: y1 + 2}}.Path())
	sty := draw.LineStyle{Color: color.Black, Width: 1.2}
	c.StrokeLine2(sty, x0, y1, x1, y1)
	c.StrokeLine2(sty, x0, y1-gap, x1, y1-gap)
}

// drawDashedOutline outlines r with a dashed dark line just inside its edge.
func drawDashedOutline(c draw.Canvas, r vg.Rectangle) {
	in := vg.Rectangle{Min: vg.Point{X: r.Min.X + 1.5, Y: r.Min.Y + 1.5}, Max: vg.Point{X: r.Max.X - 1.5, Y: r.Max.Y - 1.5}}
	// White under black dashes: visible on every colour of the map.
	c.SetLineStyle(draw.LineStyle{Color: color.White, Width: 1.4})
	c.Stroke(in.Path())
	c.SetLineStyle(draw.LineStyle{Color: color.Black, Width: 1.4, Dashes: []vg.Length{3, 2}})
	c.Stroke(in.Path())
}

// meanSD formats "mean\n± sd" with sd to one or two significant figures
// (two when its first digit is 1 or 2) and mean to the same decimal place;
// a zero sd is "± 0", never "± 0.0000".
func meanSD(m, sd float64) string {
	sd = math.Abs(sd)
	if sd == 0 {
		return strconv.FormatFloat(m, 'g', 3, 64) + "\n± 0"
	}
	e := int(math.Floor(math.Log10(sd)))
	k := -e
	if sd/math.Pow(10, float64(e)) < 2.95 {
		k++
	}
	k = max(k, 0)
	return strconv.FormatFloat(m, 'f', k, 64) + "\n± " + strconv.FormatFloat(sd, 'f', k, 64)
}
