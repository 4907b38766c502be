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
	// N, when set, is how many runs each point averages: where it is below
	// its largest value (runs that stopped early), the line is dotted.
	N []int
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
	// YMin and YMax, when YMax > YMin, clip the y axis to that range (the
	// curves leave it at the top or bottom).
	YMin, YMax float64
	// XMin and XMax, when XMax > XMin, fix the x axis to that range (so
	// that a run that stopped early, a diverged one say, is drawn on the
	// same epochs as its neighbours).
	XMin, XMax float64
	// Note, when set, is written in the middle of the panel (e.g.
	// "diverged at epoch 3"), over the curves.
	Note string
}

// BandsOptions labels a Bands figure. The zero value draws no title and no
// axis labels.
type BandsOptions struct {
	// Title is the figure's title; "" means none (WithTitle replaces it).
	Title string
	// XLabel labels the x axis of the lowest panel of each column; "" means
	// no label.
	XLabel string
	// YLabel labels the y axes of the left column (once for the whole
	// figure when it has several rows); "" means no label. A panel's own
	// Panel.YLabel replaces it.
	YLabel string
}

// Bands draws panels of curves with translucent confidence bands, laid out
// in a grid (F6: mini-batch size x learning rate; F8: momentum; F10: best
// models against Ridge; F14: 1 - accuracy against epoch), labelled by o.
//
// Options: WithColumns (default: up to three panels in a row, then a square
// grid), WithSharedY, WithSize (default 16 cm x 10 cm for one panel, larger
// for grids), WithTitle.
func Bands(panels []Panel, o BandsOptions, opts ...Option) ([]byte, error) {
	return bandsFigure("Bands", o.Title, o.XLabel, o.YLabel, panels, bandsStyle{}, opts)
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

// CurveOptions labels a LearningCurve figure and sets its y scale. The zero
// value draws no title and no y label, on a linear y axis.
type CurveOptions struct {
	// Title is the figure's title; "" means none (WithTitle replaces it).
	Title string
	// YLabel labels the y axis (the error measured); "" means no label.
	YLabel string
	// LogY draws the y axis on a log scale (non-positive values are then
	// left out); false means a linear y axis.
	LogY bool
}

// LearningCurve draws the test error against the number of training points
// (log x axis) for several models (e.g. Ridge and the best network), each
// with markers at the measured sizes and its band (Lo, Hi) over seeds.
// Series.X holds the numbers of training points.
//
// Options: as Bands; WithColumns is meaningless here.
func LearningCurve(series []Series, o CurveOptions, opts ...Option) ([]byte, error) {
	p := Panel{Series: series, LogY: o.LogY}
	return bandsFigure("LearningCurve", o.Title, "number of training points", o.YLabel, []Panel{p},
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
	hov := &hovers{}
	anyPartial := false
	for _, pn := range panels {
		for _, s := range pn.Series {
			anyPartial = anyPartial || partial(s)
		}
	}
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
	// With several rows, the figure's y label is drawn once, down the left
	// edge: on each row it would be longer than the panels are tall, and
	// gonum/plot would shrink them to make room.
	sharedYLabel := ""
	if rows > 1 && ylabel != "" {
		sharedYLabel = ylabel
		if allLogY(panels) {
			sharedYLabel += " (log scale)"
		}
	}
	for i, pn := range panels {
		r, c := i/cols, i%cols
		xl, yl := "", ""
		if r == rows-1 || i+cols >= len(panels) {
			xl = xlabel
		}
		if c == 0 && sharedYLabel == "" {
			yl = ylabel
		}
		if pn.YLabel != "" {
			yl = pn.YLabel
		}
		if pn.LogY && yl != "" {
			yl += " (log scale)"
		}
		if st.logX && xl != "" {
			xl += " (log scale)"
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
			if pn.Note == "" {
				p.Add(panelNote("no finite values\n(diverged)"))
			}
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
			if pn.LogY {
				p.Y.Min, p.Y.Max = 0.1, 1
			}
			if st.logX {
				p.X.Min, p.X.Max = 0.1, 1
			}
		} else {
			ylo, yhi = math.Min(ylo, lo), math.Max(yhi, hi)
			// A range of one value (one point, or a constant curve) would
			// get gonum/plot's ±1 around it: negative epochs, a log axis
			// through zero. Widen it around the value instead.
			if p.X.Min == p.X.Max {
				p.X.Min, p.X.Max = widen(p.X.Min, st.logX)
			}
			if p.Y.Min == p.Y.Max {
				p.Y.Min, p.Y.Max = widen(p.Y.Min, pn.LogY)
			}
		}
		if pn.YMax > pn.YMin {
			p.Y.Min, p.Y.Max = pn.YMin, pn.YMax
		}
		if pn.XMax > pn.XMin && (!st.logX || pn.XMin > 0) {
			p.X.Min, p.X.Max = pn.XMin, pn.XMax
		}
		if pn.Note != "" {
			p.Add(panelNote(pn.Note))
		}
		p.Add(hoverPoints{h: hov, series: pn.Series, logY: pn.LogY, floor: logFloor(pn), max: 60})
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
	if anyPartial {
		pl := partialLine(6)
		pl.Color = rgb(0x55, 0x55, 0x55)
		legend = append(legend, legendItem{label: "mean of fewer runs (the others stopped early)", thumbs: []plot.Thumbnailer{lineThumb(pl)}})
	}

	return renderWith(fn, w, h, hov, func(c draw.Canvas) error {
		c = frame(c, title, legend)
		if sharedYLabel != "" {
			sty := textStyle(sizeLabel)
			sty.Rotation = math.Pi / 2
			sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
			c.FillText(sty, vg.Point{X: c.Min.X, Y: (c.Min.Y + c.Max.Y) / 2}, sharedYLabel)
			c.Min.X += sty.Height(sharedYLabel) + 4
		}
		gridPlots(c, grid, 14, 10)
		return nil
	})
}

const bandAlpha = 0.22

func meanLine(k int) draw.LineStyle {
	return draw.LineStyle{Color: seriesColor(k), Width: 1.6, Dashes: seriesDashes(k)}
}

// allLogY reports whether every panel has a log y axis.
func allLogY(panels []Panel) bool {
	for _, p := range panels {
		if !p.LogY {
			return false
		}
	}
	return true
}

// partialLine is the mean line where it averages fewer runs than the
// series' most.
func partialLine(k int) draw.LineStyle {
	return draw.LineStyle{Color: seriesColor(k), Width: 1.6, Dashes: []vg.Length{1.5, 2.5}}
}

// partial reports whether s averages fewer runs somewhere than its most.
func partial(s Series) bool {
	if s.N == nil {
		return false
	}
	most := 0
	for _, n := range s.N {
		most = max(most, n)
	}
	for _, n := range s.N {
		if n < most {
			return true
		}
	}
	return false
}

// logFloor is where a log-y panel draws values at or below zero: half its
// smallest positive value, so that a curve that reaches zero (say, no
// training error) stays on the plot instead of vanishing.
func logFloor(pn Panel) float64 {
	if !pn.LogY {
		return 0
	}
	floor := math.Inf(1)
	for _, s := range pn.Series {
		for _, vs := range [][]float64{s.Mean, s.Lo, s.Hi, s.Best} {
			for _, v := range vs {
				if finite(v) && v > 0 {
					floor = math.Min(floor, v)
				}
			}
		}
	}
	if math.IsInf(floor, 1) {
		return 0 // no positive value: nothing can be drawn
	}
	return floor / 2
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
	// On a log axis, values at or below zero are drawn at the panel's
	// floor (half its smallest positive value) rather than left out.
	floor := logFloor(pn)
	ok := func(v float64) bool { return finite(v) && (!pn.LogY || v > 0 || floor > 0) }
	yv := func(v float64) float64 {
		if pn.LogY && v < floor {
			return floor
		}
		return v
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
				l, hi := yv(s.Lo[i]), yv(s.Hi[i])
				up = append(up, plotter.XY{X: s.X[i], Y: hi})
				down = append(down, plotter.XY{X: s.X[i], Y: l})
				see(l)
				see(hi)
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
					xy = append(xy, plotter.XY{X: s.X[i], Y: yv(s.Best[i])})
					see(yv(s.Best[i]))
				}
				l, err := plotter.NewLine(xy)
				if err != nil {
					return 0, 0, 0, err
				}
				l.LineStyle = bestLine(k)
				p.Add(l)
			}
		}
		most := 0
		for _, c := range s.N {
			most = max(most, c)
		}
		full := func(i int) bool { return s.N == nil || i >= len(s.N) || s.N[i] >= most }
		for _, seg := range segments(len(s.X), func(i int) bool { return ok(s.Mean[i]) }) {
			xy := make(plotter.XYs, 0, seg[1]-seg[0])
			for i := seg[0]; i < seg[1]; i++ {
				xy = append(xy, plotter.XY{X: s.X[i], Y: yv(s.Mean[i])})
				see(yv(s.Mean[i]))
			}
			// Runs of points averaging all runs, or fewer (dotted); each
			// run shares its first point with the previous one.
			for a := 0; a < len(xy); {
				b := a + 1
				for b < len(xy) && full(seg[0]+b) == full(seg[0]+a) {
					b++
				}
				from := max(a-1, 0)
				if b-from > 1 {
					l, err := plotter.NewLine(xy[from:b])
					if err != nil {
						return 0, 0, 0, err
					}
					l.LineStyle = meanLine(k)
					if !full(seg[0] + a) {
						l.LineStyle = partialLine(k)
					}
					p.Add(l)
				}
				a = b
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
					m := yv(s.Mean[i])
					l := yv(math.Min(s.Lo[i], s.Mean[i]))
					xy = append(xy, plotter.XY{X: s.X[i], Y: m})
					errs = append(errs, struct{ Low, High float64 }{m - l, math.Max(yv(s.Hi[i])-m, 0)})
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

// widen returns a range around the single value v: v ± 1 on a linear
// axis, kept at or above 0 when v is (an epoch, an error), or v/2 to 2v on
// a log axis.
func widen(v float64, log bool) (float64, float64) {
	switch {
	case log && v > 0:
		return v / 2, v * 2
	case v >= 0 && v < 1:
		return 0, max(1, 2*v)
	case v >= 1:
		return v - 1, v + 1
	default:
		return v - 1, math.Min(v+1, 0)
	}
}

// panelNote writes its text in the middle of a panel's data area (e.g.
// "no finite values" in an empty panel, "diverged at epoch 3"), on a white
// box so that it reads over curves and grid lines.
type panelNote string

func (n panelNote) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := textStyle(sizeLabel)
	sty.Color = rgb(0x33, 0x33, 0x33)
	txt, size := fitText(sty, string(n), (c.Max.X-c.Min.X)*0.92, sizeMinText)
	sty.Font.Size = size
	w, h := sty.Width(txt), sty.Height(txt)
	ctr := c.Center()
	box := vg.Rectangle{Min: vg.Point{X: ctr.X - w/2 - 3, Y: ctr.Y - h/2 - 2}, Max: vg.Point{X: ctr.X + w/2 + 3, Y: ctr.Y + h/2 + 2}}
	c.SetColor(withAlpha(rgb(0xff, 0xff, 0xff), 0.85))
	c.Fill(box.Path())
	c.FillText(sty, ctr, txt)
}
