package stages

import (
	"encoding/json"
	"fmt"
)

// Method is one digits method for the speed comparison in the exported
// report: the stages that trained it (one per seed) and, per seed, the epoch
// of its best validation error and the epochs it ran. Timings are not here:
// the CLI adds this run's wall times, which never enter an artifact.
type Method struct {
	Name      string
	Stages    []string
	BestEpoch []int
	EpochsRun []int
}

// Methods reads the digits results of the last run through load (which
// returns a stage's "value" output) and lists the methods to time.
func Methods(load func(stage string) ([]byte, error)) ([]Method, error) {
	var tune ClsTune
	if err := decodeValue(load, "neural/classification/tune", &tune); err != nil {
		return nil, err
	}
	var out []Method
	add := func(name string, stage func(NetRun) string, runs []NetRun) {
		m := Method{Name: name}
		for _, r := range runs {
			m.Stages = append(m.Stages, stage(r))
			m.BestEpoch = append(m.BestEpoch, r.BestEpoch)
			m.EpochsRun = append(m.EpochsRun, r.EpochsRun)
		}
		out = append(out, m)
	}
	grid := func(r NetRun) string {
		return fmt.Sprintf("neural/classification/out=%s/act=%s/arch=%s/lr=%s/seed=%d", r.Output, r.Hidden, r.Arch, num(r.LR), r.Seed)
	}
	add(fmt.Sprintf("best network (%s, %s hidden, %s output, SGD)", tune.Best.Arch, activationName(tune.Best.Hidden), tune.Best.Output), grid, tune.Best.Runs)
	if tune.Softmax.Arch != tune.Best.Arch || tune.Softmax.Output != tune.Best.Output || tune.Softmax.Hidden != tune.Best.Hidden || tune.Softmax.LR != tune.Best.LR {
		add(fmt.Sprintf("best softmax network (%s, %s hidden, SGD)", tune.Softmax.Arch, activationName(tune.Softmax.Hidden)), grid, tune.Softmax.Runs)
	}
	for _, s := range []struct{ name, stage, prefix string }{
		{"logistic regression (SGD)", "logistic/sgd", "logistic/sgd/seed=%d"},
		{"Keras-style baseline (Adam)", "baseline/keras-style", "baseline/keras-style/seed=%d"},
	} {
		var sum SeedsSummary
		if err := decodeValue(load, s.stage, &sum); err != nil {
			return nil, err
		}
		prefix := s.prefix
		add(s.name, func(r NetRun) string { return fmt.Sprintf(prefix, r.Seed) }, sum.Runs)
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
