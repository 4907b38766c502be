package plots

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// svgText is one <text> element of a rendered figure.
type svgText struct {
	text    string
	x       float64 // left end, in SVG units (vgsvg aligns text itself)
	size    float64 // font size, in SVG units
	rotated bool
}

// svgTextsAt parses b as XML (failing the test if it is not well-formed
// SVG with a viewBox) and returns its width (from the viewBox) and every
// text with its position and font size.
func svgTextsAt(t *testing.T, b []byte) (width float64, texts []svgText) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var cur *svgText
	root := ""
	var rotated []bool // per open <g>: rotated itself or inside a rotated one
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := func(name string) string {
				for _, a := range el.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			if root == "" {
				root = el.Name.Local
			}
			if el.Name.Local == "svg" {
				if f := strings.Fields(attr("viewBox")); len(f) == 4 {
					width, _ = strconv.ParseFloat(f[2], 64)
				}
			}
			if el.Name.Local == "g" {
				r := strings.Contains(attr("transform"), "rotate")
				if len(rotated) > 0 {
					r = r || rotated[len(rotated)-1]
				}
				rotated = append(rotated, r)
			}
			if el.Name.Local == "text" {
				cur = &svgText{rotated: strings.Contains(attr("transform"), "rotate") || len(rotated) > 0 && rotated[len(rotated)-1]}
				cur.x, _ = strconv.ParseFloat(attr("x"), 64)
				style := attr("style")
				if i := strings.Index(style, "font-size:"); i >= 0 {
					v := strings.TrimSuffix(strings.SplitN(style[i+len("font-size:"):], ";", 2)[0], "px")
					cur.size, _ = strconv.ParseFloat(v, 64)
				}
			}
		case xml.CharData:
			if cur != nil {
				cur.text += string(el)
			}
		case xml.EndElement:
			if el.Name.Local == "g" && len(rotated) > 0 {
				rotated = rotated[:len(rotated)-1]
			}
			if el.Name.Local == "text" && cur != nil {
				texts = append(texts, *cur)
				cur = nil
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element is %q, want svg", root)
	}
	if width <= 0 {
		t.Fatal("SVG has no viewBox width")
	}
	return width, texts
}

// checkLegible fails the test for any text smaller than sizeMinText or
// (unrotated) reaching past the left or right edge of the figure: the
// report never shows a figure below one pixel per SVG unit, so 9 units is
// 9 px on screen, and a title wider than its figure is cut.
func checkLegible(t *testing.T, name string, b []byte) {
	t.Helper()
	width, texts := svgTextsAt(t, b)
	if len(texts) == 0 {
		t.Errorf("%s: no text", name)
	}
	for _, tx := range texts {
		if tx.size < sizeMinText-1e-9 {
			t.Errorf("%s: text %q is %.3g units, want >= %d", name, tx.text, tx.size, sizeMinText)
		}
		if tx.rotated || strings.TrimSpace(tx.text) == "" {
			continue
		}
		w := float64(textStyle(vg.Length(tx.size)).Width(tx.text))
		if tx.x < -0.5 || tx.x+w > width+0.5 {
			t.Errorf("%s: text %q spans x %.1f to %.1f, outside the figure's 0 to %.1f", name, tx.text, tx.x, tx.x+w, width)
		}
	}
}

// TestLegibleText checks every test figure, and figures with long titles
// in narrow panels (the report's F15 and F6), for text below 9 units or
// cut at the figure's edge.
func TestLegibleText(t *testing.T) {
	figs := figures()
	long := fixtureBandsPanels(2, 2)
	for i := range long {
		long[i].Title = fmt.Sprintf("sigmoid output (64x128x10, ReLU): weights of panel %d", i)
		long[i].YLabel = "weight, mean ± sd"
	}
	figs = append(figs,
		figure{name: "paramnorms long titles", render: func() ([]byte, error) {
			return ParamNorms("Output-layer parameters during training (first seed), a title long enough to need two lines", long, WithColumns(2))
		}},
		figure{name: "bands four columns", render: func() ([]byte, error) {
			p := fixtureBandsPanels(2, 4)
			return Bands(p, BandsOptions{Title: "SGD on Ridge (λ = 0.01, momentum 0.5): validation error, min–max band over seeds, dashed: best seed",
				XLabel: "epoch", YLabel: "validation MSE"}, WithColumns(4))
		}},
	)
	for _, f := range figs {
		b, err := f.render()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		checkLegible(t, f.name, b)
	}
}

func TestFitText(t *testing.T) {
	sty := textStyle(sizePanelTitle)
	const title = "softmax output (64x32x10, sigmoid): weights"
	full := sty.Width(title)
	for _, c := range []struct {
		width    vg.Length
		want     string
		wantSize vg.Length
	}{
		{full + 1, title, sizePanelTitle},
		{full * 0.9, "softmax output (64x32x10, sigmoid):\nweights", sizePanelTitle},
		{sty.Width("softmax output (64x32x10,") + 1, "softmax output (64x32x10,\nsigmoid): weights", sizePanelTitle},
	} {
		got, size := fitText(sty, title, c.width, sizeMinText)
		if got != c.want || size != c.wantSize {
			t.Errorf("fitText(%q, %.1f) = %q at %.3g, want %q at %.3g", title, float64(c.width), got, float64(size), c.want, float64(c.wantSize))
		}
	}
	// Too narrow for any break: the longer line is shrunk, not below the floor.
	got, size := fitText(sty, title, 20, sizeMinText)
	if !strings.Contains(got, "\n") || size != sizeMinText {
		t.Errorf("fitText in 20 units = %q at %.3g, want two lines at %d", got, float64(size), sizeMinText)
	}
	// One word: shrunk only.
	if got, size := fitText(sty, "unbreakable", sty.Width("unbreakable")*0.95, sizeMinText); got != "unbreakable" || !(size < sizePanelTitle && size >= sizeMinText) {
		t.Errorf("fitText of one word = %q at %.3g, want it shrunk", got, float64(size))
	}
}

// tickLabels returns the texts of b that parse as numbers.
func tickLabels(t *testing.T, b []byte) []float64 {
	t.Helper()
	var out []float64
	for _, s := range svgTexts(t, b) {
		if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// TestDivergedPanels: a panel whose runs all diverged (every value NaN or
// infinite), one with a single finite point (diverged after epoch 0) and
// one with a constant curve get sensible axes: no NaN anywhere, no
// negative epochs, a log axis around the value rather than through zero;
// XMin/XMax give them the epochs of their neighbours, and Note is written.
func TestDivergedPanels(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ok := Series{Name: "validation MSE", X: []float64{0, 1, 2, 3, 4}, Mean: []float64{2, 0.5, 0.1, 0.05, 0.04}}
	cases := []struct {
		name  string
		panel Panel
		check func(t *testing.T, ticks []float64)
	}{
		{"all NaN", Panel{Series: []Series{{Name: "validation MSE", X: []float64{0, 1}, Mean: []float64{nan, inf}, Lo: []float64{nan, nan}, Hi: []float64{inf, nan}}}, LogY: true}, nil},
		{"one point", Panel{Series: []Series{{Name: "validation MSE", X: []float64{0, 1}, Mean: []float64{22, nan}}}, LogY: true},
			func(t *testing.T, ticks []float64) {
				for _, v := range ticks {
					if v < 0 {
						t.Errorf("tick label %g: negative epoch or error", v)
					}
				}
			}},
		{"constant linear", Panel{Series: []Series{{Name: "validation MSE", X: []float64{3, 3}, Mean: []float64{5, 5}}}},
			func(t *testing.T, ticks []float64) {
				for _, v := range ticks {
					if v < 0 {
						t.Errorf("tick label %g: negative", v)
					}
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, fixed := range []bool{false, true} {
				pn := c.panel
				pn.Title = "diverged"
				if fixed {
					pn.XMin, pn.XMax, pn.Note = 0, 4, "all 5 seeds diverged in epoch 1"
				}
				b, err := Bands([]Panel{{Title: "converged", Series: []Series{ok}, LogY: true}, pn}, BandsOptions{Title: "t", XLabel: "epoch", YLabel: "validation MSE"})
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
					t.Errorf("fixed %v: SVG contains NaN or Inf", fixed)
				}
				texts := strings.Join(svgTexts(t, b), "\n")
				if fixed && !strings.Contains(texts, "all 5 seeds diverged in epoch 1") {
					t.Errorf("note missing; texts %q", texts)
				}
				if fixed && strings.Contains(texts, "no finite values") {
					t.Errorf("the panel's note should replace the default one; texts %q", texts)
				}
				ticks := tickLabels(t, b)
				for _, v := range ticks {
					if !finite(v) {
						t.Errorf("tick label %g", v)
					}
				}
				if c.check != nil {
					c.check(t, ticks)
				}
			}
		})
	}
}

// TestPanelRanges: XMin/XMax and YMin/YMax fix the axes (the labelled
// ticks stay inside them).
func TestPanelRanges(t *testing.T) {
	s := Series{Name: "a", X: []float64{0, 1, 2}, Mean: []float64{20, 0.03, 0.026}}
	b, err := Bands([]Panel{{Series: []Series{s}, XMin: 0, XMax: 150, YMin: 0.025, YMax: 0.05}}, BandsOptions{Title: "t", XLabel: "epoch", YLabel: "MSE"})
	if err != nil {
		t.Fatal(err)
	}
	var xs, ys []float64
	for _, v := range tickLabels(t, b) {
		if v >= 1 {
			xs = append(xs, v)
		} else if v > 0 {
			ys = append(ys, v)
		}
	}
	if len(xs) == 0 || xs[len(xs)-1] < 100 || xs[len(xs)-1] > 150 {
		t.Errorf("x tick labels %v, want up to 100..150", xs)
	}
	for _, v := range ys {
		if v < 0.025-1e-12 || v > 0.05+1e-12 {
			t.Errorf("y tick label %g outside [0.025, 0.05]", v)
		}
	}
	if len(ys) < 2 {
		t.Errorf("y tick labels %v, want at least two in [0.025, 0.05]", ys)
	}
}

// TestTerrainMapsSize: with two maps a row the maps share the width, each
// over 30 % of the figure (the report scales every figure to the text
// column, so that share is their size on screen), against under a quarter
// with three; and the colour bar carries the label given.
func TestTerrainMapsSize(t *testing.T) {
	const rows, cols = 30, 35
	z := fixtureTerrain(rows, cols)
	var panels []MapPanel
	for i := range 6 {
		panels = append(panels, MapPanel{Title: fmt.Sprintf("model %d", i), Z: z})
	}
	const label = "height, scaled to [0, 1]: 0 = 12 m, 1 = 345 m"
	share := func(ncol int) float64 {
		b, err := TerrainMaps(rows, cols, panels, WithColumns(ncol), WithColorLabel(label))
		if err != nil {
			t.Fatal(err)
		}
		width, texts := svgTextsAt(t, b)
		found := false
		for _, tx := range texts {
			found = found || tx.text == label
		}
		if !found {
			t.Errorf("%d columns: no colour-bar label %q", ncol, label)
		}
		checkLegible(t, fmt.Sprintf("terrain maps, %d columns", ncol), b)
		dec := xml.NewDecoder(bytes.NewReader(b))
		n, least := 0, math.Inf(1)
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "image" {
				for _, a := range el.Attr {
					if a.Name.Local == "width" {
						w, _ := strconv.ParseFloat(a.Value, 64)
						n++
						least = math.Min(least, w/width)
					}
				}
			}
		}
		if n != len(panels) {
			t.Errorf("%d columns: %d maps drawn, want %d", ncol, n, len(panels))
		}
		return least
	}
	two, three := share(2), share(3)
	if two < 0.3 || two < 1.3*three {
		t.Errorf("maps take %.0f %% of the figure's width with two columns, %.0f %% with three: want over 30 %% and 1.3 times", 100*two, 100*three)
	}
}

// TestDAGWidth: the DAG's labels are 9 units and its gaps shrink so that a
// graph that can fit the report's wide column does.
func TestDAGWidth(t *testing.T) {
	nodes, edges := fixtureBigDAG()
	b, err := DAG(nodes, edges, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLegible(t, "dag", b)
	lay := layoutDAG(nodes, edges, mustLevels(t, len(nodes), edges), dagMinGapX)
	width, _ := svgTextsAt(t, b)
	if lay.w+2*margin <= dagMaxW && width > dagMaxW+0.01 {
		t.Errorf("DAG is %.1f units wide; it fits %d with the narrowest gaps", width, dagMaxW)
	}
}

func mustLevels(t *testing.T, n int, edges [][2]int) []int {
	t.Helper()
	l, err := longestPathLevels(n, edges)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
