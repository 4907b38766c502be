package report

import (
	"strings"
	"testing"
)

func TestTableMarkdown(t *testing.T) {
	tb := Table{
		Name:    "errors",
		Caption: "Test errors,\nmean ± sd over 5 seeds",
		Header:  []string{"Model", "MSE", "$R^2$", "Note"},
		Rows: [][]string{
			{"OLS", MeanSD(0.012345, 0.00041, 3), "0.982", "closed | form"},
			{"Ridge λ=0.1", "**0.0119 ± 0.0003**", "NaN", ""},
			{"SGD", "1.5e-3", "—", "$|x|$"},
		},
	}
	want := `Table: Test errors, mean ± sd over 5 seeds {#tbl:errors}

| Model       |                MSE | $R^2$ | Note           |
| :---------- | -----------------: | ----: | :------------- |
| OLS         |    0.0123 ± 0.0004 | 0.982 | closed \| form |
| Ridge λ=0.1 | **0.0119 ± 0.0003** |   NaN |                |
| SGD         |             1.5e-3 |     — | $\|x\|$        |
`
	// The widths count runes, so the ± and λ columns line up.
	want = strings.Replace(want, "|                MSE |", "|                 MSE |", 1)
	want = strings.Replace(want, "| -----------------: |", "| ------------------: |", 1)
	want = strings.Replace(want, "|    0.0123 ± 0.0004 |", "|     0.0123 ± 0.0004 |", 1)
	want = strings.Replace(want, "|             1.5e-3 |", "|              1.5e-3 |", 1)
	if got := tb.Markdown(); got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}

	// It renders as a numbered, captioned table with right-aligned numbers
	// and the | inside math restored.
	out, warnings, err := Render(Document{
		Markdown: []byte("See @tbl:errors.\n\n" + tb.Markdown()),
		Layout:   []byte("{{.Body}}"),
		TableCSV: map[string]string{"errors": "report/errors.csv"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, w := range []string{
		`<caption><span class="label">Table 1:</span> Test errors, mean ± sd over 5 seeds <a class="csv" href="report/errors.csv" download>CSV</a></caption>`,
		`<td style="text-align:right">0.0123 ± 0.0004</td>`,
		`<td style="text-align:right"><strong>0.0119 ± 0.0003</strong></td>`,
		`<td style="text-align:left">closed | form</td>`,
		`<code class="math math-inline">|x|</code>`,
	} {
		if !strings.Contains(s, w) {
			t.Errorf("rendered table lacks %s\n%s", w, s)
		}
	}
	if len(warnings) != 1 { // no KaTeX
		t.Errorf("warnings: %q", warnings)
	}

	wantCSV := "Model,MSE,$R^2$,Note\nOLS,0.0123 ± 0.0004,0.982,closed | form\nRidge λ=0.1,0.0119 ± 0.0003,NaN,\nSGD,1.5e-3,—,$|x|$\n"
	if got := string(tb.CSV()); got != wantCSV {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, wantCSV)
	}
}

func TestTableAlign(t *testing.T) {
	tb := Table{Header: []string{"a", "b", "c", "d"}, Rows: [][]string{{"1", "x", "2", "3"}}, Align: []string{"left", "", "center"}}
	want := "| a   | b   |  c  |   d |\n| :-- | :-- | :-: | --: |\n| 1   | x   |  2  |   3 |\n"
	if got := tb.Markdown(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTableNumeric(t *testing.T) {
	for _, c := range []string{"0", "-1.5", "+2", "1,234.5", ".5", "1e-3", "1.2E+05", "98.2%", "0.12 ± 0.01", "(1.23 ± 0.04)e-5", "−3", "NaN", "-Inf", "—", "**0.5**", "_7_"} {
		if !isNumeric(c) {
			t.Errorf("isNumeric(%q) = false", c)
		}
	}
	for _, c := range []string{"OLS", "1.2.3", "5 epochs", "$x$", "e5", "relu", "**a**", "1-2"} {
		if isNumeric(c) {
			t.Errorf("isNumeric(%q) = true", c)
		}
	}
}

func TestTablePanics(t *testing.T) {
	for name, tb := range map[string]Table{
		"row length": {Name: "t", Header: []string{"a", "b"}, Rows: [][]string{{"1"}}},
		"bad name":   {Name: "a b", Header: []string{"a"}},
		"no header":  {Name: "t"},
		"bad align":  {Header: []string{"a"}, Align: []string{"middle"}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "report: ") {
					t.Errorf("recover() = %v, want a report: panic", r)
				}
			}()
			_ = tb.Markdown()
		})
	}
}
