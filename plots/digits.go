package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// DigitSamples draws F4: small square images (for the digits data 8 x 8
// pixels of 0..16, flattened row by row, row 0 at the top), each titled
// "digit <label>", in rows of five, dark ink on white, with a colour bar of
// the pixel intensity. Pixels are drawn as vector squares, so they stay
// sharp at any zoom.
//
// Options: WithTitle (default "One sample image per digit class"),
// WithColumns (default 5), WithSize.
func DigitSamples(images [][]float64, labels []int, opts ...Option) ([]byte, error) {
	const fn = "DigitSamples"
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	if len(images) == 0 {
		return nil, badArg(fn, "images", "empty")
	}
	if len(labels) != len(images) {
		return nil, badArg(fn, "labels", "length %d, want len(images) = %d", len(labels), len(images))
	}
	npix := len(images[0])
	side := int(math.Round(math.Sqrt(float64(npix))))
	if npix == 0 || side*side != npix {
		return nil, badArg(fn, "images[0]", "%d pixels is not a square image", npix)
	}
	var all []float64
	for i, img := range images {
		if len(img) != npix {
			return nil, badArg(fn, fmt.Sprintf("images[%d]", i), "%d pixels, want %d like images[0]", len(img), npix)
		}
		for j, v := range img {
			if !finite(v) {
				return nil, badArg(fn, fmt.Sprintf("images[%d]", i), "pixel %d is %g", j, v)
			}
		}
		all = append(all, img...)
	}
	lo, hi := 0.0, math.Inf(-1)
	for _, v := range all {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi <= lo {
		hi = lo + 1 // blank images
	}
	cmap := inkOnPaper(lo, hi)
	cols := cfg.cols
	if cols == 0 {
		cols = 5
	}
	nr, nc := gridShape(len(images), cols)
	grid := make([][]*plot.Plot, nr)
	for r := range grid {
		grid[r] = make([]*plot.Plot, nc)
	}
	for i, img := range images {
		m := make([][]float64, side)
		for r := range side {
			m[r] = img[r*side : (r+1)*side]
		}
		p := newPlot(fmt.Sprintf("digit %d", labels[i]), "", "")
		p.HideAxes()
		p.X.Padding, p.Y.Padding = 0, 0
		p.Add(pixels{m: m, cmap: cmap}, border{})
		grid[i/nc][i%nc] = p
	}
	label := "pixel intensity"
	ticks := colorScale{}.ticks(lo, hi)
	barW := colorBarWidth(ticks, label)
	w, h := cfg.size(16*vg.Centimeter, vg.Length(nr)*3.6*vg.Centimeter+1.6*vg.Centimeter)
	return render(fn, w, h, func(c draw.Canvas) error {
		c = frame(c, cfg.titleOr("One sample image per digit class"), nil)
		pc := alignAspect(draw.Crop(c, 0, -barW, 0, 0), grid, 1, 10, 8)
		cs := gridPlots(pc, grid, 10, 8)
		top := grid[0][0].DataCanvas(cs[0][0]).Max.Y
		bottom := grid[nr-1][0].DataCanvas(cs[nr-1][0]).Min.Y
		strip := c
		strip.Min.X = pc.Max.X
		drawColorBar(strip, cmap, ticks, label, bottom, top)
		return nil
	})
}

// pixels draws a [row][col] matrix (row 0 at the top) as squares covering
// [-0.5, cols-0.5] x [-0.5, rows-0.5]. Squares overlap by a hair so that
// anti-aliasing leaves no seams between dark pixels.
type pixels struct {
	m    [][]float64
	cmap *stopMap
}

func (px pixels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	rows := len(px.m)
	for r, row := range px.m {
		for k, v := range row {
			y := float64(rows - 1 - r)
			x0, x1 := trX(float64(k)-0.5), trX(float64(k)+0.5)
			y0, y1 := trY(y-0.5), trY(y+0.5)
			const hair = 0.25
			rect := vg.Rectangle{
				Min: vg.Point{X: x0, Y: y0},
				Max: vg.Point{X: min(x1+hair, trX(float64(len(row))-0.5)), Y: min(y1+hair, trY(float64(rows)-0.5))},
			}
			c.SetColor(px.cmap.at(v))
			c.Fill(rect.Path())
		}
	}
}

func (px pixels) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(px.m[0])) - 0.5, -0.5, float64(len(px.m)) - 0.5
}

// border outlines the data area of a plot in grey.
type border struct{}

func (border) Plot(c draw.Canvas, _ *plot.Plot) {
	c.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 0x88}, Width: 0.6})
	c.Stroke(c.Rectangle.Path())
}
