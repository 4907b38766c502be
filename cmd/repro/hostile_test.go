package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	proj "github.com/repro-dev/repro/project"
)

// The hostile-input tests: local input that is not what it should be gets a
// clear error at once, before anything grows (issue 13, section 3).

// runReproWithin runs repro and fails the test if it is still running after
// limit (it is killed then).
func runReproWithin(t *testing.T, limit time.Duration, dir string, env []string, args ...string) result {
	t.Helper()
	l := startRepro(t, dir, env, args...)
	limit = slowLimit(limit)
	timer := time.AfterFunc(limit, func() { l.cmd.Process.Kill() })
	t0 := time.Now()
	r := l.wait(t)
	if !timer.Stop() {
		t.Fatalf("repro %s still running after %v: killed\n%s", strings.Join(args, " "), time.Since(t0).Round(time.Millisecond), r.stderr)
	}
	return r
}

// TestDataFileMustBeRegular: a data file that is a named pipe, a device or a
// directory fails its stage at once, naming the file (before, a pipe hung in
// open(2) and /dev/zero was read until the OOM killer came, both deaf to
// Ctrl-C).
func TestDataFileMustBeRegular(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "data", "fifo.npz"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "data", "dir.npz"), 0o755)
	for _, tc := range []struct{ file, want string }{
		{"data/fifo.npz", "data/fifo.npz: a named pipe (FIFO), not a regular file"},
		{"/dev/zero", "/dev/zero: a character device, not a regular file"},
		{"data/dir.npz", "data/dir.npz: a directory, not a regular file"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			for _, cmd := range [][]string{{"run", "terrain/load"}, {"status", "terrain/load"}} {
				r := runReproWithin(t, 20*time.Second, dir, nil, append(cmd, "--profile", "quick", "--set", "terrain.file="+tc.file)...)
				if r.code != 1 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "terrain/load") {
					t.Errorf("repro %s: exit %d, want 1 and an error naming terrain/load and %q:\n%s", cmd[0], r.code, tc.want, r.stderr)
				}
			}
		})
	}
}

// TestSpecialFileAsLockIsRefused: the profile's lock file a named pipe with
// no writer is an error at once naming it, not a read that waits.
func TestSpecialFileAsLockIsRefused(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "repro.quick.lock"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status", "--profile", "quick"}, {"run", "--profile", "quick"}} {
		l := startRepro(t, dir, nil, args...)
		exited := make(chan result, 1)
		go func() { exited <- l.wait(t) }()
		select {
		case r := <-exited:
			if r.code != 1 || !strings.Contains(r.stderr, "repro.quick.lock: a named pipe (FIFO), not a regular file") {
				t.Errorf("%s: exit %d, want 1 and an error naming repro.quick.lock:\n%s", args[0], r.code, r.stderr)
			}
		case <-time.After(slowLimit(20 * time.Second)):
			l.cmd.Process.Kill()
			t.Fatalf("%s: still running after %v", args[0], slowLimit(20*time.Second))
		}
	}
}

// TestSecondInterruptExitsAtOnce: Ctrl-C always works. The first asks the
// command to stop; if something does not (here a process of the test
// binary that waits forever after it, as a read of a special file would),
// the second exits at once with code 130.
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), stuckHelperEnv+"=1")
	var stderr lockedWriter
	cmd.Stderr = &stderr
	ready, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := ready.Read(make([]byte, 1)); err != nil { // the helper listens for signals
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		t.Fatalf("the helper exited after the first Ctrl-C (%v); it should not\n%s", err, stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	t0 := time.Now()
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(stderr.String(), "interrupted again: exiting now") {
			t.Errorf("exit %v, want 130 and a message\n%s", err, stderr.String())
		}
		t.Logf("exited %v after the second Ctrl-C", time.Since(t0).Round(time.Millisecond))
	case <-time.After(slowLimit(5 * time.Second)):
		cmd.Process.Kill()
		t.Fatalf("still running %v after the second Ctrl-C", slowLimit(5*time.Second))
	}
}

// stuckHelperEnv makes the test binary a command that ignores the first
// Ctrl-C (TestSecondInterruptExitsAtOnce).
const stuckHelperEnv = "TEST_REPRO_STUCK_HELPER"

// stuckHelper listens for Ctrl-C as repro does, says it is ready, and then
// never returns: only the second Ctrl-C ends it.
func stuckHelper() {
	ctx, _ := proj.Interruptible()
	os.Stdout.Write([]byte{'\n'})
	<-ctx.Done()
	select {}
}

// TestHostileConfigurationAtTheCLI: bad configuration exits 2 with one
// message naming the source and the key, quickly and with little memory,
// never through one of Go's fatal errors (out of memory, stack exhaustion),
// whose exit code 2 would look like ours. Before, some of these ran out of
// memory while declaring the stages or drawing the schedule.
func TestHostileConfigurationAtTheCLI(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	lrs := make([]string, 400)
	for i := range lrs {
		lrs[i] = fmt.Sprint(float64(i+1) / 1000)
	}
	archs := make([]string, 300)
	for i := range archs {
		archs[i] = fmt.Sprintf("64x%dx10", i+1)
	}
	bigGrid := []string{"--set", "neural_classification.learning_rates=[" + strings.Join(lrs, ",") + "]",
		"--set", "neural_classification.architectures=[" + strings.Join(archs, ",") + "]"}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"a grid of 960,000 stages", append([]string{"dag"}, bigGrid...), nil,
			"grid points, more than the limit of 10,000 stages (raise it with --max-stages if you mean it); the grids multiply: neural/classification: neural_classification.outputs (2) x neural_classification.activations (2) x neural_classification.architectures (300) x neural_classification.learning_rates (400) x seeds (2) = 960,000"},
		{"status on the same grid", append([]string{"status"}, bigGrid...), nil, "the parameters declare 960,"},
		{"run on the same grid", append([]string{"run"}, bigGrid...), nil, "the parameters declare 960,"},
		{"a negative --max-stages", []string{"dag", "--max-stages", "-1"}, nil, "--max-stages -1: want a positive number"},
		{"beta runs", []string{"dag", "--set", "linear_sgd.beta_runs=200000000"}, nil, "linear_sgd.beta_runs = 200000000: must be at most 1000"},
		{"schedule steps", []string{"run", "figures/schedule", "--set", "schedule.steps=9223372036854775807"}, nil, "schedule.steps = 9223372036854775807: must be at most 1000000000"},
		{"a network of 17 layers of 4096", []string{"run", "--set", "neural_regression.architectures=[2" + strings.Repeat("x4096", 16) + "x1]"}, nil, "weights and biases: want at most 16777216"},
		{"terrain window", []string{"dag", "--set", "terrain.window=9223372036854775807"}, nil, "terrain.window = 9223372036854775807: must be at most 65536"},
		{"deep nesting", []string{"dag", "--set", "terrain.degree=" + strings.Repeat("[", 60_000) + strings.Repeat("]", 60_000)}, nil, "exceeded max depth"},
		{"empty --set", []string{"dag", "--set", "terrain.degree="}, nil, `--set: terrain.degree = "": no value`},
		{"empty environment variable", []string{"dag"}, []string{"REPRO_TERRAIN_DEGREE="}, `REPRO_TERRAIN_DEGREE: terrain.degree = "": no value`},
		{"relative file URL", []string{"run", "--set", "store.remote=file://relative/path"}, nil, "want an absolute directory: file:///absolute/path"},
		{"profile with a path", []string{"status", "--profile", "../quick"}, nil, `--profile: profile = "../quick": want a plain name`},
		{"profile with a path from the environment", []string{"diff"}, []string{"REPRO_PROFILE=/etc/x"}, `profile = "/etc/x": want a plain name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !slices.Contains(args, "--profile") && !slices.ContainsFunc(tc.env, func(s string) bool { return strings.HasPrefix(s, "REPRO_PROFILE=") }) {
				args = append(args, "--profile", "quick")
			}
			t0 := time.Now()
			r := runReproWithin(t, 20*time.Second, dir, tc.env, args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want 2 and %q:\n%.2000s", r.code, tc.want, r.stderr)
			}
			if strings.Contains(r.stderr, "fatal error") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("a Go fatal error:\n%.2000s", r.stderr)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
				t.Errorf("want one line of error, got:\n%.2000s", r.stderr)
			}
			if d := time.Since(t0); d > slowLimit(5*time.Second) {
				t.Errorf("took %v", d)
			}
		})
	}
	// The limit can be raised: 12,000 grid points of Ridge by SGD declared
	// and listed (and as many of the same grid on OLS).
	many := make([]string, 3000)
	for i := range many {
		many[i] = fmt.Sprint(float64(i+1) / 1e6)
	}
	args := []string{"dag", "--profile", "quick", "--set", "linear_sgd.learning_rates=[" + strings.Join(many, ",") + "]", "--set", "linear_sgd.batch_sizes=[10,20]"}
	if r := runReproWithin(t, 30*time.Second, dir, nil, args...); r.code != 2 || !strings.Contains(r.stderr, "linear/sgd: linear_sgd.batch_sizes (2) x linear_sgd.learning_rates (3000) x seeds (2) = 12,000") {
		t.Errorf("over the default limit: exit %d\n%.1000s", r.code, r.stderr)
	}
	r := runReproWithin(t, 30*time.Second, dir, nil, append(args, "--max-stages", "30000")...)
	if n := strings.Count(r.stdout, "\nlinear/sgd/batch="); r.code != 0 || n != 12_000 {
		t.Errorf("--max-stages 30000: exit %d, %d grid points listed\n%.1000s", r.code, n, r.stderr)
	}
}

// TestParamStringsAreEscapedInTheReport: strings from the parameters reach
// the report (the title, the data files' paths, the parameters appendix);
// markup in them comes out as text. Before, a backtick in a data file's
// path closed its code span and the raw HTML after it went through.
func TestParamStringsAreEscapedInTheReport(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	digits := "data/d`<img src=x onerror=alert(2)>`.csv.gz"
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(digits)), readFile(t, dir, "data/digits.csv.gz"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The last part would be a number's provenance mark (report.Mark) if
	// a parameter could carry one into the report.
	title := "<script>alert(1)</script> & `code` $x$ @fig:dag \ue000forged\ue0010.5\ue002"
	r := runReproWithin(t, 5*time.Minute, dir, nil, "run", "--profile", "quick", "--set", "report.title="+title, "--set", "digits.file="+digits)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	html := string(readFile(t, dir, "artifacts/report.html"))
	for _, bad := range []string{"<script>alert(1)", "<img src=x onerror", `data-prov="forged"`} {
		if strings.Contains(html, bad) {
			i := strings.Index(html, bad)
			t.Errorf("the report holds %q: ...%s...", bad, html[max(0, i-200):min(len(html), i+100)])
		}
	}
	for _, want := range []string{
		"<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; `code` $x$ @fig:dag ",
		"@fig:dag \ufffdforged\ufffd0.5\ufffd", // in the parameters' block, as text
		"<code>data/d`&lt;img src=x onerror=alert(2)&gt;`.csv.gz</code>",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the report does not hold %q", want)
		}
	}
}

// TestReadOnlyStoreOneMessage: run on a store it cannot write fails at once
// with one message naming the store (before, every stage was served, then
// "open .../state/.tmp-quick.json-920823580: read-only file system");
// status, show and verify still read it.
func TestReadOnlyStoreOneMessage(t *testing.T) {
	t.Parallel()
	dir := warmProject(t)
	store := filepath.Join(dir, "artifacts")
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "--bind", "-o", "ro", store, store).CombinedOutput(); err != nil {
			t.Skipf("cannot bind-mount read-only (%v: %s)", err, strings.TrimSpace(string(out)))
		}
		exec.Command("mount", "-o", "remount,ro,bind", store).Run()
		t.Cleanup(func() { exec.Command("umount", "-l", store).Run() })
	} else {
		filepath.WalkDir(store, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o555)
			}
			return nil
		})
		t.Cleanup(func() {
			filepath.WalkDir(store, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					os.Chmod(p, 0o755)
				}
				return nil
			})
		})
	}
	r := runReproWithin(t, time.Minute, dir, nil, "run", "--profile", "quick")
	want := "repro: store " + store + " is read-only: cannot write a file in its top directory: "
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !strings.HasPrefix(l, "repro: warning: ") {
			lines = append(lines, l)
		}
	}
	if r.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Errorf("run: exit %d, want 1 and one line starting %q:\n%s", r.code, want, r.stderr)
	}
	for _, args := range [][]string{{"status", "--profile", "quick"}, {"verify", "--profile", "quick"}, {"show", "--profile", "quick", "report"}} {
		if r := runReproWithin(t, time.Minute, dir, nil, args...); r.code != 0 {
			t.Errorf("%s on a read-only store: exit %d\n%s", args[0], r.code, r.stderr)
		}
	}
}

// TestFullStoreNamesStageAndObjectAtTheCLI: a store on a full disk fails
// the first stage that cannot write, naming it, the store and the object.
func TestFullStoreNamesStageAndObjectAtTheCLI(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	store := filepath.Join(dir, "small-store")
	os.Mkdir(store, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", store).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", store).Run() })
	r := runReproWithin(t, 2*time.Minute, dir, nil, "run", "--profile", "quick", "--store", store, "-j", "1")
	re := regexp.MustCompile(`repro: stage (\S+): store ` + regexp.QuoteMeta(store) + ` is full: cannot write (object [0-9a-f]{12} \(output "[^"]+"\)|the run record of key [0-9a-f]{12}|the export \S+): no space left on device`)
	if r.code != 1 || !re.MatchString(r.stderr) {
		t.Errorf("exit %d, want 1 and a line matching %s:\n%s", r.code, re, r.stderr)
	}
}
