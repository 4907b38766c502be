package stages

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/pipeline"
)

// RefineParams bound the automatic refinement of a tuning grid. When the
// best cell lies on the edge of its learning-rate or architecture axis, the
// tuning stage trains the cell one step beyond (with every seed) and
// chooses again, up to MaxSteps times: a learning rate one grid ratio
// further, or the next of Archs (larger architectures, in order, tried
// after the grid's last). Cached with the tuning stage, it costs nothing
// on a rerun.
type RefineParams struct {
	MaxSteps int      `json:"max_steps,omitempty"`
	Archs    []string `json:"archs,omitempty"`
}

type cellKey struct {
	Arch string
	LR   float64
}

// tunedCell is one cell of a tuning grid over seeds.
type tunedCell struct {
	Runs  []NetRun
	Nets  []*models.Network // kept for cells trained by the refinement
	Added bool
}

func (c *tunedCell) stats() (mean, sd float64, diverged int) {
	var vals []float64
	for _, r := range c.Runs {
		if r.Diverged {
			diverged++
			continue
		}
		vals = append(vals, r.BestValErr)
	}
	mean, sd = meanSD(vals)
	if len(vals) == 0 {
		mean = math.NaN()
	}
	return mean, sd, diverged
}

// trainCell trains one cell with every seed; nets may be nil (only runs).
type trainCell func(arch string, lr float64) ([]NetRun, []*models.Network, error)

// tuned is a tuning grid after refinement.
type tuned struct {
	Archs []string
	LRs   []float64 // ascending
	Cells map[cellKey]*tunedCell
	Best  cellKey
	Edges []AxisEdge
	// Steps lists, in order, the cells the refinement trained.
	Steps []cellKey
	// How the axes were searched, kept to describe them again (judge).
	searchLR, searchArch bool
	maxSteps             int
	ladder               []string
	// cmp, once set by judge, compares cells by paired tests.
	cmp *models.CompareConfig
	// accuracy: the cells' errors are error rates, printed as accuracies.
	accuracy bool
}

// score prints a cell's mean and sd over seeds of its validation error: an
// MSE, or for a classifier the accuracy in per cent.
func (t *tuned) score(m, sd float64) string {
	if t.accuracy {
		return "validation accuracy " + pm(100*(1-m), 100*sd) + "\u00a0%"
	}
	return pm(m, sd)
}

// judge makes the tuning compare cells with the best by paired tests on
// the validation units (models.Compare with cfg), and describes the axes
// again with those tests instead of means and sds.
func (t *tuned) judge(cfg models.CompareConfig) {
	t.cmp = &cfg
	t.Edges = t.axes(t.searchLR, t.searchArch, t.maxSteps, t.ladder)
}

// outcome is the paired test of cell k against the best cell on the
// validation units (Worse: k is worse); ok is false without judge, without
// units, or when a seed of k diverged.
func (t *tuned) outcome(k cellKey) (o models.Outcome, ok bool) {
	c, found := t.Cells[k]
	if t.cmp == nil || !found || slices.ContainsFunc(c.Runs, func(r NetRun) bool { return r.Diverged }) {
		return 0, false
	}
	metric, rowsOf, w, ok := validationUnits(t.Cells[t.Best].Runs)
	if !ok {
		return 0, false
	}
	best, rows := rowsOf(t.Cells[t.Best].Runs), rowsOf(c.Runs)
	if rows == nil || best == nil || len(rows) != len(best) {
		return 0, false
	}
	return models.Compare(metric, rows, best, w, *t.cmp).Outcome, true
}

// gridCells gathers the runs of every candidate of p from byName.
func gridCells(byName map[string]NetRun, p TuneParams) (map[cellKey]*tunedCell, error) {
	cells := map[cellKey]*tunedCell{}
	for _, cand := range p.Candidates {
		c := &tunedCell{}
		for _, st := range cand.Stages {
			r, ok := byName[st]
			if !ok {
				return nil, fmt.Errorf("the inputs hold no run %s", st)
			}
			c.Runs = append(c.Runs, r)
		}
		cells[cellKey{cand.Arch, cand.LR}] = c
	}
	return cells, nil
}

// refineGrid picks the best cell of the grid of p (lowest mean validation
// error; a cell with a diverged seed is never best) and, while it lies on
// an edge of an axis that can be extended, trains the cell beyond with
// train and picks again.
func refineGrid(p TuneParams, cells map[cellKey]*tunedCell, train trainCell) (tuned, error) {
	t := tuned{Archs: slices.Clone(p.Archs), LRs: slices.Clone(p.LRs), Cells: cells}
	sort.Float64s(t.LRs)
	ladder := slices.Clone(p.Refine.Archs)
	for len(ladder) > 0 && slices.Contains(t.Archs, ladder[0]) {
		ladder = ladder[1:]
	}
	pick := func() bool {
		found := false
		best := math.Inf(1)
		for _, a := range t.Archs {
			for _, lr := range t.LRs {
				c, ok := t.Cells[cellKey{a, lr}]
				if !ok {
					continue
				}
				m, _, div := c.stats()
				if div > 0 || math.IsNaN(m) {
					continue
				}
				if m < best {
					best, t.Best, found = m, cellKey{a, lr}, true
				}
			}
		}
		return found
	}
	if !pick() {
		return t, fmt.Errorf("every cell of the %s grid had a diverged seed", p.Label)
	}
	// Axes of a single value (an extension network) are not searched.
	searchLR, searchArch := len(p.LRs) > 1, len(p.Archs) > 1
	stepsLeft := p.Refine.MaxSteps
	for stepsLeft > 0 {
		next, ok := t.nextCell(searchLR, searchArch, &ladder)
		if !ok {
			break
		}
		runs, nets, err := train(next.Arch, next.LR)
		if err != nil {
			return t, fmt.Errorf("refining %s at %s, learning rate %s: %w", p.Label, next.Arch, num(next.LR), err)
		}
		t.Cells[next] = &tunedCell{Runs: runs, Nets: nets, Added: true}
		t.Steps = append(t.Steps, next)
		stepsLeft--
		pick()
	}
	t.searchLR, t.searchArch, t.maxSteps, t.ladder = searchLR, searchArch, p.Refine.MaxSteps, ladder
	t.accuracy = p.Base.Output == "softmax" || p.Base.Output == "sigmoid"
	t.Edges = t.axes(searchLR, searchArch, p.Refine.MaxSteps, ladder)
	return t, nil
}

// lrLine and archLine are the values tried along the best cell's row and
// column.
func (t *tuned) lrLine() []float64 {
	var out []float64
	for _, lr := range t.LRs {
		if _, ok := t.Cells[cellKey{t.Best.Arch, lr}]; ok {
			out = append(out, lr)
		}
	}
	return out
}

func (t *tuned) archLine() []string {
	var out []string
	for _, a := range t.Archs {
		if _, ok := t.Cells[cellKey{a, t.Best.LR}]; ok {
			out = append(out, a)
		}
	}
	return out
}

// nextCell is the cell one step beyond the best along an axis on whose
// edge it lies: first the learning rate, then the architecture.
func (t *tuned) nextCell(searchLR, searchArch bool, ladder *[]string) (cellKey, bool) {
	if searchLR {
		line := t.lrLine()
		i := slices.Index(line, t.Best.LR)
		for _, high := range []bool{true, false} {
			if (high && i != len(line)-1) || (!high && i != 0) {
				continue
			}
			// The nearest rate of the grid beyond the best (none of them is
			// tried at this architecture, the best being on the edge of
			// those that are), else a new one a grid step further.
			cand, found := 0.0, false
			for _, lr := range t.LRs {
				if (high && lr > t.Best.LR && (!found || lr < cand)) || (!high && lr < t.Best.LR && (!found || lr > cand)) {
					cand, found = lr, true
				}
			}
			if !found {
				cand = nextRate(t.LRs, high)
				t.LRs = append(t.LRs, cand)
				sort.Float64s(t.LRs)
			}
			return cellKey{t.Best.Arch, cand}, true
		}
	}
	if searchArch {
		line := t.archLine()
		bi := slices.Index(t.Archs, t.Best.Arch)
		if len(line) > 0 && line[len(line)-1] == t.Best.Arch {
			for _, a := range t.Archs[bi+1:] {
				if _, tried := t.Cells[cellKey{a, t.Best.LR}]; !tried {
					return cellKey{a, t.Best.LR}, true
				}
			}
			if len(*ladder) > 0 {
				a := (*ladder)[0]
				*ladder = (*ladder)[1:]
				t.Archs = append(t.Archs, a)
				return cellKey{a, t.Best.LR}, true
			}
		}
		if len(line) > 0 && line[0] == t.Best.Arch {
			// A row the refinement added: the nearest smaller architecture
			// of the grid at this rate.
			for k := bi - 1; k >= 0; k-- {
				if _, tried := t.Cells[cellKey{t.Archs[k], t.Best.LR}]; !tried {
					return cellKey{t.Archs[k], t.Best.LR}, true
				}
			}
		}
	}
	return cellKey{}, false
}

// axes describes where the best cell lies along each searched axis, and why
// an edge stays.
func (t *tuned) axes(searchLR, searchArch bool, maxSteps int, ladder []string) []AxisEdge {
	var out []AxisEdge
	best := t.Cells[t.Best]
	bm, bsd, _ := best.stats()
	describe := func(k cellKey) string {
		c := t.Cells[k]
		m, sd, div := c.stats()
		if div == len(c.Runs) {
			return "diverged"
		}
		if div > 0 {
			return fmt.Sprintf("%d of %d seeds diverged", div, len(c.Runs))
		}
		if o, ok := t.outcome(k); ok {
			return map[models.Outcome]string{models.Worse: "worse by a paired test", models.Level: "level by a paired test", models.Better: "better by a paired test"}[o] + ", " + t.score(m, sd)
		}
		return "a higher mean, " + t.score(m, sd)
	}
	stopped := func() string {
		if maxSteps == 0 {
			return "refinement is off"
		}
		return fmt.Sprintf("the refinement stopped after its %d %s", maxSteps, numfmt.Plural(maxSteps, "step", "steps"))
	}
	if searchLR {
		line := t.lrLine()
		i := slices.Index(line, t.Best.LR)
		a := axisEdge("learning rate", lrLabels(line), i)
		if len(line) == 1 { // a row the refinement added: one rate tried
			a.Low, a.High = true, true
		}
		switch {
		case a.High || a.Low:
			a.Reason = stopped()
		default:
			var notes []string
			for _, j := range []int{i - 1, i + 1} {
				k := cellKey{t.Best.Arch, line[j]}
				if t.Cells[k].Added {
					notes = append(notes, fmt.Sprintf("%s: %s", num(line[j]), describe(k)))
				}
			}
			if len(notes) > 0 {
				a.Resolved = joinAnd(notes)
			}
		}
		out = append(out, a)
	}
	if searchArch {
		line := t.archLine()
		i := slices.Index(line, t.Best.Arch)
		a := axisEdge("architecture", line, i)
		if len(line) == 1 {
			a.Low, a.High = true, true
		}
		switch {
		case a.High:
			a.Reason = stopped()
			if len(ladder) == 0 {
				a.Reason = "no larger architecture is listed to try"
			}
			if i > 0 {
				pk := cellKey{line[i-1], t.Best.LR}
				prev, psd, pdiv := t.Cells[pk].stats()
				if o, ok := t.outcome(pk); ok {
					if o == models.Level {
						a.Reason += fmt.Sprintf("; a paired test cannot separate it (%s) from %s (%s): more capacity has stopped paying",
							t.score(bm, bsd), line[i-1], t.score(prev, psd))
					}
				} else if pdiv == 0 && prev-bm < math.Max(psd, bsd) {
					a.Reason += fmt.Sprintf("; its validation error, %s, is within one sd over seeds of %s's, %s: more capacity has stopped paying",
						t.score(bm, bsd), line[i-1], t.score(prev, psd))
				}
			}
		case a.Low:
			a.Reason = stopped()
			if slices.Index(t.Archs, t.Best.Arch) == 0 {
				a.Reason = "no smaller architecture is listed"
			}
		default:
			k := cellKey{line[i+1], t.Best.LR}
			if t.Cells[k].Added {
				a.Resolved = fmt.Sprintf("%s: %s", line[i+1], describe(k))
			}
		}
		out = append(out, a)
	}
	return out
}

// heat lays the cells out as a heat map over every architecture and
// learning rate tried; cells never trained are marked untried.
func (t *tuned) heat() Heat {
	h := Heat{Archs: t.Archs, LRs: t.LRs, Mean: grid(len(t.Archs), len(t.LRs)), SD: grid(len(t.Archs), len(t.LRs))}
	h.Diverged = boolGrid(len(t.Archs), len(t.LRs))
	h.Untried = boolGrid(len(t.Archs), len(t.LRs))
	h.Added = boolGrid(len(t.Archs), len(t.LRs))
	h.BestEpoch = grid(len(t.Archs), len(t.LRs))
	for i, a := range t.Archs {
		for j, lr := range t.LRs {
			c, ok := t.Cells[cellKey{a, lr}]
			if !ok {
				h.Untried[i][j] = true // Mean and SD stay 0 (JSON has no NaN)
				continue
			}
			m, sd, div := c.stats()
			if math.IsNaN(m) {
				m = 0 // every seed diverged
			}
			h.Mean[i][j], h.SD[i][j] = m, sd
			var be []float64
			for _, r := range c.Runs {
				if !r.Diverged {
					be = append(be, float64(r.BestEpoch))
				}
			}
			h.BestEpoch[i][j], _ = meanSD(be)
			h.Diverged[i][j] = div == len(c.Runs)
			h.Added[i][j] = c.Added
		}
	}
	return h
}

// levelWithBest marks the cells of h that a paired test on the validation
// set cannot separate from the best cell (level) and those it finds worse:
// each cell's seeds against the best cell's same seeds, unit by unit (the
// tiles of validation cells on the terrain, weighted by their cells; the
// validation images on the digits), by models.Compare, the function behind
// every comparison of the report. The best cell itself is in neither, nor
// is a cell with a diverged seed (it is never chosen, and not tested). Both
// are nil when the runs carry no validation units.
func (t *tuned) levelWithBest(h Heat, cfg models.CompareConfig) (level, worse [][]bool) {
	if _, _, _, ok := validationUnits(t.Cells[t.Best].Runs); !ok {
		return nil, nil
	}
	if t.cmp == nil {
		t.judge(cfg)
	}
	level, worse = boolGrid(len(h.Archs), len(h.LRs)), boolGrid(len(h.Archs), len(h.LRs))
	for i, a := range h.Archs {
		for j, lr := range h.LRs {
			k := cellKey{a, lr}
			if k == t.Best {
				continue
			}
			switch o, ok := t.outcome(k); {
			case ok && o == models.Level:
				level[i][j] = true
			case ok && o == models.Worse:
				worse[i][j] = true
			}
		}
	}
	return level, worse
}

// validationUnits says how the runs' validation scores are compared, unit
// by unit: the metric, the rows of a cell's runs (nil when a run lacks
// them) and the units' weights; ok is false when the runs carry none.
func validationUnits(runs []NetRun) (m models.Metric, rowsOf func([]NetRun) [][]float64, w []float64, ok bool) {
	if len(runs) == 0 {
		return 0, nil, nil, false
	}
	switch r := runs[0]; {
	case len(r.ValHit) > 0:
		n := len(r.ValHit)
		return models.Correct, func(rs []NetRun) [][]float64 {
			out := make([][]float64, len(rs))
			for s, r := range rs {
				if len(r.ValHit) != n {
					return nil
				}
				out[s] = make([]float64, n)
				for i, h := range r.ValHit {
					out[s][i] = float64(h)
				}
			}
			return out
		}, nil, true
	case len(r.ValBlockSE) > 0:
		n := len(r.ValBlockSE)
		return models.SquaredError, func(rs []NetRun) [][]float64 {
			out := make([][]float64, len(rs))
			for s, r := range rs {
				if len(r.ValBlockSE) != n {
					return nil
				}
				out[s] = r.ValBlockSE
			}
			return out
		}, r.ValBlockN, true
	}
	return 0, nil, nil, false
}

func boolGrid(r, c int) [][]bool {
	g := make([][]bool, r)
	for i := range g {
		g[i] = make([]bool, c)
	}
	return g
}

// parallelSeeds runs fn for every seed on up to GOMAXPROCS goroutines and
// returns the results in seed order (each seed's result depends only on
// its seed, so the order of work does not matter).
//
//repro:allow runtime.GOMAXPROCS sets the number of workers only; each seed's result goes to its own slot
func parallelSeeds[T any](c pipeline.Ctx, seeds []uint64, fn func(seed uint64) (T, error)) ([]T, error) {
	out := make([]T, len(seeds))
	errs := make([]error, len(seeds))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, s := range seeds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if c != nil && c.Err() != nil {
				errs[i] = c.Err()
				return
			}
			out[i], errs[i] = fn(s)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sig3(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.3g", x)
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return fmt.Sprintf("%s and %s", joinComma(xs[:len(xs)-1]), xs[len(xs)-1])
}

func joinComma(xs []string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}
