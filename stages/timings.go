package stages

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
)

// MethodTimings is the table of epochs and wall-clock time to the best
// validation error of each method, digits and terrain, from the stored
// results (epochs) and the timings recorded by the runs that computed each
// stage (seconds): a fully cached run reports them too.
//
// Building it decodes every stage's result, about half of a no-op run's
// time on the default profile; so it is kept in the store's state, keyed by
// the lock's bytes and the timing files it reads.
func (r RunExport) MethodTimings() string {
	lockBytes, err := pipeline.ReadRegularFile(r.LockPath, pipeline.MaxStateFileBytes, "a lock file")
	if err != nil {
		return ""
	}
	lock, err := pipeline.ParseLock(r.LockPath, lockBytes)
	if err != nil {
		return ""
	}
	h := sha256.New()
	h.Write(lockBytes)
	for _, name := range slices.Sorted(maps.Keys(lock.Stages)) {
		if fi, err := os.Stat(session.TimingPath(r.Store.Dir, lock.Stages[name].Key)); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", name, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	memo := filepath.Join(r.Store.Dir, "state", "method-timings-"+r.Profile+".html")
	key := "<!-- " + hex.EncodeToString(h.Sum(nil)) + " -->\n"
	if b, err := pipeline.ReadRegularFile(memo, pipeline.MaxStateFileBytes, "a kept table"); err == nil && strings.HasPrefix(string(b), key) {
		return strings.TrimPrefix(string(b), key)
	}
	out := r.buildMethodTimings(lock)
	_ = pipeline.WriteFileAtomic(memo, []byte(key+out))
	return out
}

func (r RunExport) buildMethodTimings(lock *pipeline.Lock) string {
	load := func(stage string) ([]byte, error) {
		ls, ok := lock.Stages[stage]
		if !ok {
			return nil, fmt.Errorf("%s is not in the lock", stage)
		}
		return r.Store.Get(ls.Outputs["value"])
	}
	names := make([]string, 0, len(lock.Stages))
	for n := range lock.Stages {
		names = append(names, n)
	}
	ms, err := Methods(load, names)
	if err != nil {
		return ""
	}
	machines := map[string]bool{}
	jobs := map[int]bool{}
	var t strings.Builder
	t.WriteString("<table class=\"timings\" id=\"method-timings\"><caption>Epochs and wall-clock time to the best validation error of each method, per seed (mean over seeds), as measured by the run that computed each stage; time to best = the stage's wall time × best epoch / epochs run. A stage computes one seed of one configuration, a grid point or a cell the refinement added.</caption>")
	t.WriteString("<thead><tr><th>data</th><th>method</th><th style=\"text-align:right\">epoch of best validation error</th><th style=\"text-align:right\">epochs run</th><th style=\"text-align:right\">wall time per seed (s)</th><th style=\"text-align:right\">time to best (s)</th></tr></thead><tbody>\n")
	for _, m := range ms {
		var be, er, wall, tb float64
		timed, missing := 0, 0
		for i, s := range m.Stages {
			if i < len(m.BestEpoch) {
				be += float64(m.BestEpoch[i])
				er += float64(m.EpochsRun[i])
			}
			ls, ok := lock.Stages[s]
			if !ok {
				missing++ // a stage this lock does not hold
				continue
			}
			tm, ok := session.ReadTiming(r.Store.Dir, ls.Key)
			if !ok {
				continue
			}
			timed++
			machines[tm.Machine.String()] = true
			jobs[tm.Jobs] = true
			wall += tm.Seconds
			if i < len(m.EpochsRun) && m.EpochsRun[i] > 0 {
				tb += tm.Seconds * float64(m.BestEpoch[i]) / float64(m.EpochsRun[i])
			} else {
				tb += tm.Seconds
			}
		}
		n := float64(max(len(m.BestEpoch), 1))
		w, b := "not measured here", "—"
		if missing == len(m.Stages) {
			w = "not in this run"
		}
		if timed > 0 {
			w = fmt.Sprintf("%.2f", wall/float64(timed))
			b = fmt.Sprintf("%.2f", tb/float64(timed))
		}
		bes, ers := "—", "—"
		if len(m.BestEpoch) > 0 {
			bes, ers = fmt.Sprintf("%.1f", be/n), fmt.Sprintf("%.1f", er/n)
		}
		fmt.Fprintf(&t, "<tr><td>%s</td><td>%s</td><td style=\"text-align:right\">%s</td><td style=\"text-align:right\">%s</td><td style=\"text-align:right\">%s</td><td style=\"text-align:right\">%s</td></tr>\n",
			html.EscapeString(m.Data), html.EscapeString(m.Name), bes, ers, w, b)
	}
	t.WriteString("</tbody></table>\n")
	var ml []string
	for m := range machines {
		ml = append(ml, m)
	}
	sort.Strings(ml)
	var jl []string
	for j := range jobs {
		jl = append(jl, fmt.Sprint(j))
	}
	sort.Strings(jl)
	where := "<p class=\"machine\">No timing was recorded on this store for these stages (they were computed elsewhere and pulled).</p>\n"
	if len(ml) > 0 {
		where = fmt.Sprintf("<p class=\"machine\">Measured on %s, with %s stage%s run at once.</p>\n", html.EscapeString(strings.Join(ml, "; ")), strings.Join(jl, " or "), stagesPlural(jl))
	}
	return t.String() + where
}

func stagesPlural(xs []string) string {
	if len(xs) == 1 && xs[0] == "1" {
		return ""
	}
	return "s"
}
