package stages

import (
	"fmt"

	"repro/report"
)

// buildTables makes every table of the report from its results. Each table
// is shown by the template with {{table "name"}} and exported as CSV.
func buildTables(d *reportData) {
	split := report.Table{Name: "split", Caption: fmt.Sprintf("Share of the %d x %d grid's cells in the training, validation and test sets for several grid spacings (the study's Table 1, computed on our grid).", d.Split.Rows, d.Split.Cols),
		Header: []string{"x_sparsity", "training", "validation", "test", "training share", "validation share", "test share"}}
	for _, s := range d.Split.Proportions {
		split.Rows = append(split.Rows, []string{fmt.Sprint(s.XSparsity), fmt.Sprint(s.Train), fmt.Sprint(s.Val), fmt.Sprint(s.Test),
			report.Percent(s.TrainF, 2), report.Percent(s.ValF, 2), report.Percent(s.TestF, 2)})
	}
	d.tables["split"] = split

	lin := report.Table{Name: "linear", Caption: "Closed-form linear models on the terrain: errors on the training, validation and test cells (heights scaled to [0, 1]).",
		Header: []string{"model", "lambda", "training MSE", "validation MSE", "test MSE", "test R^2"}}
	for _, f := range []LinearFit{d.OLS, d.Ridge} {
		lambda := "—"
		if f.Model == "ridge" {
			lambda = report.FormatSig(f.Lambda, 2)
		}
		lin.Rows = append(lin.Rows, []string{modelName(f.Model), lambda, report.FormatSig(f.TrainMSE, 3), report.FormatSig(f.ValMSE, 3),
			report.FormatSig(f.TestMSE, 3), report.FormatSig(f.TestR2, 3)})
	}
	d.tables["linear"] = lin
}

func modelName(m string) string {
	switch m {
	case "ols":
		return "OLS"
	case "ridge":
		return "Ridge"
	}
	return m
}
