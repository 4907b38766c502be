package plots

import (
	"fmt"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ClassCounts draws F5: for each group (e.g. "random split", "per-class
// split") a panel of grouped bars, the number of images of each class in
// each set (train, validation, test). counts is indexed
// [group][set][class]; every group and set has the same number of classes,
// labelled 0, 1, 2, ... All panels share one y scale.
//
// Options: WithTitle (default "Images per class in each set"),
// WithColumns (default: all groups in one row), WithSize.
func ClassCounts(groups, sets []string, counts [][][]int, opts ...Option) ([]byte, error) {
	const fn = "ClassCounts"
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, badArg(fn, "groups", "empty")
	}
	if len(sets) == 0 {
		return nil, badArg(fn, "sets", "empty")
	}
	if len(counts) != len(groups) {
		return nil, badArg(fn, "counts", "%d groups, want len(groups) = %d", len(counts), len(groups))
	}
	nclass := -1
	top := 0
	for g, gs := range counts {
		if len(gs) != len(sets) {
			return nil, badArg(fn, fmt.Sprintf("counts[%d]", g), "%d sets, want len(sets) = %d", len(gs), len(sets))
		}
		for s, cs := range gs {
			if nclass < 0 {
				nclass = len(cs)
			}
			if len(cs) != nclass || nclass == 0 {
				return nil, badArg(fn, fmt.Sprintf("counts[%d][%d]", g, s), "%d classes, want %d like counts[0][0] (and > 0)", len(cs), nclass)
			}
			for c, v := range cs {
				if v < 0 {
					return nil, badArg(fn, fmt.Sprintf("counts[%d][%d][%d]", g, s, c), "negative count %d", v)
				}
				top = max(top, v)
			}
		}
	}
	cols := cfg.cols
	if cols == 0 {
		cols = len(groups)
	}
	nr, nc := gridShape(len(groups), cols)
	w, h := cfg.size(max(16*vg.Centimeter, vg.Length(nc)*9*vg.Centimeter), vg.Length(nr)*7*vg.Centimeter+2*vg.Centimeter)
	// Bar width from the approximate width of one panel's data area.
	dataW := (w-2*margin)/vg.Length(nc) - 1.8*vg.Centimeter
	barW := dataW / vg.Length(nclass) * 0.8 / vg.Length(len(sets))

	labels := make([]string, nclass)
	for c := range labels {
		labels[c] = strconv.Itoa(c)
	}
	grid := make([][]*plot.Plot, nr)
	for r := range grid {
		grid[r] = make([]*plot.Plot, nc)
	}
	for g, name := range groups {
		r, c := g/nc, g%nc
		yl := ""
		if c == 0 {
			yl = "number of images"
		}
		p := newPlot(name, "class (digit)", yl)
		p.X.Tick.Marker = categoryTicks(labels)
		p.X.Tick.Length = 0
		addGrid(p, false)
		for s := range sets {
			vs := make(plotter.Values, nclass)
			for k, v := range counts[g][s] {
				vs[k] = float64(v)
			}
			b, err := plotter.NewBarChart(vs, barW)
			if err != nil {
				return nil, err
			}
			b.Color = seriesColor(s)
			b.LineStyle.Width = 0
			b.Offset = barW * (vg.Length(s) - vg.Length(len(sets)-1)/2)
			p.Add(b)
		}
		p.Y.Min, p.Y.Max = 0, float64(top)*1.05+1
		grid[r][c] = p
	}
	var legend []legendItem
	for s, name := range sets {
		legend = append(legend, legendItem{label: name, thumbs: []plot.Thumbnailer{fillThumb{fill: seriesColor(s)}}})
	}
	return render(fn, w, h, func(c draw.Canvas) error {
		c = frame(c, cfg.titleOr("Images per class in each set"), legend)
		gridPlots(c, grid, 14, 10)
		return nil
	})
}
