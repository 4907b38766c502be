package plots

import (
	"strings"
	"testing"
)

func TestMeanSD(t *testing.T) {
	for _, tc := range []struct {
		m, sd float64
		want  string
	}{
		{0.012345, 0.00061, "0.0123\n± 0.0006"},
		{0.012345, 0.00021, "0.01235\n± 0.00021"},
		{97.53, 0.3, "97.5\n± 0.3"},
		{97.53, 0.03, "97.53\n± 0.03"},
		{97.5, 0, "97.5\n± 0"},
		{1234, 150, "1234\n± 150"},
	} {
		if got := meanSD(tc.m, tc.sd); got != tc.want {
			t.Errorf("meanSD(%g, %g) = %q, want %q", tc.m, tc.sd, got, tc.want)
		}
	}
}

// Cells level with the best get the mark, the legend says what it means,
// and a map without such cells has neither.
func TestHeatLevelMark(t *testing.T) {
	p := HeatPanel{XTicks: []string{"0.1", "1"}, YTicks: []string{"a", "b"}, Mean: [][]float64{{1, 2}, {3, 4}}}
	without, err := HeatMap(p, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", LowerIsBetter: true})
	if err != nil {
		t.Fatal(err)
	}
	p.Level = [][]bool{{false, true}, {false, false}}
	with, err := HeatMap(p, HeatOptions{Title: "t", XLabel: "x", YLabel: "y", LowerIsBetter: true})
	if err != nil {
		t.Fatal(err)
	}
	const legend = "level with the best (paired test)"
	if strings.Contains(string(without), legend) || !strings.Contains(string(with), legend) {
		t.Errorf("legend %q: in the map without level cells %v, with %v", legend, strings.Contains(string(without), legend), strings.Contains(string(with), legend))
	}
	if !strings.Contains(string(with), "level with the best cell by a paired test") {
		t.Error("the level cell's hover text does not say it is level")
	}
}
