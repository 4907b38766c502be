package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// showMetrics prints a stage's metrics for `repro show`: one per line,
// names in one column, values at four significant digits (whole numbers
// in full) aligned on their decimal points; `show --json` prints them in
// full precision.
func showMetrics(out io.Writer, metrics map[string]float64) {
	names := slices.Sorted(maps.Keys(metrics))
	width, intw, fracw := 0, 0, 0
	vals := make([]string, len(names))
	for i, n := range names {
		width = max(width, len(n))
		vals[i] = metricText(metrics[n])
		in, frac := splitPoint(vals[i])
		intw, fracw = max(intw, len(in)), max(fracw, len(frac))
	}
	for i, n := range names {
		in, frac := splitPoint(vals[i])
		v := strings.Repeat(" ", intw-len(in)) + in + frac
		fmt.Fprintf(out, "metric   %-*s  %s\n", width, n, strings.TrimRight(v+strings.Repeat(" ", fracw-len(frac)), " "))
	}
}

// metricText formats a metric at four significant digits: a whole number
// in full, a value between 0.001 and 1e6 in fixed point, others with an
// exponent.
func metricText(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'g', -1, 64)
	case v == math.Trunc(v) && a < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1e-3 && a < 1e6:
		digits := max(0, 3-int(math.Floor(math.Log10(a))))
		return strconv.FormatFloat(v, 'f', digits, 64)
	}
	return strconv.FormatFloat(v, 'e', 3, 64)
}

// splitPoint splits a formatted number before its decimal point (or its
// exponent).
func splitPoint(s string) (string, string) {
	if i := strings.IndexAny(s, ".e"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}
