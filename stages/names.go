package stages

import "fmt"

// Stage names. Build declares every stage under these names, and the code
// that reads the graph's results by name (the methods of the timings
// table, the notes on grid edges) builds them here too: a name is spelt
// in one place.

// Stages with one instance.
const (
	StageLinearRidge   = "linear/ridge"
	StageLinSGDSummary = "linear/sgd/summary"
	StageClsTune       = "neural/classification/tune"
	StageLogisticSGD   = "logistic/sgd"
	StageLogisticLBFGS = "logistic/lbfgs"
	StageKeras         = "baseline/keras-style"
	StageKerasLong     = "baseline/keras-style-long"
	StageKerasRaw      = "baseline/keras-style-raw"
	StageReport        = "report"
)

// Prefixes of the tuning stages of the terrain networks: RegTunePrefix+act
// for an activation of the grid, RegExtraTunePrefix+name for an extension.
const (
	RegTunePrefix      = "neural/regression/tune/act="
	RegExtraTunePrefix = "neural/regression/tune/extra="
)

// seedStage is grid point prefix's stage for one seed.
func seedStage(prefix string, seed uint64) string { return fmt.Sprintf("%s/seed=%d", prefix, seed) }

// regCell is a grid point of the terrain networks, less its seed.
func regCell(act, arch string, lr float64) string {
	return fmt.Sprintf("neural/regression/act=%s/arch=%s/lr=%s", act, arch, num(lr))
}

// regExtra is an extension network of the terrain, less its seed.
func regExtra(name string) string { return "neural/regression/extra=" + name }

// clsCell is a grid point of the digits networks, less its seed.
func clsCell(out, act, arch string, lr float64) string {
	return fmt.Sprintf("neural/classification/out=%s/act=%s/arch=%s/lr=%s", out, act, arch, num(lr))
}

// linSGDCell is a grid point of Ridge by SGD, less its seed.
func linSGDCell(batch int, lr float64) string {
	return fmt.Sprintf("linear/sgd/batch=%d/lr=%s", batch, num(lr))
}

// linSGDOLSCell is the same grid point on OLS (λ = 0), less its seed.
func linSGDOLSCell(batch int, lr float64) string {
	return fmt.Sprintf("linear/sgd-ols/batch=%d/lr=%s", batch, num(lr))
}
