package stages

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Method is one method for the speed comparison in the exported report:
// the stages that trained it (one per seed) and, per seed, the epoch of its
// best validation error and the epochs it ran. Timings are not here: the
// CLI adds the wall times recorded by the runs that computed the stages,
// which never enter an artifact.
type Method struct {
	Data      string // "digits" or "terrain"
	Name      string
	Stages    []string
	BestEpoch []int // empty for a closed form
	EpochsRun []int
}

// Methods reads the results of the last run through load (which returns a
// stage's "value" output) and lists the methods to time: the digits methods,
// then the terrain ones.
// names lists the stages of the run (to find the extension networks).
func Methods(load func(stage string) ([]byte, error), names []string) ([]Method, error) {
	var tune ClsTune
	if err := decodeValue(load, StageClsTune, &tune); err != nil {
		return nil, err
	}
	var out []Method
	add := func(data, name string, stage func(NetRun) string, runs []NetRun, stages ...string) {
		m := Method{Data: data, Name: name}
		for i, r := range runs {
			if len(stages) == len(runs) {
				m.Stages = append(m.Stages, stages[i]) // as the tuning recorded them (refinement steps included)
			} else {
				m.Stages = append(m.Stages, stage(r))
			}
			m.BestEpoch = append(m.BestEpoch, r.BestEpoch)
			m.EpochsRun = append(m.EpochsRun, r.EpochsRun)
		}
		out = append(out, m)
	}
	grid := func(r NetRun) string {
		return seedStage(clsCell(r.Output, r.Hidden, r.Arch, r.LR), r.Seed)
	}
	add("digits", fmt.Sprintf("best network (%s, %s hidden, %s output, SGD)", tune.Best.Arch, activationName(tune.Best.Hidden), tune.Best.Output), grid, tune.Best.Runs, tune.Best.Stages...)
	if tune.Softmax.Arch != tune.Best.Arch || tune.Softmax.Output != tune.Best.Output || tune.Softmax.Hidden != tune.Best.Hidden || tune.Softmax.LR != tune.Best.LR {
		add("digits", fmt.Sprintf("best softmax network (%s, %s hidden, SGD)", tune.Softmax.Arch, activationName(tune.Softmax.Hidden)), grid, tune.Softmax.Runs, tune.Softmax.Stages...)
	}
	for _, s := range []struct {
		name, stage string
		optional    bool
	}{
		{"logistic regression (SGD)", StageLogisticSGD, false},
		{"Keras-style baseline (Adam)", StageKeras, false},
		{"Keras-style baseline, to convergence (Adam)", StageKerasLong, true},
		{"Keras-style baseline, unscaled pixels (Adam)", StageKerasRaw, true},
	} {
		var sum SeedsSummary
		if err := decodeValue(load, s.stage, &sum); err != nil {
			if s.optional {
				continue
			}
			return nil, err
		}
		prefix := s.stage
		add("digits", s.name, func(r NetRun) string { return seedStage(prefix, r.Seed) }, sum.Runs)
	}
	out = append(out, Method{Data: "digits", Name: "logistic regression (L-BFGS)", Stages: []string{StageLogisticLBFGS}})

	// Terrain: closed-form Ridge, Ridge by SGD at its best cell, and the
	// best cell of each network kind.
	out = append(out, Method{Data: "terrain", Name: "Ridge, closed form (every λ)", Stages: []string{StageLinearRidge}})
	var sgd LinSGDSummary
	if err := decodeValue(load, StageLinSGDSummary, &sgd); err == nil {
		m := Method{Data: "terrain", Name: fmt.Sprintf("Ridge by SGD (batch %d, γ0 = %s)", sgd.Best.BatchSize, num(sgd.Best.LR))}
		for _, r := range sgd.Best.Runs {
			m.Stages = append(m.Stages, seedStage(linSGDCell(r.BatchSize, r.LR), r.Seed))
			m.BestEpoch = append(m.BestEpoch, r.BestEpoch)
			m.EpochsRun = append(m.EpochsRun, len(r.ValErr)-1)
		}
		out = append(out, m)
	}
	sort.Strings(names)
	for _, n := range names {
		act, ok := strings.CutPrefix(n, RegTunePrefix)
		if !ok {
			continue
		}
		var rt RegTune
		if err := decodeValue(load, n, &rt); err != nil {
			continue
		}
		add("terrain", fmt.Sprintf("%s network (%s, γ0 = %s)", activationName(act), rt.BestArch, num(rt.BestLR)), func(r NetRun) string {
			return seedStage(regCell(r.Hidden, r.Arch, r.LR), r.Seed)
		}, rt.Curves, rt.BestStages...)
	}
	for _, n := range names {
		name, ok := strings.CutPrefix(n, RegExtraTunePrefix)
		if !ok {
			continue
		}
		var rt RegTune
		if err := decodeValue(load, n, &rt); err != nil {
			continue
		}
		add("terrain", fmt.Sprintf("extension %s (%s, γ0 = %s)", name, rt.BestArch, num(rt.BestLR)), func(r NetRun) string {
			return seedStage(regExtra(name), r.Seed)
		}, rt.Curves)
	}
	return out, nil
}

func decodeValue(load func(string) ([]byte, error), stage string, v any) error {
	b, err := load(stage)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
