package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/repro-dev/repro/pipeline"
)

// progress shows the run: on a terminal, live bars (stages done/total with
// elapsed time, and one bar per running stage with its own progress); on
// anything else, one plain line per finished stage and a line per running
// stage at most every 10 seconds.
type progress struct {
	w     io.Writer
	total int
	start time.Time

	mu      sync.Mutex
	done    int
	p       *mpb.Progress
	overall *mpb.Bar
	bars    map[string]*mpb.Bar
	last    map[string]time.Time
}

func newProgress(w *os.File, total int) *progress {
	pr := &progress{w: w, total: total, start: time.Now(), bars: map[string]*mpb.Bar{}, last: map[string]time.Time{}}
	if term.IsTerminal(int(w.Fd())) && os.Getenv("TERM") != "dumb" {
		pr.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
		pr.overall = pr.p.AddBar(int64(total),
			mpb.BarPriority(0),
			mpb.PrependDecorators(decor.Name("stages ", decor.WC{W: 28, C: decor.DindentRight}), decor.CountersNoUnit("%d/%d")),
			mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)),
		)
	}
	return pr
}

func (pr *progress) observe(ev pipeline.Event) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.p == nil {
		pr.plain(ev)
		return
	}
	switch ev.Kind {
	case pipeline.EventStart:
		pr.bars[ev.Stage] = pr.p.AddBar(1, mpb.BarPriority(1+len(pr.bars)), mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(decor.Name(shorten(ev.Stage, 28), decor.WC{W: 29, C: decor.DindentRight}), decor.Percentage()),
			mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)))
	case pipeline.EventProgress:
		if b := pr.bars[ev.Stage]; b != nil && ev.Total > 0 {
			b.SetTotal(int64(ev.Total), false)
			b.SetCurrent(int64(ev.Done))
		}
	case pipeline.EventDone, pipeline.EventFailed:
		if b := pr.bars[ev.Stage]; b != nil {
			if ev.Kind == pipeline.EventFailed {
				b.Abort(true)
			} else {
				b.SetTotal(-1, true)
			}
			delete(pr.bars, ev.Stage)
		}
		pr.overall.Increment()
		if ev.Kind == pipeline.EventFailed {
			pr.p.Write([]byte(fmt.Sprintf("FAILED %s: %v\n", ev.Stage, ev.Err)))
		}
	case pipeline.EventCached:
		pr.overall.Increment()
	case pipeline.EventWarning:
		pr.p.Write([]byte(fmt.Sprintf("warning: %s: %v\n", ev.Stage, ev.Err)))
	}
}

func (pr *progress) plain(ev pipeline.Event) {
	el := time.Since(pr.start).Seconds()
	switch ev.Kind {
	case pipeline.EventDone:
		pr.done++
		fmt.Fprintf(pr.w, "[%d/%d %5.1fs] ran    %s (%.2fs)\n", pr.done, pr.total, el, ev.Stage, ev.Elapsed.Seconds())
	case pipeline.EventCached:
		pr.done++
		word := "cached"
		if ev.Pulled {
			word = "pulled" // downloaded from the remote store
		}
		fmt.Fprintf(pr.w, "[%d/%d %5.1fs] %s %s\n", pr.done, pr.total, el, word, ev.Stage)
	case pipeline.EventFailed:
		pr.done++
		fmt.Fprintf(pr.w, "[%d/%d %5.1fs] FAILED %s: %v\n", pr.done, pr.total, el, ev.Stage, ev.Err)
	case pipeline.EventWarning:
		fmt.Fprintf(pr.w, "warning: %s: %v\n", ev.Stage, ev.Err)
	case pipeline.EventProgress:
		if time.Since(pr.last[ev.Stage]) >= 10*time.Second && ev.Elapsed >= 10*time.Second {
			pr.last[ev.Stage] = time.Now()
			fmt.Fprintf(pr.w, "[%d/%d %5.1fs] ...    %s %d/%d\n", pr.done, pr.total, el, ev.Stage, ev.Done, ev.Total)
		}
	case pipeline.EventStart:
		pr.last[ev.Stage] = time.Now()
	}
}

func (pr *progress) finish() {
	if pr.p != nil {
		pr.overall.SetTotal(-1, true)
		for _, b := range pr.bars {
			b.Abort(true)
		}
		pr.p.Wait()
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}
