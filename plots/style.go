package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// InputError reports bad input to one of the figure functions: which
// function, which argument (or field path, like "panels[1].Series[0].Lo"),
// and what is wrong with it.
type InputError struct {
	Func    string
	Arg     string
	Problem string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("plots.%s: %s: %s", e.Func, e.Arg, e.Problem)
}

func badArg(fn, arg, format string, a ...any) error {
	return &InputError{Func: fn, Arg: arg, Problem: fmt.Sprintf(format, a...)}
}

// Option adjusts one figure. Each function documents which options it
// honours; the others are ignored.
type Option func(*config)

type config struct {
	title         string
	titleSet      bool
	width, height vg.Length
	sizeSet       bool
	cols          int
	sharedY       bool
	logColor      bool
	colorLabel    string
	colorLabelSet bool
	lo, hi        float64
	rangeSet      bool
}

// WithTitle replaces the figure's title (or gives one to a function whose
// arguments have none, like TerrainSplit or DAG).
func WithTitle(title string) Option {
	return func(c *config) { c.title, c.titleSet = title, true }
}

// WithSize sets the size of the whole figure in centimetres; both must be
// positive.
func WithSize(widthCm, heightCm float64) Option {
	return func(c *config) {
		c.width, c.height, c.sizeSet = vg.Length(widthCm)*vg.Centimeter, vg.Length(heightCm)*vg.Centimeter, true
	}
}

// WithColumns sets how many panels a multi-panel figure puts in one row.
func WithColumns(n int) Option {
	return func(c *config) { c.cols = n }
}

// WithSharedY gives every panel of a multi-panel figure the same y range.
func WithSharedY() Option {
	return func(c *config) { c.sharedY = true }
}

// WithLogColor maps values to colours on a log10 scale (all mapped values
// must then be positive).
func WithLogColor() Option {
	return func(c *config) { c.logColor = true }
}

// WithColorRange fixes the values at the two ends of a figure's colour
// scale, so that figures drawn apart (two heat maps to compare) share one;
// values outside take the end colours.
func WithColorRange(lo, hi float64) Option {
	return func(c *config) { c.lo, c.hi, c.rangeSet = lo, hi, true }
}

// WithColorLabel sets the label of a figure's colour bar (the quantity and
// its unit, e.g. "validation MSE").
func WithColorLabel(label string) Option {
	return func(c *config) { c.colorLabel, c.colorLabelSet = label, true }
}

func newConfig(fn string, opts []Option) (config, error) {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.sizeSet && !(c.width > 0 && c.height > 0 && c.width < 1000*vg.Centimeter && c.height < 1000*vg.Centimeter) {
		return c, badArg(fn, "WithSize", "size must be positive and below 10 m, got %.3g cm x %.3g cm",
			c.width/vg.Centimeter, c.height/vg.Centimeter)
	}
	if c.cols < 0 {
		return c, badArg(fn, "WithColumns", "negative number of columns %d", c.cols)
	}
	return c, nil
}

// size returns the configured size or the given default.
func (c config) size(w, h vg.Length) (vg.Length, vg.Length) {
	if c.sizeSet {
		return c.width, c.height
	}
	return w, h
}

func (c config) titleOr(def string) string {
	if c.titleSet {
		return c.title
	}
	return def
}

func (c config) colorLabelOr(def string) string {
	if c.colorLabelSet {
		return c.colorLabel
	}
	return def
}

// Font sizes, in points.
const (
	sizeTitle      = 12
	sizePanelTitle = 10.5
	sizeLabel      = 10
	sizeTick       = 9
	sizeLegend     = 9
	// sizeMinText is the smallest text any figure draws: the report
	// never shows a figure below one pixel per SVG unit, so text stays
	// at least 9 px on screen.
	sizeMinText = 9
	margin      = 6 * vg.Millimeter / 2
)

func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    sans(size),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot with the package's fonts, a title (may be empty)
// and axis labels.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(sizePanelTitle)
	p.Title.Padding = 4
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(sizeLabel)
		a.Tick.Label.Font = sans(sizeTick)
		a.Label.Padding = 2
		a.Tick.Marker = linearTicks{}
	}
	p.Legend.TextStyle.Font = sans(sizeLegend)
	return p
}

// addGrid adds light grey grid lines to p, vertical ones too if vertical.
func addGrid(p *plot.Plot, vertical bool) {
	g := plotter.NewGrid()
	g.Horizontal.Color = rgb(0xdd, 0xdd, 0xdd)
	g.Horizontal.Width = 0.5
	g.Vertical.Color = rgb(0xdd, 0xdd, 0xdd)
	g.Vertical.Width = 0.5
	if !vertical {
		g.Vertical.Width = 0
		g.Vertical.Color = nil
	}
	p.Add(g)
}

// render draws a figure of size w x h with paint and returns the SVG bytes.
// A panic inside gonum/plot is returned as an error rather than propagated.
func render(fn string, w, h vg.Length, paint func(c draw.Canvas) error) (out []byte, err error) {
	return renderWith(fn, w, h, nil, paint)
}

// renderWith is render, then the hover shapes hov collected while painting
// written into the SVG.
func renderWith(fn string, w, h vg.Length, hov *hovers, paint func(c draw.Canvas) error) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("plots.%s: internal error while drawing: %v", fn, r)
		}
	}()
	cv := vgsvg.New(w, h)
	dc := draw.New(cv)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	if err := paint(dc); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := cv.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plots.%s: writing SVG: %w", fn, err)
	}
	out = buf.Bytes()
	// Fall back to metric-compatible fonts where Liberation is not installed.
	out = bytes.ReplaceAll(out,
		[]byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	// vgsvg embeds PNG data under the wrong media type; strict renderers
	// (librsvg) then drop the image.
	out = bytes.ReplaceAll(out, []byte("data:image/jpg;base64,"), []byte("data:image/png;base64,"))
	return hov.inject(out), nil
}

// frame draws the figure title and the legend strip at the top of c and
// returns what is left of c for the panels.
func frame(c draw.Canvas, title string, legend []legendItem) draw.Canvas {
	c = draw.Crop(c, margin, -margin, margin, -margin)
	if title != "" {
		sty := textStyle(sizeTitle)
		title, sty.Font.Size = fitText(sty, title, c.Max.X-c.Min.X, sizeMinText)
		sty.YAlign = draw.YTop
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, title)
		c.Max.Y -= sty.Height(title) + 5
	}
	if len(legend) > 0 {
		h := drawLegend(c, legend)
		c.Max.Y -= h + 5
	}
	return c
}

// fitSize returns the font size of sty, reduced (down to at least floor)
// so that txt fits in width.
func fitSize(sty text.Style, txt string, width, floor vg.Length) vg.Length {
	size := sty.Font.Size
	if w := sty.Width(txt); w > width && w > 0 {
		size = max(floor, size*width/w)
	}
	return size
}

// fitText fits a title (one line, no newline) into width: unchanged if it
// fits; else broken into two lines at the best place (after ": ", then
// after ", ", then before " (", then at a space: the break that makes the
// longer line shortest within the first kind that fits); and only if no
// break fits, reduced in size, never below floor. A title wider than width
// at floor overflows: a reader can still read it, which a smaller font
// would not give. It returns the text to draw and its font size.
func fitText(sty text.Style, txt string, width, floor vg.Length) (string, vg.Length) {
	size := sty.Font.Size
	if sty.Width(txt) <= width || width <= 0 {
		return txt, size
	}
	var best string
	bestW := vg.Length(math.Inf(1))
	for _, sep := range []struct {
		s    string
		keep int // bytes of s that end the first line; the space after them goes
	}{{": ", 1}, {", ", 1}, {" (", 0}, {" ", 0}} {
		found := false
		for i := 1; i+len(sep.s) < len(txt); i++ {
			if !strings.HasPrefix(txt[i:], sep.s) {
				continue
			}
			first, second := txt[:i+sep.keep], txt[i+sep.keep+1:]
			if w := max(sty.Width(first), sty.Width(second)); w < bestW {
				best, bestW = first+"\n"+second, w
				found = found || w <= width
			}
		}
		if found {
			return best, size
		}
	}
	if best == "" { // no place to break: shrink the one line
		return txt, fitSize(sty, txt, width, floor)
	}
	return best, max(floor, size*width/bestW)
}

// rgb returns an opaque colour.
func rgb(r, g, b uint8) color.NRGBA { return color.NRGBA{R: r, G: g, B: b, A: 255} }

// withAlpha returns c with opacity a in [0, 1].
func withAlpha(c color.Color, a float64) color.NRGBA {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = uint8(math.Round(a * 255))
	return n
}

// seriesColor returns the i-th colour of the Okabe-Ito palette, ordered for
// legibility on white (yellow last).
func seriesColor(i int) color.NRGBA {
	pal := [...]color.NRGBA{
		rgb(0x00, 0x72, 0xB2), // blue
		rgb(0xD5, 0x5E, 0x00), // vermillion
		rgb(0x00, 0x9E, 0x73), // bluish green
		rgb(0xCC, 0x79, 0xA7), // reddish purple
		rgb(0xE6, 0x9F, 0x00), // orange
		rgb(0x56, 0xB4, 0xE9), // sky blue
		rgb(0x00, 0x00, 0x00), // black
		rgb(0xB8, 0xA5, 0x00), // yellow, darkened to read on white
	}
	return pal[i%len(pal)]
}

// seriesDashes returns a dash pattern that, with the colour, tells series
// apart also in grey print: solid for the first eight, then dashed.
func seriesDashes(i int) []vg.Length {
	if i/8%2 == 1 {
		return []vg.Length{4, 2}
	}
	return nil
}

// luminance returns the relative luminance of c in [0, 1].
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrastText returns black or white, whichever reads better on bg.
func contrastText(bg color.Color) color.Color {
	if luminance(bg) > 0.22 {
		return color.Black
	}
	return color.White
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// rectangular pads the rows of plots with nil entries to the longest row.
func rectangular(plots [][]*plot.Plot) (full [][]*plot.Plot, rows, cols int) {
	rows = len(plots)
	for _, r := range plots {
		cols = max(cols, len(r))
	}
	full = make([][]*plot.Plot, rows)
	for i, r := range plots {
		full[i] = make([]*plot.Plot, cols)
		copy(full[i], r)
	}
	return full, rows, cols
}

// gridPlots lays out plots (row-major, nil entries allowed) in c with
// aligned data areas and draws them. It returns the canvas of each plot.
func gridPlots(c draw.Canvas, plots [][]*plot.Plot, padX, padY vg.Length) [][]draw.Canvas {
	full, _, _ := rectangular(plots)
	cs := alignTitled(c, full, padX, padY)
	for i := range full {
		for j, p := range full[i] {
			if p == nil {
				continue
			}
			// The title is drawn above the aligned data area, so that
			// titles of one row stay in line even when gonum/plot shrinks
			// one panel's data area (for a long y label, say).
			title := p.Title
			if title.Text != "" {
				// The same space (as many lines), drawn below.
				p.Title.Text = strings.Repeat(" \n", strings.Count(title.Text, "\n")) + " "
			}
			p.Draw(cs[i][j])
			p.Title = title
			if title.Text != "" {
				d := p.DataCanvas(cs[i][j])
				sty := title.TextStyle
				sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
				cs[i][j].FillText(sty, vg.Point{X: (d.Min.X + d.Max.X) / 2, Y: d.Max.Y + title.Padding}, title.Text)
			}
		}
	}
	return cs
}

// alignTitled aligns the plots of the rectangular grid full in c (as
// plot.Align) after fitting each panel title to the room it has: the width
// of its tile (with half the padding on each side that is not the canvas
// edge), centred on its data area. A title too wide is broken into two
// lines, then shrunk, never below sizeMinText (see fitText).
func alignTitled(c draw.Canvas, full [][]*plot.Plot, padX, padY vg.Length) [][]draw.Canvas {
	rows := len(full)
	cols := 0
	if rows > 0 {
		cols = len(full[0])
	}
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: padX, PadY: padY}
	cs := plot.Align(full, t, c)
	changed := false
	for i := range full {
		for j, p := range full[i] {
			if p == nil || p.Title.Text == "" || strings.Contains(p.Title.Text, "\n") {
				continue
			}
			tile := t.At(c, j, i)
			lo, hi := tile.Min.X, tile.Max.X
			if j > 0 {
				lo -= padX / 2
			}
			if j < cols-1 {
				hi += padX / 2
			}
			d := p.DataCanvas(cs[i][j])
			mid := (d.Min.X + d.Max.X) / 2
			room := 2 * min(mid-lo, hi-mid)
			txt, size := fitText(p.Title.TextStyle, p.Title.Text, room, sizeMinText)
			if txt != p.Title.Text || size != p.Title.TextStyle.Font.Size {
				p.Title.Text, p.Title.TextStyle.Font.Size = txt, size
				changed = true
			}
		}
	}
	if changed {
		cs = plot.Align(full, t, c) // two-line titles take more height
	}
	return cs
}

// gridShape returns rows and columns for n panels: cols if positive, else
// n up to three, else about square.
func gridShape(n, cols int) (int, int) {
	if cols <= 0 {
		switch {
		case n <= 3:
			cols = n
		case n == 4:
			cols = 2
		default:
			cols = int(math.Ceil(math.Sqrt(float64(n))))
		}
	}
	cols = min(cols, n)
	return (n + cols - 1) / cols, cols
}

// fitAspect shrinks c (keeping it centred) so that the data area of p has
// width/height equal to aspect.
func fitAspect(p *plot.Plot, c draw.Canvas, aspect float64) draw.Canvas {
	d := p.DataCanvas(c)
	w, h := d.Max.X-d.Min.X, d.Max.Y-d.Min.Y
	if w <= 0 || h <= 0 {
		return c
	}
	if float64(w/h) > aspect {
		excess := w - h*vg.Length(aspect)
		return draw.Crop(c, excess/2, -excess/2, 0, 0)
	}
	excess := h - w/vg.Length(aspect)
	return draw.Crop(c, 0, 0, excess/2, -excess/2)
}

// categoryTicks returns ticks labelled labels at 0, 1, 2, ...
func categoryTicks(labels []string) plot.ConstantTicks {
	t := make(plot.ConstantTicks, len(labels))
	for i, l := range labels {
		t[i] = plot.Tick{Value: float64(i), Label: l}
	}
	return t
}

// linearTicks labels about five round values (steps of 1, 2, 2.5 or 5
// times a power of ten) with unlabelled minor ticks between them.
type linearTicks struct{}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return nil
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step, minor := 10*mag, 2*mag
	for _, m := range []struct{ step, minor float64 }{{1, 0.2}, {2, 0.5}, {2.5, 0.5}, {5, 1}} {
		if m.step*mag >= raw*0.999 {
			step, minor = m.step*mag, m.minor*mag
			break
		}
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/minor - 1e-9)
	for k := first; k*minor <= hi+minor*1e-9; k++ {
		v := k * minor
		if math.Abs(v) < minor*1e-9 {
			v = 0
		}
		t := plot.Tick{Value: v}
		if r := v / step; math.Abs(r-math.Round(r)) < 1e-6 {
			t.Label = formatNumber(v)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// indexTicks are linearTicks restricted to whole numbers, for axes of grid
// indices.
type indexTicks struct{}

func (indexTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (linearTicks{}).Ticks(lo, hi) {
		if math.Abs(t.Value-math.Round(t.Value)) < 1e-9 {
			out = append(out, t)
		}
	}
	return out
}

// logTicks labels decades; when the range holds fewer than two, it labels
// 1, 2 and 5 times powers of ten, and failing that every tick. Unlabelled
// minor ticks mark the other integer multiples.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || !finite(hi) {
		return nil
	}
	first := math.Floor(math.Log10(lo))
	last := math.Ceil(math.Log10(hi))
	var ticks []plot.Tick
	var mult []int
	for e := first; e <= last; e++ {
		for m := 1; m < 10; m++ {
			v := float64(m) * math.Pow(10, e)
			if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				ticks = append(ticks, plot.Tick{Value: v})
				mult = append(mult, m)
			}
		}
	}
	if len(ticks) < 2 {
		// Less than a decade with fewer than two integer multiples of a
		// power of ten: round values on a linear step, all labelled.
		var out []plot.Tick
		for _, t := range (linearTicks{}).Ticks(lo, hi) {
			if t.Label != "" && t.Value > 0 {
				out = append(out, t)
			}
		}
		if len(out) >= 2 {
			return out
		}
	}
	for _, level := range [][]int{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		n := 0
		for _, m := range mult {
			if slices.Contains(level, m) {
				n++
			}
		}
		if n >= 2 || len(level) == 9 {
			for i, m := range mult {
				if slices.Contains(level, m) {
					ticks[i].Label = formatNumber(ticks[i].Value)
				}
			}
			break
		}
	}
	return ticks
}

// formatNumber formats a tick value compactly.
func formatNumber(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	if a >= 1e-4 && a < 1e6 {
		return trimFloat(strconv.FormatFloat(v, 'f', 6, 64))
	}
	return trimFloat(strconv.FormatFloat(v, 'e', 2, 64))
}

func trimFloat(s string) string {
	exp := ""
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		s, exp = s[:i], s[i:]
	}
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s + exp
}
