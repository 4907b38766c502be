package repro

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeIn runs make with the project's Makefile in a scratch directory,
// with PATH starting at bin (fake go and npm commands).
func makeIn(t *testing.T, dir, bin string, args ...string) (string, error) {
	t.Helper()
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), mk, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", append([]string{"-s"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func fakeCommand(t *testing.T, bin, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// The first build says what it is doing and how long it takes, and the go
// command's package list becomes progress lines; a failed build fails make
// and shows the compiler's errors (issue 27, item 1).
func TestMakeBuildIsNeverSilent(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir, bin := t.TempDir(), t.TempDir()
	// A go that compiles 30 packages in 12 s, as -v lists them, then one
	// package for 23 s, then links.
	fakeCommand(t, bin, "fakego", `i=0
while [ $i -lt 30 ]; do echo "example.com/pkg$i" >&2; i=$((i+1)); [ $((i % 5)) = 0 ] && sleep 2; done
sleep 23; echo example.com/big >&2
while [ $# -gt 0 ]; do [ "$1" = -o ] && mkdir -p "$(dirname "$2")" && : > "$2"; shift; done
`)
	out, err := makeIn(t, dir, bin, "build", "GO=fakego")
	if err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "building bin/repro: a first build compiles about 450 packages") {
		t.Errorf("the first line does not say what the build does:\n%s", out)
	}
	if !strings.Contains(out, "  compiled ") || strings.Contains(out, "example.com/pkg") {
		t.Errorf("want progress lines, not the package list:\n%s", out)
	}
	if !strings.Contains(out, "(still building)") {
		t.Errorf("a package that compiles for 23 s leaves the build silent:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "repro")); err != nil && !os.IsNotExist(err) {
		t.Error(err)
	}

	fakeCommand(t, bin, "badgo", `echo "example.com/pkg0" >&2; echo "cmd/repro/main.go:3:1: syntax error: non-declaration statement outside function body" >&2; exit 1
`)
	out, err = makeIn(t, dir, bin, "build", "GO=badgo")
	if err == nil {
		t.Errorf("make build with a failing go succeeded:\n%s", out)
	}
	if !strings.Contains(out, "main.go:3:1: syntax error") {
		t.Errorf("the compiler's error is not shown:\n%s", out)
	}
}

// make test says, every TEST_TICK seconds, that go vet and go test are
// still running (go test prints its packages' results in order, so the
// slow cmd/repro package held back every line for minutes); a failing go
// test still fails make and shows its output (issue 27, item 1).
func TestMakeTestIsNeverSilent(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir, bin := t.TempDir(), t.TempDir()
	fakeCommand(t, bin, "fakego", `case "$1" in
build) while [ $# -gt 0 ]; do [ "$1" = -o ] && mkdir -p "$(dirname "$2")" && : > "$2"; shift; done ;;
vet) sleep 3 ;;
test) case "$*" in *-fuzz*) ;; *) sleep 3; echo "ok  	example.com/slow	3.0s" ;; esac ;;
esac
`)
	out, err := makeIn(t, dir, bin, "test", "GO=fakego", "TEST_TICK=1")
	if err != nil {
		t.Fatalf("make test: %v\n%s", err, out)
	}
	for _, want := range []string{"go vet: still running", "go test (cmd/repro takes minutes; results print in package order): still running", "ok  	example.com/slow",
		"fuzz FuzzReadDigitsCSV: 20000x inputs, passed", "fuzz FuzzEscape: 20000x inputs, passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	// A failing fuzz target, run beside go test, fails make test and shows
	// its output, even though go test passed.
	fakeCommand(t, bin, "fuzzfailgo", `case "$1" in
build) while [ $# -gt 0 ]; do [ "$1" = -o ] && mkdir -p "$(dirname "$2")" && : > "$2"; shift; done ;;
test) case "$*" in *FuzzParseLock*) echo "--- FAIL: FuzzParseLock (0.10s)"; echo "    testdata/fuzz/FuzzParseLock/abc"; exit 1 ;; *-fuzz*) ;; *) echo "ok  	example.com/fast	0.1s" ;; esac ;;
esac
`)
	out, err = makeIn(t, dir, bin, "test", "GO=fuzzfailgo", "TEST_TICK=1")
	if err == nil || !strings.Contains(out, "--- FAIL: FuzzParseLock") || !strings.Contains(out, "fuzz FuzzParseLock: FAILED") || !strings.Contains(out, "ok  	example.com/fast") {
		t.Errorf("a failing fuzz target: err %v, output\n%s\nwant a failure that shows the target's output", err, out)
	}
	fakeCommand(t, bin, "badgo", `case "$1" in
build) while [ $# -gt 0 ]; do [ "$1" = -o ] && mkdir -p "$(dirname "$2")" && : > "$2"; shift; done ;;
test) echo "--- FAIL: TestX"; exit 1 ;;
esac
`)
	if out, err := makeIn(t, dir, bin, "test", "GO=badgo", "TEST_TICK=1"); err == nil || !strings.Contains(out, "--- FAIL: TestX") {
		t.Errorf("a failing go test: err %v, output\n%s\nwant a failure that shows it", err, out)
	}
}

// npm's own chatter ("added 2 packages in 1s") stays out of make's output;
// its errors do not (issue 27, item 8). Only CI's crate check needs npm.
func TestMakeCrateValidatorQuiet(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir, bin := t.TempDir(), t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json"} {
		os.WriteFile(filepath.Join(dir, f), []byte("{}\n"), 0o644)
	}
	fakeCommand(t, bin, "npm", `mkdir -p node_modules/ro-crate && : > node_modules/ro-crate/package.json
echo ""; echo "added 2 packages in 1s"
`)
	out, err := makeIn(t, dir, bin, "crate-validator")
	if err != nil {
		t.Fatalf("make crate-validator: %v\n%s", err, out)
	}
	if strings.Contains(out, "added 2 packages") {
		t.Errorf("npm's output leaks into make:\n%s", out)
	}
	os.Remove(filepath.Join(dir, "node_modules/ro-crate/package.json"))
	fakeCommand(t, bin, "npm", `echo "npm ERR! code ECONNREFUSED" >&2; exit 1
`)
	if out, err := makeIn(t, dir, bin, "crate-validator"); err == nil || !strings.Contains(out, "npm ERR! code ECONNREFUSED") {
		t.Errorf("a failing npm: err %v, output\n%s\nwant a failure that shows npm's error", err, out)
	}
}
