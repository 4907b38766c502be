package stages

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"

	"github.com/repro-dev/repro/plots"
)

// The data behind each figure, as CSV, downloadable from its caption.

func csvBytes(header []string, rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	return b.Bytes()
}

func fnum(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }

// withData is figure with the CSV of its data.
func withData(svg []byte, err error, data []byte) (Figure, error) {
	return Figure{SVG: svg, CSV: data}, err
}

// panelsCSV is the data of a figure of curves: one row per point.
func panelsCSV(panels []plots.Panel) []byte {
	var rows [][]string
	opt := func(xs []float64, i int) string {
		if xs == nil || i >= len(xs) {
			return ""
		}
		return fnum(xs[i])
	}
	for _, p := range panels {
		for _, s := range p.Series {
			for i := range s.X {
				n := ""
				if s.N != nil && i < len(s.N) {
					n = fmt.Sprint(s.N[i])
				}
				rows = append(rows, []string{p.Title, s.Name, fnum(s.X[i]), fnum(s.Mean[i]), opt(s.Lo, i), opt(s.Hi, i), opt(s.Best, i), n})
			}
		}
	}
	return csvBytes([]string{"panel", "series", "x", "mean", "band_low", "band_high", "best_run", "runs"}, rows)
}

// heatCSV is the data of heat maps: one row per cell.
func heatCSV(xname, yname string, panels []plots.HeatPanel) []byte {
	var rows [][]string
	for _, p := range panels {
		for y := range p.YTicks {
			for x := range p.XTicks {
				state := "trained"
				switch {
				case p.Untried != nil && p.Untried[y][x]:
					state = "not trained"
				case p.Diverged != nil && p.Diverged[y][x]:
					state = "diverged"
				case p.Added != nil && p.Added[y][x]:
					state = "added by refinement"
				}
				m, sd := "", ""
				if state == "trained" || state == "added by refinement" {
					m = fnum(p.Mean[y][x])
					if p.SD != nil {
						sd = fnum(p.SD[y][x])
					}
				}
				rows = append(rows, []string{p.Title, p.YTicks[y], p.XTicks[x], m, sd, state})
			}
		}
	}
	return csvBytes([]string{"panel", yname, xname, "mean", "sd", "cell"}, rows)
}

// bandN is band with the number of runs averaged at each epoch.
func bandN(curves [][]float64) (mean, lo, hi []float64, n []int) {
	mean, lo, hi = band(curves)
	n = make([]int, len(mean))
	for _, c := range curves {
		for e := range min(len(c), len(n)) {
			n[e]++
		}
	}
	return mean, lo, hi, n
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
