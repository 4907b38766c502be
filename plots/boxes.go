package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BoxGroup is one panel of BetaBoxes: Values[term][run] holds the fitted
// coefficient of each term in each run. Non-finite values (diverged runs)
// are left out of the box; a term with no finite value gets no box.
type BoxGroup struct {
	Name   string
	Values [][]float64
}

// BetaBoxes draws F7: one panel per group (e.g. "SGD OLS", "SGD Ridge"),
// a box plot per coefficient over the runs (median, quartiles, whiskers to
// 1.5 IQR, outliers as circles), and reference[term] (e.g. the closed-form
// Ridge solution; may be nil) as vermillion dots labelled refName. Terms
// are printed as given (e.g. "x^2 y"); with more than a dozen they are
// turned vertical.
//
// Options: WithTitle (default "Coefficients over runs"), WithColumns
// (default 1: panels stacked), WithSharedY, WithSize.
func BetaBoxes(terms []string, groups []BoxGroup, reference []float64, refName string, opts ...Option) ([]byte, error) {
	const fn = "BetaBoxes"
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	nt := len(terms)
	if nt == 0 {
		return nil, badArg(fn, "terms", "empty")
	}
	if len(groups) == 0 {
		return nil, badArg(fn, "groups", "empty")
	}
	if reference != nil && len(reference) != nt {
		return nil, badArg(fn, "reference", "length %d, want len(terms) = %d", len(reference), nt)
	}
	for g, grp := range groups {
		if len(grp.Values) != nt {
			return nil, badArg(fn, fmt.Sprintf("groups[%d].Values", g), "%d terms, want len(terms) = %d", len(grp.Values), nt)
		}
	}
	cols := cfg.cols
	if cols == 0 {
		cols = 1
	}
	nr, nc := gridShape(len(groups), cols)
	vertical := nt > 12
	tickH := vg.Length(0)
	if vertical {
		sty := textStyle(sizeTick)
		for _, t := range terms {
			tickH = max(tickH, sty.Width(t))
		}
	}
	w, h := cfg.size(max(16*vg.Centimeter, vg.Length(nc)*vg.Length(nt)*0.45*vg.Centimeter+2*vg.Centimeter),
		vg.Length(nr)*(6*vg.Centimeter+tickH)+2*vg.Centimeter)
	dataW := (w-2*margin)/vg.Length(nc) - 2*vg.Centimeter
	boxW := min(18, dataW/vg.Length(nt)*0.6)

	boxColor := seriesColor(0)
	refSty := draw.GlyphStyle{Color: seriesColor(1), Radius: 2.8, Shape: draw.CircleGlyph{}}
	grid := make([][]*plot.Plot, nr)
	for r := range grid {
		grid[r] = make([]*plot.Plot, nc)
	}
	ylo, yhi := math.Inf(1), math.Inf(-1)
	var plots []*plot.Plot
	for g, grp := range groups {
		r, c := g/nc, g%nc
		yl := ""
		if c == 0 {
			yl = "coefficient value"
		}
		xl := ""
		if r == nr-1 || g+nc >= len(groups) {
			xl = "term"
		}
		p := newPlot(grp.Name, xl, yl)
		addGrid(p, false)
		p.X.Tick.Marker = categoryTicks(terms)
		if vertical {
			p.X.Tick.Label.Rotation = math.Pi / 2
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
		p.X.Min, p.X.Max = -0.6, float64(nt)-0.4
		for t, runs := range grp.Values {
			var vs plotter.Values
			for _, v := range runs {
				if finite(v) {
					vs = append(vs, v)
					ylo, yhi = math.Min(ylo, v), math.Max(yhi, v)
				}
			}
			if len(vs) == 0 {
				continue
			}
			b, err := plotter.NewBoxPlot(boxW, float64(t), vs)
			if err != nil {
				return nil, err
			}
			b.FillColor = withAlpha(boxColor, 0.25)
			b.BoxStyle = draw.LineStyle{Color: boxColor, Width: 0.9}
			b.MedianStyle = draw.LineStyle{Color: boxColor, Width: 1.8}
			b.WhiskerStyle = draw.LineStyle{Color: boxColor, Width: 0.8}
			b.GlyphStyle = draw.GlyphStyle{Color: boxColor, Radius: 1.5, Shape: draw.RingGlyph{}}
			p.Add(b)
		}
		if reference != nil {
			var xy plotter.XYs
			for t, v := range reference {
				if finite(v) {
					xy = append(xy, plotter.XY{X: float64(t), Y: v})
					ylo, yhi = math.Min(ylo, v), math.Max(yhi, v)
				}
			}
			if len(xy) > 0 {
				sc, err := plotter.NewScatter(xy)
				if err != nil {
					return nil, err
				}
				sc.GlyphStyle = refSty
				p.Add(sc)
			}
		}
		grid[r][c] = p
		plots = append(plots, p)
	}
	if cfg.sharedY && ylo < yhi {
		for _, p := range plots {
			p.Y.Min, p.Y.Max = ylo, yhi
		}
	}
	legend := []legendItem{{
		label:  "runs: median, quartiles, whiskers to 1.5 IQR, outliers",
		thumbs: []plot.Thumbnailer{fillThumb{fill: withAlpha(boxColor, 0.25), outline: draw.LineStyle{Color: boxColor, Width: 0.9}}},
	}}
	if reference != nil {
		name := refName
		if name == "" {
			name = "reference"
		}
		legend = append(legend, legendItem{label: name, thumbs: []plot.Thumbnailer{glyphThumb(refSty)}})
	}
	return render(fn, w, h, func(c draw.Canvas) error {
		c = frame(c, cfg.titleOr("Coefficients over runs"), legend)
		gridPlots(c, grid, 14, 12)
		return nil
	})
}
