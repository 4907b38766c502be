package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/repro-dev/repro/numfmt"
)

// Roles of the points of TerrainSplit.
const (
	RoleTest       uint8 = 0
	RoleTrain      uint8 = 1
	RoleValidation uint8 = 2
)

// Sides, in pixels, of the image a map is drawn as: grids larger than
// maxRasterSide are block-averaged down to it (the SVG stays small and the
// figure looks the same at print size); grids smaller than minRasterSide
// are enlarged by repeating pixels, so that a renderer's smoothing blurs
// only the cell borders, not whole cells.
const (
	maxRasterSide = 256
	minRasterSide = 200
)

// TerrainSplit draws F3: the elevation grid z (row-major, rows x cols, row 0
// at the top, i.e. north up) as a grey map with a colour bar, and the
// training and validation points on top as markers of two colours. role[i]
// is RoleTest, RoleTrain or RoleValidation for the point z[i]; the test set
// is everything else, shown as the map itself. Non-finite z are left white.
//
// Options: WithTitle (default "Terrain data: training, validation and test
// points"), WithColorLabel (default "elevation"), WithSize (default 16 cm x
// 12 cm).
func TerrainSplit(rows, cols int, z []float64, role []uint8, opts ...Option) ([]byte, error) {
	const fn = "TerrainSplit"
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	if err := checkGrid(fn, rows, cols); err != nil {
		return nil, err
	}
	if len(z) != rows*cols {
		return nil, badArg(fn, "z", "length %d, want rows*cols = %d", len(z), rows*cols)
	}
	if len(role) != rows*cols {
		return nil, badArg(fn, "role", "length %d, want rows*cols = %d", len(role), rows*cols)
	}
	var train, val plotter.XYs
	nTest := 0
	for i, r := range role {
		pt := plotter.XY{X: float64(i % cols), Y: float64(i / cols)}
		switch r {
		case RoleTest:
			nTest++
		case RoleTrain:
			train = append(train, pt)
		case RoleValidation:
			val = append(val, pt)
		default:
			return nil, badArg(fn, fmt.Sprintf("role[%d]", i), "value %d, want 0 (test), 1 (train) or 2 (validation)", r)
		}
	}
	lo, hi, ok := valueRange(z)
	if !ok {
		return nil, badArg(fn, "z", "no finite value")
	}
	cmap := greys(lo, hi)
	p := mapPlot("", "x (grid column)", "y (grid row)", rows, cols, z, cmap)
	trainSty := draw.GlyphStyle{Color: seriesColor(1), Radius: 2, Shape: draw.CircleGlyph{}}
	valSty := draw.GlyphStyle{Color: seriesColor(0), Radius: 2.4, Shape: draw.PyramidGlyph{}}
	for _, s := range []struct {
		xy  plotter.XYs
		sty draw.GlyphStyle
	}{{train, trainSty}, {val, valSty}} {
		if len(s.xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.xy)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = s.sty
		p.Add(outlinedGlyphs{Scatter: sc, perRow: math.Sqrt(float64(len(s.xy)) * float64(cols) / float64(rows))})
	}
	legend := []legendItem{
		{label: fmt.Sprintf("training (%s points)", numfmt.Thousands(len(train))), thumbs: []plot.Thumbnailer{glyphThumb(haloGlyph(trainSty)), glyphThumb(trainSty)}},
		{label: fmt.Sprintf("validation (%s points)", numfmt.Thousands(len(val))), thumbs: []plot.Thumbnailer{glyphThumb(haloGlyph(valSty)), glyphThumb(valSty)}},
		{label: fmt.Sprintf("test (%s points: the rest of the map)", numfmt.Thousands(nTest)), thumbs: []plot.Thumbnailer{fillThumb{fill: cmap.at((lo + hi) / 2), outline: draw.LineStyle{Color: color.Black, Width: 0.5}}}},
	}
	label := cfg.colorLabelOr("elevation")
	ticks := colorScale{}.ticks(lo, hi)
	barW := colorBarWidth(ticks, label)
	w, h := cfg.size(16*vg.Centimeter, 12*vg.Centimeter)
	return render(fn, w, h, func(c draw.Canvas) error {
		c = frame(c, cfg.titleOr("Terrain data: training, validation and test points"), legend)
		pc := alignAspect(draw.Crop(c, 0, -barW, 0, 0), [][]*plot.Plot{{p}}, float64(cols)/float64(rows), 0, 0)
		cs := gridPlots(pc, [][]*plot.Plot{{p}}, 0, 0)
		d := p.DataCanvas(cs[0][0])
		strip := c
		strip.Min.X = pc.Max.X
		drawColorBar(strip, cmap, ticks, label, d.Min.Y, d.Max.Y)
		return nil
	})
}

// MapPanel is one map of TerrainMaps: Z is row-major rows x cols, row 0 at
// the top; NaN marks a point outside the test set (drawn white).
type MapPanel struct {
	Title string
	Z     []float64
}

// TerrainMaps draws F11: the true terrain and each model's prediction on the
// test set side by side, with ONE colour scale (viridis) shared by all maps
// and one colour bar.
//
// Options: WithTitle (default "Terrain on the test set: truth and
// predictions"), WithColorLabel (default "elevation"; say what the values
// are, e.g. "height, scaled to [0, 1]"), WithColumns (default: up to four
// maps in a row), WithSize (default: 16 cm wide, or 5.5 cm a map and the
// colour bar if wider; the maps share the width, the height follows).
func TerrainMaps(rows, cols int, panels []MapPanel, opts ...Option) ([]byte, error) {
	const fn = "TerrainMaps"
	cfg, err := newConfig(fn, opts)
	if err != nil {
		return nil, err
	}
	if err := checkGrid(fn, rows, cols); err != nil {
		return nil, err
	}
	if len(panels) == 0 {
		return nil, badArg(fn, "panels", "empty")
	}
	var all []float64
	for i, p := range panels {
		if len(p.Z) != rows*cols {
			return nil, badArg(fn, fmt.Sprintf("panels[%d].Z", i), "length %d, want rows*cols = %d", len(p.Z), rows*cols)
		}
		all = append(all, p.Z...)
	}
	lo, hi, ok := valueRange(all)
	if !ok {
		return nil, badArg(fn, "panels", "no finite value in any Z")
	}
	cmap := viridis(lo, hi)
	ncols := cfg.cols
	if ncols == 0 && len(panels) <= 4 {
		ncols = len(panels)
	}
	nr, nc := gridShape(len(panels), ncols)
	grid := make([][]*plot.Plot, nr)
	for r := range grid {
		grid[r] = make([]*plot.Plot, nc)
	}
	for i, pn := range panels {
		r, c := i/nc, i%nc
		xl, yl := "", ""
		if r == nr-1 || i+nc >= len(panels) {
			xl = "x (grid column)"
		}
		if c == 0 {
			yl = "y (grid row)"
		}
		grid[r][c] = mapPlot(pn.Title, xl, yl, rows, cols, pn.Z, cmap)
		if c > 0 {
			// The maps share their rows: the first column labels them,
			// and the width goes to the maps.
			grid[r][c].Y.Tick.Marker = unlabelled{indexTicks{}}
		}
	}
	label := cfg.colorLabelOr("elevation")
	ticks := colorScale{}.ticks(lo, hi)
	barW := colorBarWidth(ticks, label)
	aspect := float64(cols) / float64(rows)
	// Each map takes its share of the width (at least 5.5 cm), and the
	// height follows from the maps' aspect: few columns give large maps.
	w := max(16*vg.Centimeter, vg.Length(nc)*5.5*vg.Centimeter+barW+1.5*vg.Centimeter)
	pw := (w - barW - 1.5*vg.Centimeter) / vg.Length(nc)
	w, h := cfg.size(w, vg.Length(nr)*((pw-1.5*vg.Centimeter)/vg.Length(aspect)+2*vg.Centimeter)+1.5*vg.Centimeter)
	return render(fn, w, h, func(c draw.Canvas) error {
		c = frame(c, cfg.titleOr("Terrain on the test set: truth and predictions"), nil)
		pc := alignAspect(draw.Crop(c, 0, -barW, 0, 0), grid, aspect, 12, 10)
		cs := gridPlots(pc, grid, 12, 10)
		top := grid[0][0].DataCanvas(cs[0][0]).Max.Y
		bottom := grid[nr-1][0].DataCanvas(cs[nr-1][0]).Min.Y
		strip := c
		strip.Min.X = pc.Max.X
		drawColorBar(strip, cmap, ticks, label, bottom, top)
		return nil
	})
}

func checkGrid(fn string, rows, cols int) error {
	if rows <= 0 {
		return badArg(fn, "rows", "%d, want > 0", rows)
	}
	if cols <= 0 {
		return badArg(fn, "cols", "%d, want > 0", cols)
	}
	return nil
}

// mapPlot returns a plot of the grid z (row 0 at the top) drawn as an image.
func mapPlot(title, xlabel, ylabel string, rows, cols int, z []float64, cmap *stopMap) *plot.Plot {
	p := newPlot(title, xlabel, ylabel)
	p.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker, p.Y.Tick.Marker = indexTicks{}, indexTicks{}
	p.Add(newRaster(rows, cols, z, cmap))
	return p
}

// unlabelled is a tick marker's ticks without their labels.
type unlabelled struct{ plot.Ticker }

func (u unlabelled) Ticks(lo, hi float64) []plot.Tick {
	ts := u.Ticker.Ticks(lo, hi)
	for i := range ts {
		ts[i].Label = ""
	}
	return ts
}

// raster draws a grid as an image covering cells [-0.5, cols-0.5] x
// [-0.5, rows-0.5] in data coordinates; it works with inverted axes.
type raster struct {
	img        *image.NRGBA
	rows, cols int
}

func newRaster(rows, cols int, z []float64, cmap *stopMap) raster {
	side := max(rows, cols)
	f := max(1, int(math.Ceil(float64(side)/maxRasterSide)))
	up := max(1, minRasterSide/side)
	if f > 1 {
		up = 1
	}
	ir, ic := (rows+f-1)/f, (cols+f-1)/f
	img := image.NewNRGBA(image.Rect(0, 0, ic*up, ir*up))
	for r := range ir {
		for c := range ic {
			sum, n := 0.0, 0
			for i := r * f; i < min(rows, (r+1)*f); i++ {
				for j := c * f; j < min(cols, (c+1)*f); j++ {
					if v := z[i*cols+j]; finite(v) {
						sum += v
						n++
					}
				}
			}
			if n == 0 {
				continue
			}
			col := cmap.at(sum / float64(n))
			for y := r * up; y < (r+1)*up; y++ {
				for x := c * up; x < (c+1)*up; x++ {
					img.SetNRGBA(x, y, col)
				}
			}
		}
	}
	return raster{img: img, rows: rows, cols: cols}
}

func (r raster) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x0, x1 := trX(-0.5), trX(float64(r.cols)-0.5)
	y0, y1 := trY(-0.5), trY(float64(r.rows)-0.5)
	c.DrawImage(vg.Rectangle{
		Min: vg.Point{X: min(x0, x1), Y: min(y0, y1)},
		Max: vg.Point{X: max(x0, x1), Y: max(y0, y1)},
	}, r.img)
}

func (r raster) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(r.cols) - 0.5, -0.5, float64(r.rows) - 0.5
}

// haloGlyph is a slightly larger white glyph drawn under a marker so that
// it stands out on any background.
func haloGlyph(s draw.GlyphStyle) draw.GlyphStyle {
	return draw.GlyphStyle{Color: color.White, Radius: s.Radius + 0.8, Shape: s.Shape}
}

// outlinedGlyphs draws a scatter's markers over white halos, shrunk when
// the points are dense (perRow: about how many points share a row).
type outlinedGlyphs struct {
	*plotter.Scatter
	perRow float64
}

func (o outlinedGlyphs) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := o.GlyphStyle
	if o.perRow > 0 {
		spacing := (c.Max.X - c.Min.X) / vg.Length(o.perRow)
		sty.Radius = max(1, min(sty.Radius, spacing*0.15))
	}
	halo := haloGlyph(sty)
	for _, xy := range o.XYs {
		c.DrawGlyph(halo, vg.Point{X: trX(xy.X), Y: trY(xy.Y)})
	}
	for _, xy := range o.XYs {
		c.DrawGlyph(sty, vg.Point{X: trX(xy.X), Y: trY(xy.Y)})
	}
}

// alignAspect shrinks c, keeping it centred, so that the data areas of the
// aligned plots get width/height = aspect.
func alignAspect(c draw.Canvas, plots [][]*plot.Plot, aspect float64, padX, padY vg.Length) draw.Canvas {
	full, rows, cols := rectangular(plots)
	cs := alignTitled(c, full, padX, padY)
	d := full[0][0].DataCanvas(cs[0][0])
	w, h := d.Max.X-d.Min.X, d.Max.Y-d.Min.Y
	if w <= 0 || h <= 0 {
		return c
	}
	if float64(w/h) > aspect {
		excess := (w - h*vg.Length(aspect)) * vg.Length(cols)
		return draw.Crop(c, excess/2, -excess/2, 0, 0)
	}
	excess := (h - w/vg.Length(aspect)) * vg.Length(rows)
	return draw.Crop(c, 0, 0, excess/2, -excess/2)
}
