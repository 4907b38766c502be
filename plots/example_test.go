package plots_test

import (
	"bytes"
	"fmt"

	"github.com/repro-dev/repro/plots"
)

// A learning-rate schedule lr(i) = lr0 / (1 + i*decay) after a linear
// ramp-up, rendered to SVG bytes that the caller stores where it likes.
func ExampleSchedule() {
	const lr0, decay, ramp = 0.001, 0.0005, 200
	var steps, lr []float64
	for i := 0; i <= 10000; i += 10 {
		v := lr0 / (1 + float64(i)*decay)
		if i < ramp {
			v *= float64(i) / ramp
		}
		steps = append(steps, float64(i))
		lr = append(lr, v)
	}
	svg, err := plots.Schedule(steps, lr, "Learning-rate schedule")
	if err != nil {
		fmt.Println(err)
		return
	}
	again, _ := plots.Schedule(steps, lr, "Learning-rate schedule")
	fmt.Println(bytes.HasPrefix(svg, []byte("<?xml")), bytes.Equal(svg, again))
	// Output: true true
}

// Bad input is an *InputError that names the argument.
func ExampleInputError() {
	_, err := plots.Bands([]plots.Panel{{Series: []plots.Series{
		{Name: "OLS", X: []float64{1, 2, 3}, Mean: []float64{0.3, 0.2}},
	}}}, plots.BandsOptions{Title: "t", XLabel: "epoch", YLabel: "MSE"})

	fmt.Println(err)
	// Output: plots.Bands: panels[0].Series[0].Mean: length 2, want len(X) = 3
}
