package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
