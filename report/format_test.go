package report

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"text/template"
)

func TestFormatSig(t *testing.T) {
	tests := []struct {
		x    float64
		sig  int
		want string
	}{
		{0.012, 3, "0.0120"},
		{0.0123456, 3, "0.0123"},
		{1, 3, "1.00"},
		{-2.5, 2, "-2.5"},
		{9.996, 3, "10.0"},
		{99.96, 3, "100"},
		{123456, 3, "123000"},
		{999999, 3, "1.00e6"},
		{1234567, 3, "1.23e6"},
		{0.0001, 2, "0.00010"},
		{0.00009999, 2, "0.00010"}, // rounds up into fixed notation
		{0.00001234, 2, "1.2e-5"},
		{1.234e-5, 3, "1.23e-5"},
		{-1.234e-5, 3, "-1.23e-5"},
		{0.5, 1, "0.5"},
		{0, 3, "0"},
		{math.Copysign(0, -1), 3, "0"},
		{math.NaN(), 3, "NaN"},
		{math.Inf(1), 3, "Inf"},
		{math.Inf(-1), 3, "-Inf"},
	}
	for _, tt := range tests {
		if got := FormatSig(tt.x, tt.sig); got != tt.want {
			t.Errorf("FormatSig(%v, %d) = %q, want %q", tt.x, tt.sig, got, tt.want)
		}
	}
}

func TestMeanSD(t *testing.T) {
	tests := []struct {
		mean, sd float64
		sig      int
		want     string
	}{
		{0.012345, 0.00041, 3, "0.0123 ± 0.0004"},
		{0.0123, 0.00001, 3, "0.0123 ± 0.0000"},
		{0.98, 0.0123, 2, "0.98 ± 0.01"},
		{152.3, 12.6, 3, "152 ± 13"},
		{152.3, -12.6, 3, "152 ± 13"},
		{1.23e-5, 4e-7, 3, "(1.23 ± 0.04)e-5"},
		{0, 0.0123, 2, "0.000 ± 0.012"},
		{0, 0, 2, "0 ± 0"},
		{math.NaN(), 1, 2, "NaN ± 1.0"},
	}
	for _, tt := range tests {
		if got := MeanSD(tt.mean, tt.sd, tt.sig); got != tt.want {
			t.Errorf("MeanSD(%v, %v, %d) = %q, want %q", tt.mean, tt.sd, tt.sig, got, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		x    float64
		dec  int
		want string
	}{
		{0.98765, 1, "98.8%"},
		{1, 0, "100%"},
		{0.001234, 2, "0.12%"},
		{-0.05, 1, "-5.0%"},
		{math.NaN(), 1, "NaN"},
	}
	for _, tt := range tests {
		if got := Percent(tt.x, tt.dec); got != tt.want {
			t.Errorf("Percent(%v, %d) = %q, want %q", tt.x, tt.dec, got, tt.want)
		}
	}
}

func TestFormatPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"FormatSig": func() { FormatSig(1, 0) },
		"MeanSD":    func() { MeanSD(1, 1, 0) },
		"Percent":   func() { Percent(1, -1) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "report: "+name) {
					t.Errorf("%s: recover() = %v", name, r)
				}
			}()
			f()
		}()
	}
}

func TestFuncMap(t *testing.T) {
	tmpl := template.Must(template.New("t").Funcs(FuncMap()).Parse(`{{sig .X 3}} | {{meansd .M .S 2}} | {{pct .A 1}}`))
	var b strings.Builder
	if err := tmpl.Execute(&b, map[string]float64{"X": 0.012, "M": 0.98, "S": 0.0123, "A": 0.9861}); err != nil {
		t.Fatal(err)
	}
	if want := "0.0120 | 0.98 ± 0.01 | 98.6%"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func ExampleFormatSig() {
	fmt.Println(FormatSig(0.012, 3), FormatSig(123456, 3), FormatSig(1.234e-5, 3))
	// Output: 0.0120 123000 1.23e-5
}

func ExampleMeanSD() {
	fmt.Println(MeanSD(0.012345, 0.00041, 3))
	// Output: 0.0123 ± 0.0004
}

func ExampleTable() {
	t := Table{
		Name:    "mse",
		Caption: "Test MSE",
		Header:  []string{"Model", "MSE"},
		Rows:    [][]string{{"OLS", FormatSig(0.01234, 3)}, {"Ridge", FormatSig(0.0119, 3)}},
	}
	fmt.Print(t.Markdown())
	fmt.Print(string(t.CSV()))
	// Output:
	// Table: Test MSE {#tbl:mse}
	//
	// | Model |    MSE |
	// | :---- | -----: |
	// | OLS   | 0.0123 |
	// | Ridge | 0.0119 |
	// Model,MSE
	// OLS,0.0123
	// Ridge,0.0119
}
