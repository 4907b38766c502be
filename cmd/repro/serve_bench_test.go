package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// BenchmarkServeTemplateEdit measures what a writer waits for after saving
// a template: from the write of templates/report.md to the event that makes
// an open page reload (a "state" event carrying the new report's version),
// with repro serve of the quick profile running warm in its own process.
// Each iteration writes a new sentence, so the report stage runs each time.
// It reports the median and the 90th percentile in milliseconds; the first
// edit after the server started is reported apart (first-ms), because the
// first run of the report stage in a process is slower.
//
//	go test ./cmd/repro -run '^$' -bench ServeTemplateEdit -benchtime 10x
func BenchmarkServeTemplateEdit(b *testing.B) {
	dir := serveBenchProject(b)
	sp := startServe(b, dir, "--profile", "quick")
	sp.waitRuns(b, 1, 3*time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	views := sseViews(b, ctx, strings.TrimSuffix(sp.url, "/"))
	version := (<-views).Version
	tmpl := filepath.Join(dir, "templates", "report.md")
	orig, err := os.ReadFile(tmpl)
	if err != nil {
		b.Fatal(err)
	}
	edit := func(i int) time.Duration {
		b.Helper()
		src := append(slices.Clip(orig), fmt.Sprintf("\nA sentence written by the benchmark, number %d.\n", i)...)
		if err := os.WriteFile(tmpl, src, 0o644); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		timeout := time.After(time.Minute)
		for {
			select {
			case v, ok := <-views:
				if !ok {
					b.Fatalf("the event stream ended\n%s", sp.logText())
				}
				if v.Error != nil {
					b.Fatalf("edit %d: %s: %s", i, v.Error.Stage, v.Error.Message)
				}
				if v.Version != "" && v.Version != version {
					version = v.Version
					return time.Since(t0)
				}
			case <-timeout:
				b.Fatalf("edit %d: no reload within a minute\n%s", i, sp.logText())
			}
		}
	}
	first := edit(0)
	pid := sp.cmd.Process.Pid
	b.ResetTimer()
	ds := make([]time.Duration, 0, b.N)
	var cpus, waits []time.Duration
	for i := 0; i < b.N; i++ {
		cpu0, wait0, ok0 := schedTimes(pid)
		ds = append(ds, edit(i+1))
		if cpu1, wait1, ok1 := schedTimes(pid); ok0 && ok1 {
			cpus, waits = append(cpus, cpu1-cpu0), append(waits, wait1-wait0)
		}
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	median := func(xs []time.Duration) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return ms(xs[len(xs)/2])
	}
	b.ReportMetric(median(ds), "median-ms")
	slices.Sort(ds)
	b.ReportMetric(ms(ds[(len(ds)*9)/10]), "p90-ms")
	b.ReportMetric(ms(first), "first-ms")
	if len(cpus) == len(ds) {
		// On a shared machine the latency includes the time the server
		// waited for a CPU: its threads' CPU time, and their time runnable
		// but waiting, per edit (Linux schedstat).
		b.ReportMetric(median(cpus), "cpu-ms")
		b.ReportMetric(median(waits), "runqueue-ms")
	}
}

// schedTimes sums, over the threads of process pid, the time on a CPU and
// the time runnable but waiting for one (/proc/PID/task/*/schedstat).
func schedTimes(pid int) (cpu, wait time.Duration, ok bool) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, 0, false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		var run, wt int64
		if _, err := fmt.Sscan(string(b), &run, &wt); err == nil {
			cpu += time.Duration(run)
			wait += time.Duration(wt)
		}
	}
	return cpu, wait, true
}

// serveBenchProject is a writer's project without the Go source: the
// parameters, the data and the templates (KaTeX linked in when installed).
func serveBenchProject(tb testing.TB) string {
	tb.Helper()
	src, err := filepath.Abs("../..")
	if err != nil {
		tb.Fatal(err)
	}
	dst := tb.TempDir()
	for _, d := range []string{"data", "templates"} {
		err := filepath.WalkDir(filepath.Join(src, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || strings.HasSuffix(p, ".go") {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755)
			return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range []string{"params.yaml", "params.quick.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			tb.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, f), b, 0o644)
	}
	if _, err := os.Stat(filepath.Join(src, "node_modules")); err == nil {
		os.Symlink(filepath.Join(src, "node_modules"), filepath.Join(dst, "node_modules"))
	}
	return dst
}

// benchShownJS runs in every document of the benchmark's tab: at the first
// frame after the page changed (or loaded), it notes the time (the same
// clock as the test's) and the number of the benchmark's sentence in the
// page.
const benchShownJS = `document.addEventListener('DOMContentLoaded', () => {
	const note = () => requestAnimationFrame(() => {
		const m = document.body.textContent.match(/written by the benchmark, number (\d+)\./);
		const n = m ? +m[1] : -1;
		const last = JSON.parse(sessionStorage.getItem('repro-bench-shown') || '{"n": -2}');
		if (last.n !== n) sessionStorage.setItem('repro-bench-shown', JSON.stringify({t: Date.now(), n: n}));
	});
	note();
	new MutationObserver(note).observe(document.body, {childList: true, subtree: true, characterData: true});
});`

// BenchmarkServeTemplateEditBrowser is BenchmarkServeTemplateEdit as the
// writer sees it: from the write of templates/report.md to the first frame
// of the page with the new sentence, in headless chromium (the page of the
// quick profile is 2.5 MB, with its fonts and figures, and is updated in
// place).
//
//	go test ./cmd/repro -run '^$' -bench ServeTemplateEditBrowser -benchtime 10x
func BenchmarkServeTemplateEditBrowser(b *testing.B) {
	exe := findChromium(b)
	dir := serveBenchProject(b)
	sp := startServe(b, dir, "--profile", "quick")
	sp.waitRuns(b, 1, 3*time.Minute)
	ctx, _ := offlineBrowser(b, exe, &pageEvents{}, 10*time.Minute, "127.0.0.1")
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: benchShownJS}); err != nil {
		b.Fatalf("Page.addScriptToEvaluateOnNewDocument: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(sp.url)); err != nil {
		b.Fatalf("opening %s: %v", sp.url, err)
	}
	tmpl := filepath.Join(dir, "templates", "report.md")
	orig, err := os.ReadFile(tmpl)
	if err != nil {
		b.Fatal(err)
	}
	type shown struct {
		T int64 `json:"t"`
		N int   `json:"n"`
	}
	edit := func(i int) time.Duration {
		b.Helper()
		src := append(slices.Clip(orig), fmt.Sprintf("\nA sentence written by the benchmark, number %d.\n", i)...)
		t0 := time.Now()
		if err := os.WriteFile(tmpl, src, 0o644); err != nil {
			b.Fatal(err)
		}
		deadline := t0.Add(time.Minute)
		for time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem('repro-bench-shown') || ''`))
			if err != nil || s == "" {
				continue // reloading
			}
			var v shown
			if err := json.Unmarshal([]byte(s), &v); err == nil && v.N == i {
				return time.UnixMilli(v.T).Sub(t0)
			}
		}
		b.Fatalf("edit %d: the page did not show it within a minute\n%s", i, sp.logText())
		return 0
	}
	edit(0)
	b.ResetTimer()
	ds := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		ds = append(ds, edit(i+1))
	}
	b.StopTimer()
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(ds[len(ds)/2]), "median-ms")
	b.ReportMetric(ms(ds[(len(ds)*9)/10]), "p90-ms")
}
