package plots

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendItem is one entry of a figure legend: a label and the marks drawn
// in its thumbnail, bottom first.
type legendItem struct {
	label  string
	thumbs []plot.Thumbnailer
}

const (
	legendThumbW = 18
	legendGap    = 4  // between thumbnail and text
	legendSep    = 14 // between entries
)

// legendLayout splits items into rows that fit in width and returns, for
// each row, the indices of its items and its total width.
func legendLayout(items []legendItem, width vg.Length) (rows [][]int, widths []vg.Length) {
	sty := textStyle(sizeLegend)
	var cur []int
	var curW vg.Length
	for i, it := range items {
		w := legendThumbW + legendGap + sty.Width(it.label)
		if len(cur) > 0 && curW+legendSep+w > width {
			rows, widths = append(rows, cur), append(widths, curW)
			cur, curW = nil, 0
		}
		if len(cur) > 0 {
			curW += legendSep
		}
		cur = append(cur, i)
		curW += w
	}
	if len(cur) > 0 {
		rows, widths = append(rows, cur), append(widths, curW)
	}
	return rows, widths
}

func legendRowHeight() vg.Length {
	return textStyle(sizeLegend).Height("Xg") * 1.35
}

// drawLegend draws items in centred rows at the top of c and returns the
// height used.
func drawLegend(c draw.Canvas, items []legendItem) vg.Length {
	sty := textStyle(sizeLegend)
	sty.XAlign = draw.XLeft
	rows, widths := legendLayout(items, c.Max.X-c.Min.X)
	rh := legendRowHeight()
	y := c.Max.Y
	for r, row := range rows {
		x := c.Center().X - widths[r]/2
		mid := y - rh/2
		for _, i := range row {
			it := items[i]
			th := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: mid - rh*0.32},
				Max: vg.Point{X: x + legendThumbW, Y: mid + rh*0.32},
			}}
			for _, t := range it.thumbs {
				t.Thumbnail(&th)
			}
			x += legendThumbW + legendGap
			c.FillText(sty, vg.Point{X: x, Y: mid}, it.label)
			x += sty.Width(it.label) + legendSep
		}
		y -= rh
	}
	return rh * vg.Length(len(rows))
}

// lineThumb draws a horizontal line across the thumbnail.
type lineThumb draw.LineStyle

func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle(t), c.Min.X, y, c.Max.X, y)
}

// fillThumb fills the thumbnail, with an optional outline.
type fillThumb struct {
	fill    color.Color
	outline draw.LineStyle
}

func (t fillThumb) Thumbnail(c *draw.Canvas) {
	if t.fill != nil {
		c.SetColor(t.fill)
		c.Fill(c.Rectangle.Path())
	}
	if t.outline.Width > 0 {
		c.SetLineStyle(t.outline)
		c.Stroke(c.Rectangle.Path())
	}
}

// glyphThumb draws one glyph in the centre of the thumbnail.
type glyphThumb draw.GlyphStyle

func (t glyphThumb) Thumbnail(c *draw.Canvas) {
	c.DrawGlyphNoClip(draw.GlyphStyle(t), c.Center())
}

// hatchThumb draws the "diverged" hatching in the thumbnail.
type hatchThumb struct{}

func (hatchThumb) Thumbnail(c *draw.Canvas) {
	drawHatch(*c, c.Rectangle)
}

// outlineThumb draws the best-cell outline in the thumbnail.
type outlineThumb struct{}

func (outlineThumb) Thumbnail(c *draw.Canvas) {
	drawBestOutline(*c, c.Rectangle)
}

// dashedThumb draws the outline of a cell the refinement added.
type dashedThumb struct{}

func (dashedThumb) Thumbnail(c *draw.Canvas) {
	drawDashedOutline(*c, c.Rectangle)
}

// levelThumb draws the mark of a cell level with the best.
type levelThumb struct{}

func (levelThumb) Thumbnail(c *draw.Canvas) {
	c.SetColor(rgb(0x9a, 0xc8, 0x9a))
	c.Fill(c.Rectangle.Path())
	drawLevelMark(*c, c.Rectangle)
}

// untriedThumb draws a blank cell, as a heat map shows one never trained.
type untriedThumb struct{}

func (untriedThumb) Thumbnail(c *draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	c.SetLineStyle(draw.LineStyle{Color: rgb(0xaa, 0xaa, 0xaa), Width: 0.6})
	c.Stroke(c.Rectangle.Path())
}
