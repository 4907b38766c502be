package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// stopMap is a palette.ColorMap interpolating linearly (in sRGB) between
// evenly spaced colour stops.
type stopMap struct {
	stops    []color.NRGBA
	min, max float64
	alpha    float64
}

var _ palette.ColorMap = (*stopMap)(nil)

func newStopMap(min, max float64, stops ...color.NRGBA) *stopMap {
	return &stopMap{stops: stops, min: min, max: max, alpha: 1}
}

// viridis returns the viridis colour map (perceptually uniform, colour-blind
// safe) on [min, max].
func viridis(min, max float64) *stopMap {
	return newStopMap(min, max,
		rgb(0x44, 0x01, 0x54), rgb(0x47, 0x2c, 0x7a), rgb(0x3b, 0x51, 0x8b),
		rgb(0x2c, 0x71, 0x8e), rgb(0x21, 0x90, 0x8d), rgb(0x27, 0xad, 0x81),
		rgb(0x5c, 0xc8, 0x63), rgb(0xaa, 0xdc, 0x32), rgb(0xfd, 0xe7, 0x25))
}

// greys returns a grey ramp from dark (min) to light (max) that leaves room
// for coloured markers on top.
func greys(min, max float64) *stopMap {
	return newStopMap(min, max, rgb(0x40, 0x40, 0x40), rgb(0xf4, 0xf4, 0xf4))
}

// inkOnPaper returns white (min) to black (max), as digits are printed.
func inkOnPaper(min, max float64) *stopMap {
	return newStopMap(min, max, rgb(0xff, 0xff, 0xff), rgb(0, 0, 0))
}

// blues returns a sequential white-to-dark-blue map.
func blues(min, max float64) *stopMap {
	return newStopMap(min, max,
		rgb(0xf7, 0xfb, 0xff), rgb(0xc6, 0xdb, 0xef), rgb(0x6b, 0xae, 0xd6),
		rgb(0x21, 0x71, 0xb5), rgb(0x08, 0x30, 0x6b))
}

// at returns the colour of v, clamped to the range; it never fails.
func (m *stopMap) at(v float64) color.NRGBA {
	t := 0.0
	if m.max > m.min {
		t = (v - m.min) / (m.max - m.min)
	}
	t = math.Max(0, math.Min(1, t))
	if math.IsNaN(t) {
		t = 0
	}
	f := t * float64(len(m.stops)-1)
	i := int(math.Floor(f))
	if i >= len(m.stops)-1 {
		i = len(m.stops) - 2
	}
	if i < 0 {
		i = 0
	}
	var c color.NRGBA
	if len(m.stops) == 1 {
		c = m.stops[0]
	} else {
		a, b := m.stops[i], m.stops[i+1]
		u := f - float64(i)
		mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + u*(float64(y)-float64(x)))) }
		c = color.NRGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
	}
	c.A = uint8(math.Round(m.alpha * 255))
	return c
}

func (m *stopMap) At(v float64) (color.Color, error) {
	if !(v >= m.min && v <= m.max) {
		return nil, fmt.Errorf("plots: value %g outside colour map range [%g, %g]", v, m.min, m.max)
	}
	return m.at(v), nil
}

func (m *stopMap) Max() float64       { return m.max }
func (m *stopMap) SetMax(v float64)   { m.max = v }
func (m *stopMap) Min() float64       { return m.min }
func (m *stopMap) SetMin(v float64)   { m.min = v }
func (m *stopMap) Alpha() float64     { return m.alpha }
func (m *stopMap) SetAlpha(a float64) { m.alpha = a }
func (m *stopMap) Palette(n int) palette.Palette {
	cs := make(colorList, n)
	for i := range cs {
		v := m.min
		if n > 1 {
			v = m.min + (m.max-m.min)*float64(i)/float64(n-1)
		}
		cs[i] = m.at(v)
	}
	return cs
}

type colorList []color.Color

func (c colorList) Colors() []color.Color { return c }

// valueRange returns the range of the finite values of vs; ok is false when
// there is none. A zero-width range is widened so that colour maps work.
func valueRange(vs []float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if finite(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi {
		return 0, 1, false
	}
	if lo == hi {
		d := math.Max(math.Abs(lo)*0.01, 1e-12)
		lo, hi = lo-d, hi+d
	}
	return lo, hi, true
}

// colorScale maps data values to colour-map coordinates: identity, or log10
// when log is set.
type colorScale struct {
	log bool
}

func (s colorScale) f(v float64) float64 {
	if s.log {
		if v <= 0 {
			return math.NaN()
		}
		return math.Log10(v)
	}
	return v
}

// colorBarTicks returns the ticks of a colour bar over [lo, hi] (colour-map
// coordinates).
func (s colorScale) ticks(lo, hi float64) []plot.Tick {
	if !s.log {
		var ts []plot.Tick
		for _, t := range (linearTicks{}).Ticks(lo, hi) {
			if t.Value >= lo-1e-12*math.Abs(hi-lo) && t.Value <= hi+1e-12*math.Abs(hi-lo) {
				ts = append(ts, t)
			}
		}
		return ts
	}
	var ts []plot.Tick
	for _, t := range (logTicks{}).Ticks(math.Pow(10, lo), math.Pow(10, hi)) {
		ts = append(ts, plot.Tick{Value: math.Log10(t.Value), Label: t.Label})
	}
	return ts
}

const (
	colorBarW   = 11
	colorBarGap = 8 // between the panels and the bar
)

// colorBarWidth returns the width needed by drawColorBar.
func colorBarWidth(ticks []plot.Tick, label string) vg.Length {
	sty := textStyle(sizeTick)
	var tw vg.Length
	for _, t := range ticks {
		tw = max(tw, sty.Width(t.Label))
	}
	w := colorBarGap + colorBarW + 3 + 2 + tw
	if label != "" {
		w += 4 + textStyle(sizeLabel).Height(label)
	}
	return w
}

// drawColorBar draws a vertical colour bar for cmap in the strip c: the bar
// spans [bottom, top], ticks and labels on its right, the rotated label on
// the far right.
func drawColorBar(c draw.Canvas, cmap palette.ColorMap, ticks []plot.Tick, label string, bottom, top vg.Length) {
	x0 := c.Min.X + colorBarGap
	bar := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: x0, Y: bottom},
		Max: vg.Point{X: x0 + colorBarW, Y: top},
	}}
	// Vector steps rather than an embedded image: renderers smooth a
	// one-pixel-wide image into stripes.
	const steps = 128
	lo, hi := cmap.Min(), cmap.Max()
	stepH := (top - bottom) / steps
	for i := range steps {
		col, err := cmap.At(lo + (hi-lo)*(float64(i)+0.5)/steps)
		if err != nil {
			col = color.Transparent
		}
		y0 := bottom + stepH*vg.Length(i)
		y1 := min(y0+stepH+0.3, top) // overlap hides seams
		bar.SetColor(col)
		bar.Fill(vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x0 + colorBarW, Y: y1}}.Path())
	}
	outline := draw.LineStyle{Color: color.Black, Width: 0.5}
	bar.SetLineStyle(outline)
	bar.Stroke(bar.Rectangle.Path())

	sty := textStyle(sizeTick)
	sty.XAlign = draw.XLeft
	x1 := x0 + colorBarW
	var tw vg.Length
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		y := bottom + (top-bottom)*vg.Length((t.Value-lo)/(hi-lo))
		c.StrokeLine2(outline, x1, y, x1+3, y)
		c.FillText(sty, vg.Point{X: x1 + 5, Y: y}, t.Label)
		tw = max(tw, sty.Width(t.Label))
	}
	if label != "" {
		ls := textStyle(sizeLabel)
		ls.Rotation = -math.Pi / 2
		ls.YAlign = draw.YBottom
		c.FillText(ls, vg.Point{X: x1 + 5 + tw + 4, Y: (bottom + top) / 2}, label)
	}
}
