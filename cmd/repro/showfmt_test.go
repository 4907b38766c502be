package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n--- got\n%s--- want\n%s", p, got, want)
	}
}

// show prints metrics in one column, at four significant digits, aligned
// on the decimal point (issue 27, item 8).
func TestShowMetricsAligned(t *testing.T) {
	var b bytes.Buffer
	showMetrics(&b, map[string]float64{
		"digits.nn.test_accuracy":                      0.97338403041825095,
		"digits.nn.test_images":                        497,
		"terrain.nn.relu.test_mse":                     0.012345678901234,
		"terrain.nn.relu.best_epoch_median":            187.5,
		"terrain.linear.ols.test_mse_with_a_long_name": 1234.5678,
		"tiny":     3.2e-7,
		"negative": -0.25,
	})
	golden(t, "show-metrics.golden", b.Bytes())
	for _, tc := range []struct {
		v    float64
		want string
	}{{0.97338403, "0.9734"}, {497, "497"}, {0.0123456, "0.01235"}, {187.5, "187.5"}, {1234.5678, "1235"}, {3.2e-7, "3.200e-07"}, {-0.25, "-0.2500"}, {2.5e6, "2500000"}, {2.55e6 + 0.5, "2.550e+06"}} {
		if got := metricText(tc.v); got != tc.want {
			t.Errorf("metricText(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
