package plots

import "testing"

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
