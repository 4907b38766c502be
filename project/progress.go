package project

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
)

// progress shows a run.
//
// On a terminal it redraws a few lines in place: an overall bar with
// done/total, the elapsed time and an estimate of the time left (from the
// stage timings of earlier runs), then one line per worker with the stage it
// runs, named by the segments that tell it apart from its neighbours
// ("…/lr=0.1/seed=2"), and its own progress. Failures and warnings are
// printed above the live lines. At the end the live lines are cleared and
// one line names the stages that ran, grouped by family when many.
//
// Anything else (a CI log, a pipe) gets one line per stage that ran or
// failed, a line per long-running stage at most every 10 seconds, and no
// line per cached stage; verbose adds the cached ones, quiet leaves only
// failures and warnings.
type progress struct {
	w     io.Writer
	total int
	start time.Time

	// Set before the first event.
	verbose, quiet bool
	jobs           int                // workers: lines of the live display
	estimate       map[string]float64 // seconds a stage took when it last ran
	willRun        map[string]bool    // the stages expected to run (nil: unknown)
	short          func(string) string

	mu      sync.Mutex
	done    int
	last    map[string]time.Time
	live    bool // a terminal: redraw in place
	once    sync.Once
	stop    chan struct{}
	stopped chan struct{}
	drawn   int // lines of the live area on screen
	width   int
	slots   []*running // one per worker; nil when idle
	ran     []string
}

type running struct {
	stage       string
	started     time.Time
	done, total int
}

// NewProgress is the display of `repro run` on w (see progress) for total
// stages (Begin counts them again): every stage with verbose, only failures
// and warnings with quiet.
func NewProgress(w *os.File, total int, verbose, quiet bool) Display {
	pr := newProgress(w, total)
	pr.verbose, pr.quiet = verbose, quiet
	return pr
}

func newProgress(w *os.File, total int) *progress {
	pr := &progress{w: w, total: total, start: time.Now(), last: map[string]time.Time{}, short: func(s string) string { return s }}
	if term.IsTerminal(int(w.Fd())) && os.Getenv("TERM") != "dumb" {
		pr.live = true
		pr.width = 100
		if cols, _, err := term.GetSize(int(w.Fd())); err == nil && cols > 20 {
			pr.width = cols
		}
	}
	return pr
}

// Begin counts the stages and, on a terminal, reads how long each took
// when it last ran and which are expected to run, for the estimate of the
// time left, and how to shorten their names.
func (pr *progress) Begin(p *Project, sel []*pipeline.Stage) error {
	pr.total, pr.jobs, pr.start = len(sel), p.Engine.Jobs, time.Now()
	if pr.live {
		pr.estimate, pr.willRun = runEstimates(p, sel, p.Engine.Force)
		var names []string
		for _, s := range sel {
			names = append(names, s.Name)
		}
		pr.short = distinguisher(names)
	}
	return nil
}

// Observe shows one event of the engine.
func (pr *progress) Observe(ev pipeline.Event) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if !pr.live {
		pr.plain(ev)
		return
	}
	pr.once.Do(pr.startTicker)
	switch ev.Kind {
	case pipeline.EventStart:
		pr.slotStart(ev.Stage)
	case pipeline.EventProgress:
		if r := pr.slot(ev.Stage); r != nil {
			r.done, r.total = ev.Done, ev.Total
		}
	case pipeline.EventDone:
		pr.done++
		pr.ran = append(pr.ran, ev.Stage)
		pr.slotEnd(ev.Stage)
		if pr.verbose {
			pr.printAbove(fmt.Sprintf("ran    %s (%.2fs)", ev.Stage, ev.Elapsed.Seconds()))
		}
	case pipeline.EventFailed:
		pr.done++
		pr.slotEnd(ev.Stage)
		pr.printAbove(fmt.Sprintf("FAILED %s: %v", ev.Stage, ev.Err))
	case pipeline.EventCached:
		pr.done++
		if pr.verbose {
			pr.printAbove(fmt.Sprintf("%s %s", cachedWord(ev), ev.Stage))
		}
	case pipeline.EventWarning:
		pr.printAbove(fmt.Sprintf("warning: %s: %v", ev.Stage, ev.Err))
	}
}

func cachedWord(ev pipeline.Event) string {
	if ev.Pulled {
		return "pulled" // downloaded from the remote store
	}
	return "cached"
}

func (pr *progress) plain(ev pipeline.Event) {
	el := time.Since(pr.start).Seconds()
	switch ev.Kind {
	case pipeline.EventDone:
		pr.done++
		pr.ran = append(pr.ran, ev.Stage)
		if !pr.quiet {
			fmt.Fprintf(pr.w, "[%d/%d %5.1fs] ran    %s (%.2fs)\n", pr.done, pr.total, el, ev.Stage, ev.Elapsed.Seconds())
		}
	case pipeline.EventCached:
		pr.done++
		if pr.verbose {
			fmt.Fprintf(pr.w, "[%d/%d %5.1fs] %s %s\n", pr.done, pr.total, el, cachedWord(ev), ev.Stage)
		}
	case pipeline.EventFailed:
		pr.done++
		fmt.Fprintf(pr.w, "[%d/%d %5.1fs] FAILED %s: %v\n", pr.done, pr.total, el, ev.Stage, ev.Err)
	case pipeline.EventWarning:
		fmt.Fprintf(pr.w, "warning: %s: %v\n", ev.Stage, ev.Err)
	case pipeline.EventProgress:
		if !pr.quiet && time.Since(pr.last[ev.Stage]) >= 10*time.Second && ev.Elapsed >= 10*time.Second {
			pr.last[ev.Stage] = time.Now()
			fmt.Fprintf(pr.w, "[%d/%d %5.1fs] ...    %s %d/%d\n", pr.done, pr.total, el, ev.Stage, ev.Done, ev.Total)
		}
	case pipeline.EventStart:
		pr.last[ev.Stage] = time.Now()
	}
}

// ---- the live display ----

func (pr *progress) startTicker() {
	pr.stop, pr.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(pr.stopped)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-pr.stop:
				return
			case <-t.C:
				pr.mu.Lock()
				pr.redraw()
				pr.mu.Unlock()
			}
		}
	}()
}

func (pr *progress) slot(stage string) *running {
	for _, r := range pr.slots {
		if r != nil && r.stage == stage {
			return r
		}
	}
	return nil
}

func (pr *progress) slotStart(stage string) {
	r := &running{stage: stage, started: time.Now()}
	for i, s := range pr.slots {
		if s == nil {
			pr.slots[i] = r
			return
		}
	}
	pr.slots = append(pr.slots, r)
}

func (pr *progress) slotEnd(stage string) {
	for i, r := range pr.slots {
		if r != nil && r.stage == stage {
			pr.slots[i] = nil
		}
	}
}

// clear erases the live area.
func (pr *progress) clear() {
	if pr.drawn > 0 {
		fmt.Fprintf(pr.w, "\x1b[%dA\x1b[J", pr.drawn)
		pr.drawn = 0
	}
}

// printAbove prints a line above the live area.
func (pr *progress) printAbove(line string) {
	pr.clear()
	fmt.Fprintln(pr.w, line)
	pr.redraw()
}

func (pr *progress) redraw() {
	lines := pr.frame(time.Now())
	pr.clear()
	for _, l := range lines {
		fmt.Fprintf(pr.w, "%s\x1b[K\n", l)
	}
	pr.drawn = len(lines)
}

// frame is the live area at time now: the overall line, then one line per
// worker slot in use.
func (pr *progress) frame(now time.Time) []string {
	running := 0
	for _, r := range pr.slots {
		if r != nil {
			running++
		}
	}
	el := now.Sub(pr.start)
	head := fmt.Sprintf("stages %s %d/%d  %s", bar(float64(pr.done)/float64(max(1, pr.total)), 24), pr.done, pr.total, clock(el))
	if eta, ok := pr.eta(now); ok {
		head += "  ETA " + clock(eta)
	}
	if q := pr.total - pr.done - running; running > 0 || q > 0 {
		head += fmt.Sprintf("  (%d running, %d queued)", running, q)
	}
	lines := []string{head}
	// Trailing idle slots are dropped; idle slots between busy ones stay,
	// so that a worker's line does not jump.
	last := len(pr.slots) - 1
	for last >= 0 && pr.slots[last] == nil {
		last--
	}
	// The name column: as wide as the longest name shown, within the
	// terminal (the bar, percentage and time take 30 columns).
	nameW := 0
	for _, r := range pr.slots[:last+1] {
		if r != nil {
			nameW = max(nameW, len([]rune(pr.short(r.stage))))
		}
	}
	nameW = max(16, min(nameW, pr.width-32))
	for i := 0; i <= last; i++ {
		r := pr.slots[i]
		if r == nil {
			lines = append(lines, fmt.Sprintf("  %d  idle", i+1))
			continue
		}
		name := fitName(abbreviateFamily(pr.short(r.stage), nameW), nameW)
		l := fmt.Sprintf("  %d  %-*s ", i+1, nameW, name)
		if r.total > 0 {
			l += fmt.Sprintf("%s %3d%% ", bar(float64(r.done)/float64(r.total), 12), 100*r.done/r.total)
		} else {
			l += strings.Repeat(" ", 12+2+5)
		}
		l += clock(now.Sub(r.started))
		lines = append(lines, l)
	}
	return lines
}

// eta estimates the time left: the last-run durations of the stages still
// to run and of the remainder of the running ones, spread over the workers.
// It is known once some stage has a recorded duration.
func (pr *progress) eta(now time.Time) (time.Duration, bool) {
	if len(pr.estimate) == 0 {
		return 0, false
	}
	active := map[string]bool{}
	left := 0.0
	for _, r := range pr.slots {
		if r == nil {
			continue
		}
		active[r.stage] = true
		if e, ok := pr.estimate[r.stage]; ok {
			left += max(0, e-now.Sub(r.started).Seconds())
		}
	}
	done := map[string]bool{}
	for _, s := range pr.ran {
		done[s] = true
	}
	for s, e := range pr.estimate {
		if active[s] || done[s] || (pr.willRun != nil && !pr.willRun[s]) {
			continue
		}
		left += e
	}
	return time.Duration(left / float64(max(1, pr.jobs)) * float64(time.Second)), true
}

func bar(frac float64, width int) string {
	frac = min(1, max(0, frac))
	n := int(frac*float64(width) + 0.5)
	return "[" + strings.Repeat("█", n) + strings.Repeat("·", width-n) + "]"
}

func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}

// End stops the live display and, on a terminal, names the stages that
// ran.
func (pr *progress) End() {
	pr.mu.Lock()
	stop := pr.stop
	pr.mu.Unlock()
	if stop != nil {
		close(stop)
		<-pr.stopped
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if !pr.live {
		return
	}
	pr.clear()
	if len(pr.ran) > 0 && !pr.quiet {
		fmt.Fprintf(pr.w, "ran %s\n", groupNames(pr.ran, 8))
	}
}

// ---- names ----

// distinguisher returns a function that shortens a stage name to the
// segments that tell it apart among names: a "key=value" segment whose
// value is the same in every stage of its family is left out (as "…").
// "neural/regression/act=relu/arch=2x8x1/lr=0.1/seed=2" in a grid where
// only lr and seed vary becomes "neural/regression/…/lr=0.1/seed=2".
func distinguisher(names []string) func(string) string {
	// values[family+"\x00"+key] = the set of values seen
	values := map[string]map[string]bool{}
	for _, n := range names {
		fam, kvs := splitName(n)
		for _, kv := range kvs {
			k, v, _ := strings.Cut(kv, "=")
			m := values[fam+"\x00"+k]
			if m == nil {
				m = map[string]bool{}
				values[fam+"\x00"+k] = m
			}
			m[v] = true
		}
	}
	return func(n string) string {
		fam, kvs := splitName(n)
		if len(kvs) == 0 {
			return n
		}
		parts := []string{fam}
		elided := false
		for _, kv := range kvs {
			k, _, _ := strings.Cut(kv, "=")
			if len(values[fam+"\x00"+k]) <= 1 {
				elided = true
				continue
			}
			if elided && parts[len(parts)-1] != "…" {
				parts = append(parts, "…")
			}
			elided = false
			parts = append(parts, kv)
		}
		if elided {
			parts = append(parts, "…")
		}
		return strings.Join(parts, "/")
	}
}

// splitName splits a stage name into its family (the segments before the
// first "key=value" one) and its "key=value" segments.
func splitName(n string) (family string, kvs []string) {
	segs := strings.Split(n, "/")
	i := 0
	for i < len(segs) && !strings.Contains(segs[i], "=") {
		i++
	}
	return strings.Join(segs[:i], "/"), segs[i:]
}

// fitName cuts a name to width runes, keeping its start (the family) and
// its end (the distinguishing values), with "…" between.
func fitName(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	head := min(width/3, len(r))
	tail := width - head - 1
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// abbreviateFamily shortens the family segments of a name longer than
// width to their first letters, but for the last one:
// "neural/classification/out=softmax/..." becomes "n/classification/out=softmax/...".
func abbreviateFamily(s string, width int) string {
	if len([]rune(s)) <= width {
		return s
	}
	segs := strings.Split(s, "/")
	for i := 0; i+1 < len(segs) && !strings.Contains(segs[i+1], "=") && !strings.Contains(segs[i], "="); i++ {
		if r := []rune(segs[i]); len(r) > 1 && segs[i] != "…" {
			segs[i] = string(r[0])
		}
	}
	return strings.Join(segs, "/")
}

// groupNames lists names, grouped by family when more than limit: "5
// stages: a, b, c, d, e" or "120 stages: linear/sgd (40), neural/regression
// (72), figures (7), report".
func groupNames(names []string, limit int) string {
	n := fmt.Sprintf("%d %s: ", len(names), numfmt.Plural(len(names), "stage", "stages"))
	if len(names) <= limit {
		return n + strings.Join(names, ", ")
	}
	count := map[string]int{}
	var order []string
	for _, s := range names {
		fam, _ := splitName(s)
		if fam == s { // no key=value segments: group by the first segment
			fam, _, _ = strings.Cut(s, "/")
		}
		if count[fam] == 0 {
			order = append(order, fam)
		}
		count[fam]++
	}
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	parts := make([]string, len(order))
	for i, f := range order {
		parts[i] = f
		if count[f] > 1 {
			parts[i] = fmt.Sprintf("%s (%d)", f, count[f])
		}
	}
	return n + strings.Join(parts, ", ")
}

// runEstimates reads, for the progress display, how long each selected
// stage took when it last ran, and which stages are expected to run (not
// fresh against the lock; nil if that cannot be told).
func runEstimates(p *Project, sel []*pipeline.Stage, force bool) (map[string]float64, map[string]bool) {
	est := map[string]float64{}
	if st, err := session.ReadState(p.Store.Dir, p.Profile); err == nil {
		for _, s := range sel {
			if d := st.Stages[s.Name].LastRan(); d > 0 {
				est[s.Name] = d
			}
		}
	}
	if force {
		return est, nil
	}
	lock, err := pipeline.ReadLock(p.LockPath())
	if err != nil {
		return est, nil
	}
	sts, err := p.Engine.Status(sel, lock)
	if err != nil {
		return est, nil
	}
	will := map[string]bool{}
	for _, s := range sts {
		if s.State != pipeline.StateFresh {
			will[s.Stage] = true
		}
	}
	return est, will
}
