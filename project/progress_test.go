package project

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

// Outside a terminal: a line per stage that ran or failed, none per cached
// stage (-v adds them, -q leaves failures and warnings).
func TestProgressPlain(t *testing.T) {
	events := []pipeline.Event{
		{Kind: pipeline.EventCached, Stage: "terrain/load"},
		{Kind: pipeline.EventStart, Stage: "linear/ols"},
		{Kind: pipeline.EventDone, Stage: "linear/ols", Elapsed: 1500 * time.Millisecond},
		{Kind: pipeline.EventCached, Stage: "digits/load", Pulled: true},
		{Kind: pipeline.EventWarning, Stage: "digits/split", Err: errors.New("cache entry unusable")},
		{Kind: pipeline.EventFailed, Stage: "report", Err: errors.New("boom")},
	}
	for _, tc := range []struct {
		verbose, quiet bool
		want           []string
	}{
		{false, false, []string{"] ran    linear/ols (1.50s)", "warning: digits/split: cache entry unusable", "] FAILED report: boom"}},
		{true, false, []string{"] cached terrain/load", "] ran    linear/ols (1.50s)", "] pulled digits/load", "warning: digits/split: cache entry unusable", "] FAILED report: boom"}},
		{false, true, []string{"warning: digits/split: cache entry unusable", "] FAILED report: boom"}},
	} {
		var b bytes.Buffer
		pr := &progress{w: &b, total: 5, start: time.Now(), last: map[string]time.Time{}, verbose: tc.verbose, quiet: tc.quiet}
		for _, ev := range events {
			pr.Observe(ev)
		}
		pr.End()
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) != len(tc.want) {
			t.Errorf("verbose %v quiet %v: %d lines, want %d:\n%s", tc.verbose, tc.quiet, len(lines), len(tc.want), b.String())
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("verbose %v quiet %v: line %d = %q, want %q", tc.verbose, tc.quiet, i, lines[i], w)
			}
		}
	}
}

// Grid points are told apart by the segments that vary in their family.
func TestProgressNames(t *testing.T) {
	names := []string{
		"neural/regression/act=relu/arch=2x8x1/lr=0.1/seed=1",
		"neural/regression/act=relu/arch=2x8x1/lr=0.1/seed=2",
		"neural/regression/act=relu/arch=2x8x1/lr=0.01/seed=1",
		"neural/regression/act=relu/arch=2x8x1/lr=0.01/seed=2",
		"report",
	}
	short := distinguisher(names)
	for in, want := range map[string]string{
		names[0]: "neural/regression/…/lr=0.1/seed=1",
		names[3]: "neural/regression/…/lr=0.01/seed=2",
		"report": "report",
	} {
		if got := short(in); got != want {
			t.Errorf("distinguisher(%q) = %q, want %q", in, got, want)
		}
	}
	long := "neural/classification/out=softmax/act=sigmoid/arch=64x16x10/lr=0.3/seed=2"
	if got := abbreviateFamily(long, 60); got != "n/classification/out=softmax/act=sigmoid/arch=64x16x10/lr=0.3/seed=2" {
		t.Errorf("abbreviateFamily = %q", got)
	}
	if got := fitName(long, 30); len([]rune(got)) != 30 || !strings.HasPrefix(got, "neural/cl") || !strings.HasSuffix(got, "lr=0.3/seed=2") {
		t.Errorf("fitName = %q", got)
	}
	if got := groupNames([]string{"a", "b"}, 8); got != "2 stages: a, b" {
		t.Errorf("groupNames(few) = %q", got)
	}
	many := append(append([]string{}, names[:4]...), "linear/sgd/lr=0.1/seed=1", "figures/dag", "figures/confusion", "report", "linear/ols")
	if got := groupNames(many, 8); got != "9 stages: neural/regression (4), figures (2), linear/sgd, report, linear" {
		t.Errorf("groupNames(many) = %q", got)
	}
}

// The live display: an overall line with done/total, elapsed and an ETA
// from earlier timings, then one line per busy worker; queued stages are
// counted, not shown.
func TestProgressFrame(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	pr := &progress{total: 10, start: t0, jobs: 2, width: 100,
		estimate: map[string]float64{"a": 30, "b": 60, "c": 10, "d": 20},
		willRun:  map[string]bool{"a": true, "b": true, "c": true},
		short:    func(s string) string { return s },
	}
	pr.done = 4
	pr.slots = []*running{{stage: "a", started: t0.Add(10 * time.Second), done: 5, total: 10}, nil, {stage: "b", started: t0.Add(20 * time.Second)}}
	lines := pr.frame(t0.Add(30 * time.Second))
	// Left: a 30-20=10 s, b 60-10=50 s, c 10 s (d is fresh): 70 s over 2 workers.
	if !strings.Contains(lines[0], "4/10  0m30s  ETA 0m35s  (2 running, 4 queued)") {
		t.Errorf("overall line: %q", lines[0])
	}
	if len(lines) != 4 || !strings.Contains(lines[1], "1  a ") || !strings.Contains(lines[1], " 50% 0m20s") ||
		!strings.Contains(lines[2], "2  idle") || !strings.Contains(lines[3], "3  b ") || !strings.HasSuffix(lines[3], "0m10s") {
		t.Errorf("worker lines:\n%s", strings.Join(lines, "\n"))
	}
	// With no earlier timings there is no ETA.
	pr.estimate = nil
	if l := pr.frame(t0)[0]; strings.Contains(l, "ETA") {
		t.Errorf("an ETA without timings: %q", l)
	}
}
