package plots

import (
	"bytes"
	"fmt"
	"html"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Hover values: invisible shapes with an SVG <title>, which browsers show as
// a tooltip when the pointer rests on them (no script needed). They are
// collected while a figure is drawn, in canvas coordinates, and written
// into the SVG's main group (which flips y, so canvas coordinates apply).

type hoverShape struct {
	rect  bool
	r     vg.Rectangle // rect
	c     vg.Point     // circle centre
	title string
}

type hovers struct{ shapes []hoverShape }

func (h *hovers) addRect(r vg.Rectangle, title string) {
	if h != nil {
		h.shapes = append(h.shapes, hoverShape{rect: true, r: r, title: title})
	}
}

func (h *hovers) addPoint(p vg.Point, title string) {
	if h != nil {
		h.shapes = append(h.shapes, hoverShape{c: p, title: title})
	}
}

// svg is the hover shapes as SVG elements.
func (h *hovers) svg() string {
	if h == nil || len(h.shapes) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<g class="hover" style="fill:#000;fill-opacity:0;stroke:none">` + "\n")
	for _, s := range h.shapes {
		t := html.EscapeString(s.title)
		if s.rect {
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s</title></rect>`+"\n",
				s.r.Min.X.Points(), s.r.Min.Y.Points(), (s.r.Max.X - s.r.Min.X).Points(), (s.r.Max.Y - s.r.Min.Y).Points(), t)
		} else {
			fmt.Fprintf(&b, `<circle cx="%.2f" cy="%.2f" r="4"><title>%s</title></circle>`+"\n", s.c.X.Points(), s.c.Y.Points(), t)
		}
	}
	b.WriteString("</g>\n")
	return b.String()
}

// inject writes the hover shapes into svg, inside its last group.
func (h *hovers) inject(svg []byte) []byte {
	s := h.svg()
	if s == "" {
		return svg
	}
	i := bytes.LastIndex(svg, []byte("</g>"))
	if i < 0 {
		return svg
	}
	out := make([]byte, 0, len(svg)+len(s))
	out = append(out, svg[:i]...)
	out = append(out, s...)
	return append(out, svg[i:]...)
}

// hoverPoints is a plotter that draws nothing and records, at draw time, a
// hover point for at most max points of each series of a panel.
type hoverPoints struct {
	h      *hovers
	series []Series
	logY   bool
	floor  float64
	max    int
}

func (hp hoverPoints) Plot(c draw.Canvas, p *plot.Plot) {
	if hp.h == nil {
		return
	}
	trX, trY := p.Transforms(&c)
	for _, s := range hp.series {
		n := len(s.X)
		step := max(1, (n+hp.max-1)/hp.max)
		for i := 0; i < n; i += step {
			j := i
			if i+step >= n {
				j = n - 1 // always the last point
			}
			v := s.Mean[j]
			if !finite(v) {
				continue
			}
			y := v
			if hp.logY && y <= 0 {
				y = hp.floor
			}
			if y < p.Y.Min || y > p.Y.Max || s.X[j] < p.X.Min || s.X[j] > p.X.Max {
				continue
			}
			t := fmt.Sprintf("%s: x = %s, mean = %s", s.Name, formatNumber(s.X[j]), formatHover(v))
			if s.Lo != nil && finite(s.Lo[j]) && finite(s.Hi[j]) {
				t += fmt.Sprintf(" (band %s to %s)", formatHover(s.Lo[j]), formatHover(s.Hi[j]))
			}
			if s.N != nil && j < len(s.N) {
				t += fmt.Sprintf(", %d runs", s.N[j])
			}
			hp.h.addPoint(vg.Point{X: trX(s.X[j]), Y: trY(y)}, t)
			if j == n-1 {
				break
			}
		}
	}
}

// heatHover is the tooltip value of a heat-map cell.
func heatHover(p HeatPanel, y, x int) string {
	switch {
	case p.Untried != nil && p.Untried[y][x]:
		return "not trained"
	case p.Diverged != nil && p.Diverged[y][x]:
		return "diverged for every seed"
	case !finite(p.Mean[y][x]):
		return "n/a"
	}
	s := formatHover(p.Mean[y][x])
	if p.SD != nil && finite(p.SD[y][x]) {
		s += " ± " + formatHover(p.SD[y][x])
	}
	if p.Added != nil && p.Added[y][x] {
		s += " (added by the refinement)"
	}
	if p.Level != nil && p.Level[y][x] {
		s += "; level with the best cell by a paired test"
	}
	return s
}

func formatHover(v float64) string { return fmt.Sprintf("%.4g", v) }
