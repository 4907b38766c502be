package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile-input tests: local input that is not what it should be gets a
// clear error at once, before anything grows (issue 13, section 3).

// runReproWithin runs repro and fails the test if it is still running after
// limit (it is killed then).
func runReproWithin(t *testing.T, limit time.Duration, dir string, env []string, args ...string) result {
	t.Helper()
	l := startRepro(t, dir, env, args...)
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

// TestSecondInterruptExitsAtOnce: Ctrl-C always works. A file that blocks
// (here the profile's lock file is a named pipe with no writer) is either
// refused at once, or the first Ctrl-C asks the command to stop and the
// second exits at once with code 130, whatever is running.
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	dir := copyProject(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "repro.quick.lock"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := startRepro(t, dir, nil, "status", "--profile", "quick")
	exited := make(chan result, 1)
	go func() { exited <- l.wait(t) }()
	select {
	case r := <-exited:
		if r.code != 1 || !strings.Contains(r.stderr, "repro.quick.lock") {
			t.Fatalf("exit %d, want a stuck command or a quick error naming repro.quick.lock:\n%s", r.code, r.stderr)
		}
		return
	case <-time.After(3 * time.Second):
	}
	l.cmd.Process.Signal(os.Interrupt)
	time.Sleep(200 * time.Millisecond)
	t0 := time.Now()
	l.cmd.Process.Signal(os.Interrupt)
	select {
	case r := <-exited:
		if r.code != 130 || !strings.Contains(r.stderr, "interrupted again: exiting now") {
			t.Errorf("exit %d, want 130 and a message\n%s", r.code, r.stderr)
		}
		t.Logf("exited %v after the second Ctrl-C", time.Since(t0).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		l.cmd.Process.Kill()
		t.Fatal("still running 5 s after the second Ctrl-C")
	}
}
