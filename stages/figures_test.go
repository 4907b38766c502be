package stages

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

// sgdRun is a run of the SGD grid: a curve falling from 20 to a plateau
// at floor, or, when divergedAt > 0, one that stops there with NaN.
func sgdRun(seed uint64, floor float64, divergedAt int) LinSGDRun {
	const epochs = 40
	r := LinSGDRun{Lambda: 0.01, Seed: seed, Epochs: epochs, BatchSize: 10, LR: 0.1}
	if divergedAt > 0 {
		r.Diverged, r.DivEpoch = true, divergedAt
		r.ValErr = []float64{20}
		for range divergedAt - 1 {
			r.ValErr = append(r.ValErr, 1e3)
		}
		r.ValErr = append(r.ValErr, math.NaN())
		r.BestValErr = 20
		return r
	}
	for e := range epochs + 1 {
		r.ValErr = append(r.ValErr, floor+20*math.Exp(-float64(e))+0.001*float64(seed%3))
	}
	r.BestValErr = floor
	return r
}

// TestFigSGDGrid: a grid with a cell whose seeds all diverged draws every
// panel on the same epochs and one y range around the plateaus (no NaN,
// no tick label of the first epochs' error), and says when the diverged
// seeds did.
func TestFigSGDGrid(t *testing.T) {
	cell := func(batch int, lr float64, runs ...LinSGDRun) LinSGDCell {
		c := LinSGDCell{BatchSize: batch, LR: lr, Momentum: 0.5, Runs: runs}
		for _, r := range runs {
			if r.Diverged {
				c.Diverged++
			}
		}
		return c
	}
	s := LinSGDSummary{Grid: []LinSGDCell{
		cell(10, 0.1, sgdRun(1, 0.026, 0), sgdRun(2, 0.027, 0)),
		cell(10, 1, sgdRun(1, 0, 1), sgdRun(2, 0, 3)),
		cell(20, 0.1, sgdRun(1, 0.028, 0), sgdRun(2, 0.03, 0)),
		cell(20, 1, sgdRun(1, 0.03, 0), sgdRun(2, 0, 2)),
	}}
	olsRun := func(seed uint64) pipeline.In[LinSGDRun] {
		r := sgdRun(seed, 0.025, 0)
		r.BatchSize, r.LR = 10, 0.1
		return val(r)
	}
	f, err := figSGDGrid(nil, struct{}{}, SGDGridInput{SGD: pipeline.In[LinSGDSummary]{Value: s}, OLS: []pipeline.In[LinSGDRun]{olsRun(1), olsRun(2)}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(f.SVG, []byte("NaN")) || bytes.Contains(f.SVG, []byte("Inf")) {
		t.Error("SVG contains NaN or Inf")
	}
	texts := svgTextContents(f.SVG)
	joined := strings.Join(texts, " ") // a note may take two lines
	for _, want := range []string{"all 2 seeds diverged in epochs 1–3", "1 of 2 seeds diverged", "batch 10, γ0 = 1: diverged"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no text %q in %q", want, texts)
		}
	}
	// The cell with SGD-OLS runs has their band beside Ridge's, and only it.
	if n := strings.Count(string(f.CSV), "OLS (λ = 0)"); n == 0 {
		t.Errorf("the figure's data has no SGD-OLS series:\n%s", f.CSV)
	}
	lo, hi := plateauRange(s.Grid)
	if !(lo > 0.02 && lo < 0.026 && hi > 0.03 && hi < 0.06) {
		t.Errorf("plateauRange = %g, %g, want about 0.023 to 0.048", lo, hi)
	}
	var epochLabels int
	for _, tx := range texts {
		v, err := strconv.ParseFloat(strings.TrimSpace(tx), 64)
		if err != nil {
			continue
		}
		switch {
		case v < 0:
			t.Errorf("negative tick label %g", v)
		case v == 40:
			epochLabels++ // the budget ends every panel's x axis
		case v > 0 && v < 1 && (v < lo || v > hi):
			t.Errorf("y tick label %g outside the plateau range [%g, %g]", v, lo, hi)
		case v > 40:
			t.Errorf("tick label %g: the first epochs' error should be off the top", v)
		}
	}
	if epochLabels != 4 {
		t.Errorf("%d panels end their x axis at the budget (40 epochs), want all 4", epochLabels)
	}
}

func TestScaledHeightLabel(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{262.04, 1031, "height, scaled to [0, 1]: 0 = 262 m, 1 = 1031 m"},
		{0, 36, "height, scaled to [0, 1]: 0 = 0 m, 1 = 36 m"},
		{5, 5, "height, scaled to [0, 1]"},
		{math.NaN(), 1, "height, scaled to [0, 1]"},
	} {
		if got := scaledHeightLabel(c.lo, c.hi); got != c.want {
			t.Errorf("scaledHeightLabel(%g, %g) = %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

var svgTextRE = regexp.MustCompile(`(?s)<text[^>]*>([^<]*)</text>`)

// svgTextContents returns the contents of the <text> elements of svg,
// entities decoded.
func svgTextContents(svg []byte) []string {
	var out []string
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`, "&apos;", "'")
	for _, m := range svgTextRE.FindAllSubmatch(svg, -1) {
		out = append(out, r.Replace(string(m[1])))
	}
	return out
}
