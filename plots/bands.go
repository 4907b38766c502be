package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one curve of a Bands panel: the mean over runs, an optional
// band [Lo, Hi] drawn translucent behind it (e.g. mean ± sd, or an empirical
// 5-95 % interval), and an optional Best curve (e.g. the best run) drawn
// dashed in the same colour.
//
// X, Mean, and Lo, Hi, Best when present, have the same length. X must be
// finite; a non-finite Mean, Lo, Hi or Best value leaves a gap (a diverged
// run). Series of one panel may have different lengths (early stopping).
// Series of the same Name share one colour in every panel of a figure.
type Series struct {
	Name   string
	X      []float64
	Mean   []float64
	Lo, Hi []float64
	Best   []float64
}

// Panel is one set of axes of a multi-panel figure.
type Panel struct {
	Title  string
	Series []Series
	// LogY draws the y axis on a log scale; non-positive values are then
	// left out (band edges below zero are clipped to the smallest positive
	// value of the panel).
	LogY bool
	// YLabel, when set, replaces the figure's y label for this panel.
	YLabel string
}

// Bands draws panels of curves with translucent confidence bands, laid out
// in a grid (F6: mini-batch size x learning rate; F8: momentum; F10: best
// models against Ridge; F14: 1 - accuracy against epoch). xlabel and ylabel
// label the bottom row and left column.
//
// Options: WithColumns (default: up to three panels in a row, then a square
// grid), WithSharedY, WithSize (default 16 cm x 10 cm for one panel, larger
// for grids), WithTitle.
func Bands(title, xlabel, ylabel string, panels []Panel, opts ...Option) ([]byte, error) {
	return bandsFigure("Bands", title, xlabel, ylabel, panels, bandsStyle{}, opts)
}

// ParamNorms draws F15: statistics of the output layer's weights and biases
// (e.g. mean ± sd of the values, or their norms) against epoch, one panel
// per quantity and output activation (softmax, sigmoid). Every panel has its
// own y scale and should carry its quantity in Panel.YLabel.
//
// Options: as Bands.
func ParamNorms(title string, panels []Panel, opts ...Option) ([]byte, error) {
	return bandsFigure("ParamNorms", title, "epoch", "", panels, bandsStyle{}, opts)
}

// Schedule draws F2: the learning rate against the optimisation step.
//
// Options: WithSize (default 16 cm x 10 cm).
func Schedule(steps, lr []float64, title string, opts ...Option) ([]byte, error) {
	const fn = "Schedule"
	if len(steps) == 0 {
		return nil, badArg(fn, "steps", "empty")
	}
	if len(lr) != len(steps) {
		return nil, badArg(fn, "lr", "length %d, want len(steps) = %d", len(lr), len(steps))
	}
	for i := range steps {
		if !finite(steps[i]) {
			return nil, badArg(fn, "steps", "value %d is %g", i, steps[i])
		}
		if !finite(lr[i]) {
			return nil, badArg(fn, "lr", "value %d is %g", i, lr[i])
		}
	}
	p := Panel{Series: []Series{{Name: "learning rate", X: steps, Mean: lr}}}
	return bandsFigure(fn, title, "step", "learning rate", []Panel{p}, bandsStyle{argName: "series"}, opts)
}

// LearningCurve draws the test error against the number of training points
// (log x axis) for several models (e.g. Ridge and the best network), each
// with markers at the measured sizes and its band (Lo, Hi) over seeds.
// Series.X holds the numbers of training points.
//
// Options: as Bands; WithColumns is meaningless here.
func LearningCurve(title, ylabel string, series []Series, logY bool, opts ...Option) ([]byte, error) {
	p := Panel{Series: series, LogY: logY}
	return bandsFigure("LearningCurve", title, "number of training points", ylabel, []Panel{p},
		bandsStyle{logX: true, markers: true, argName: "series"}, opts)
}

type bandsStyle struct {
	logX    bool
	markers bool
	// argName, when set, names the single panel's series in errors.
	argName string
}

func (s bandsStyle) seriesArg(i, j int) string {
	if s.argName != "" {
		return fmt.Sprintf("%s[%d]", s.argName, j)
	}
	return fmt.Sprintf("panels[%d].Series[%d]", i, j)
}

func validateSeries(fn, arg string, s Series, logX bool) error {
	field := func(f string) string { return arg + "." + f }
	n := len(s.X)
	if n == 0 {
		return badArg(fn, field("X"), "empty")
	}
	if len(s.Mean) != n {
		return badArg(fn, field("Mean"), "length %d, want len(X) = %d", len(s.Mean), n)
	}
	if (s.Lo == nil) != (s.Hi == nil) {
		return badArg(fn, field("Lo"), "Lo and Hi must be both set or both nil")
	}
	if s.Lo != nil && len(s.Lo) != n {
		return badArg(fn, field("Lo"), "length %d, want len(X) = %d", len(s.Lo), n)
	}
	if s.Hi != nil && len(s.Hi) != n {
		return badArg(fn, field("Hi"), "length %d, want len(X) = %d", len(s.Hi), n)
	}
	if s.Best != nil && len(s.Best) != n {
		return badArg(fn, field("Best"), "length %d, want len(X) = %d", len(s.Best), n)
	}
	for i, x := range s.X {
		if !finite(x) {
			return badArg(fn, field("X"), "value %d is %g", i, x)
		}
		if logX && x <= 0 {
			return badArg(fn, field("X"), "value %d is %g, want > 0 on a log axis", i, x)
		}
	}
	return nil
}

func bandsFigure(fn, title, xlabel, ylabel string, panels []Panel, st bandsStyle, opts []Option) ([]byte, error) {
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	if len(panels) == 0 {
		return nil, badArg(fn, "panels", "empty")
	}
	// Colours by series name, in order of first appearance.
	colorOf := map[string]int{}
	var names []string
	anyBest := false
	anyBand := map[string]bool{}
	for i, p := range panels {
		if len(p.Series) == 0 {
			arg := fmt.Sprintf("panels[%d].Series", i)
			if st.argName != "" {
				arg = st.argName
			}
			return nil, badArg(fn, arg, "empty")
		}
		for j, s := range p.Series {
			if err := validateSeries(fn, st.seriesArg(i, j), s, st.logX); err != nil {
				return nil, err
			}
			if _, ok := colorOf[s.Name]; !ok {
				colorOf[s.Name] = len(names)
				names = append(names, s.Name)
			}
			anyBest = anyBest || s.Best != nil
			if s.Lo != nil {
				anyBand[s.Name] = true
			}
		}
	}

	rows, cols := gridShape(len(panels), cfg.cols)
	w, h := cfg.size(
		max(16*vg.Centimeter, vg.Length(cols)*7.5*vg.Centimeter),
		max(10*vg.Centimeter, vg.Length(rows)*6*vg.Centimeter+2*vg.Centimeter))
	title = cfg.titleOr(title)

	// Build the plots.
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
	}
	var ylo, yhi = math.Inf(1), math.Inf(-1)
	plots := make([]*plot.Plot, len(panels))
	for i, pn := range panels {
		r, c := i/cols, i%cols
		xl, yl := "", ""
		if r == rows-1 || i+cols >= len(panels) {
			xl = xlabel
		}
		if c == 0 {
			yl = ylabel
		}
		if pn.YLabel != "" {
			yl = pn.YLabel
		}
		p := newPlot(pn.Title, xl, yl)
		addGrid(p, true)
		if st.logX {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = logTicks{}
		}
		if pn.LogY {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = logTicks{}
		}
		n, lo, hi, err := addSeries(p, pn, colorOf, st)
		if err != nil {
			return nil, fmt.Errorf("plots.%s: panel %d: %w", fn, i, err)
		}
		if n == 0 {
			p.Add(noDataNote{})
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
			if pn.LogY {
				p.Y.Min, p.Y.Max = 0.1, 1
			}
			if st.logX {
				p.X.Min, p.X.Max = 0.1, 1
			}
		} else {
			ylo, yhi = math.Min(ylo, lo), math.Max(yhi, hi)
		}
		grid[r][c] = p
		plots[i] = p
	}
	if cfg.sharedY && ylo <= yhi {
		for i, p := range plots {
			if panels[i].LogY && ylo <= 0 {
				continue
			}
			p.Y.Min, p.Y.Max = ylo, yhi
		}
	}

	var legend []legendItem
	if len(names) > 1 || anyBest {
		for k, name := range names {
			col := seriesColor(k)
			var thumbs []plot.Thumbnailer
			if anyBand[name] {
				thumbs = append(thumbs, fillThumb{fill: withAlpha(col, bandAlpha)})
			}
			thumbs = append(thumbs, lineThumb(meanLine(k)))
			if st.markers {
				thumbs = append(thumbs, glyphThumb(meanGlyph(k)))
			}
			label := name
			if label == "" {
				label = "(unnamed)"
			}
			legend = append(legend, legendItem{label: label, thumbs: thumbs})
		}
		if anyBest {
			bl := bestLine(6)
			bl.Color = rgb(0x55, 0x55, 0x55)
			legend = append(legend, legendItem{label: "best run (dashed)", thumbs: []plot.Thumbnailer{lineThumb(bl)}})
		}
	}

	return render(fn, w, h, func(c draw.Canvas) error {
		c = frame(c, title, legend)
		gridPlots(c, grid, 14, 10)
		return nil
	})
}

const bandAlpha = 0.22

func meanLine(k int) draw.LineStyle {
	return draw.LineStyle{Color: seriesColor(k), Width: 1.6, Dashes: seriesDashes(k)}
}

func bestLine(k int) draw.LineStyle {
	return draw.LineStyle{Color: seriesColor(k), Width: 1, Dashes: []vg.Length{3, 2}}
}

func meanGlyph(k int) draw.GlyphStyle {
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}}
	return draw.GlyphStyle{Color: seriesColor(k), Radius: 2.6, Shape: shapes[k%len(shapes)]}
}

// addSeries adds the bands, mean lines and best lines of pn to p and returns
// the number of finite points drawn and their y range.
func addSeries(p *plot.Plot, pn Panel, colorOf map[string]int, st bandsStyle) (int, float64, float64, error) {
	ok := func(v float64) bool { return finite(v) && (!pn.LogY || v > 0) }
	// Smallest positive value, for clipping bands on a log axis.
	floor := math.Inf(1)
	if pn.LogY {
		for _, s := range pn.Series {
			for _, vs := range [][]float64{s.Mean, s.Lo, s.Hi, s.Best} {
				for _, v := range vs {
					if finite(v) && v > 0 {
						floor = math.Min(floor, v)
					}
				}
			}
		}
	}
	n := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	see := func(v float64) { n++; lo = math.Min(lo, v); hi = math.Max(hi, v) }

	// Bands first so that every line is drawn on top of every band.
	for _, s := range pn.Series {
		if s.Lo == nil {
			continue
		}
		k := colorOf[s.Name]
		for _, seg := range segments(len(s.X), func(i int) bool {
			return ok(s.Mean[i]) && finite(s.Lo[i]) && ok(s.Hi[i])
		}) {
			var up, down plotter.XYs
			for i := seg[0]; i < seg[1]; i++ {
				l := s.Lo[i]
				if pn.LogY && l < floor {
					l = floor
				}
				up = append(up, plotter.XY{X: s.X[i], Y: s.Hi[i]})
				down = append(down, plotter.XY{X: s.X[i], Y: l})
				see(l)
				see(s.Hi[i])
			}
			if len(up) == 1 {
				continue // a one-point band has no area; the error bar shows it
			}
			ring := up
			for i := len(down) - 1; i >= 0; i-- {
				ring = append(ring, down[i])
			}
			poly, err := plotter.NewPolygon(ring)
			if err != nil {
				return 0, 0, 0, err
			}
			poly.Color = withAlpha(seriesColor(k), bandAlpha)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	for _, s := range pn.Series {
		k := colorOf[s.Name]
		if s.Best != nil {
			for _, seg := range segments(len(s.X), func(i int) bool { return ok(s.Best[i]) }) {
				xy := make(plotter.XYs, 0, seg[1]-seg[0])
				for i := seg[0]; i < seg[1]; i++ {
					xy = append(xy, plotter.XY{X: s.X[i], Y: s.Best[i]})
					see(s.Best[i])
				}
				l, err := plotter.NewLine(xy)
				if err != nil {
					return 0, 0, 0, err
				}
				l.LineStyle = bestLine(k)
				p.Add(l)
			}
		}
		for _, seg := range segments(len(s.X), func(i int) bool { return ok(s.Mean[i]) }) {
			xy := make(plotter.XYs, 0, seg[1]-seg[0])
			for i := seg[0]; i < seg[1]; i++ {
				xy = append(xy, plotter.XY{X: s.X[i], Y: s.Mean[i]})
				see(s.Mean[i])
			}
			if len(xy) > 1 {
				l, err := plotter.NewLine(xy)
				if err != nil {
					return 0, 0, 0, err
				}
				l.LineStyle = meanLine(k)
				p.Add(l)
			}
			if st.markers || len(xy) == 1 {
				sc, err := plotter.NewScatter(xy)
				if err != nil {
					return 0, 0, 0, err
				}
				sc.GlyphStyle = meanGlyph(k)
				p.Add(sc)
			}
		}
		if st.markers && s.Lo != nil {
			// Error bars make the band readable at the measured points.
			var xy plotter.XYs
			var errs plotter.YErrors
			for i := range s.X {
				if ok(s.Mean[i]) && finite(s.Lo[i]) && ok(s.Hi[i]) {
					l := math.Min(s.Lo[i], s.Mean[i])
					if pn.LogY && l < floor {
						l = floor
					}
					xy = append(xy, plotter.XY{X: s.X[i], Y: s.Mean[i]})
					errs = append(errs, struct{ Low, High float64 }{s.Mean[i] - l, math.Max(s.Hi[i]-s.Mean[i], 0)})
				}
			}
			if len(xy) > 0 {
				eb, err := plotter.NewYErrorBars(errorPoints{xy, errs})
				if err != nil {
					return 0, 0, 0, err
				}
				eb.LineStyle = draw.LineStyle{Color: seriesColor(k), Width: 1}
				eb.CapWidth = 5
				p.Add(eb)
			}
		}
	}
	return n, lo, hi, nil
}

type errorPoints struct {
	plotter.XYs
	plotter.YErrors
}

// segments returns the maximal runs [start, end) of indices in [0, n) where
// keep is true.
func segments(n int, keep func(int) bool) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= n; i++ {
		if i < n && keep(i) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	return out
}

// noDataNote writes "no finite values" in the middle of an empty panel.
type noDataNote struct{}

func (noDataNote) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := textStyle(sizeLabel)
	sty.Color = rgb(0x55, 0x55, 0x55)
	c.FillText(sty, c.Center(), "no finite values\n(diverged)")
}
