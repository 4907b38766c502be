package project

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
)

// RebuiltEnv marks a process that a rebuild started (value 1): it never
// rebuilds again, so that a source that keeps differing (an edit during the
// build) cannot loop. Another value also prevents rebuilds and says why. It
// does not start with REPRO_, which names parameters.
const RebuiltEnv = "_REPRO_REBUILT"

// rebuildAndExec rebuilds the running binary from the project's source at
// root (go build into the binary's own path, with the build flags its build
// info records) and replaces this process with it. It returns only when it
// did not: with the reason, for the warning about the stale binary.
func rebuildAndExec(root string, drift []string, stderr io.Writer) string {
	switch v := os.Getenv(RebuiltEnv); v {
	case "":
	case "1":
		return "rebuilt once already; not again"
	default:
		return v // why, as whoever set it says (the tests)
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "no build information in this binary"
	}
	mod := modulePath(filepath.Join(root, "go.mod"))
	if mod == "" || bi.Main.Path != mod || bi.Path != mod+"/cmd/repro" {
		return fmt.Sprintf("this binary (%s) is not %s/cmd/repro", bi.Path, mod)
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "cannot tell where this binary is: " + err.Error()
	}
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "a temporary binary of go run or go test"
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "go is not on PATH"
	}
	args, env := BuildFlags(bi)
	tmp := fmt.Sprintf("%s.rebuild-%d", exe, os.Getpid())
	args = append(append([]string{"build"}, args...), "-o", tmp, "./cmd/repro")
	fmt.Fprintf(stderr, "repro: the source differs from this binary's (%s): rebuilding %s and running it (--no-rebuild: don't)\n",
		strings.Join(LimitList(drift, 3), ", "), displayPath(exe))
	cmd := exec.Command(goBin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return fmt.Sprintf("go %s failed (%v)", strings.Join(args, " "), err)
	}
	if err := os.Rename(tmp, exe); err != nil {
		os.Remove(tmp)
		return "cannot replace the binary: " + err.Error()
	}
	err = syscall.Exec(exe, os.Args, append(os.Environ(), RebuiltEnv+"=1"))
	return "cannot run the rebuilt binary: " + err.Error()
}

// recordedByDefault are the values of the settings the go command records
// for a build of a main package that did not pass the flag (BuildFlags).
var recordedByDefault = map[string]string{"-buildmode": "exe", "-compiler": "gc"}

// BuildFlags are the go build flags and environment that reproduce the
// build recorded in bi, as far as it records them: the build `make build`
// (`go build -o bin/repro ./cmd/repro`) made gives back the same command,
// so that its next `go build` finds the rebuilt binary up to date instead
// of linking it again.
//
// The go command records -buildmode and -compiler in every build, passed
// or not: a default build of a main package says -buildmode=exe (on every
// platform, PIE ones included) and -compiler=gc. Passing them is not the
// same build: an explicit -buildmode enters the link's action ID ("exe"
// where a default build hashes "default"), so the binary gets another
// build ID and the next plain `go build` relinks it (issue 27 §8). Those
// two values are therefore left out; any other is passed.
func BuildFlags(bi *debug.BuildInfo) (args, env []string) {
	for _, s := range bi.Settings {
		switch s.Key {
		case "-buildmode", "-compiler":
			if s.Value != "" && s.Value != recordedByDefault[s.Key] {
				args = append(args, s.Key+"="+s.Value)
			}
		case "-tags", "-ldflags", "-gcflags", "-asmflags", "-pgo":
			if s.Value != "" {
				args = append(args, s.Key+"="+s.Value)
			}
		case "-trimpath", "-race", "-msan", "-asan", "-cover":
			if s.Value == "true" {
				args = append(args, s.Key)
			}
		case "CGO_ENABLED", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS", "GOOS", "GOARCH", "GOEXPERIMENT",
			"GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM":
			if s.Value != "" { // empty: the default, as when it was built
				env = append(env, s.Key+"="+s.Value)
			}
		}
	}
	return args, env
}

// modulePath reads the module line of a go.mod file ("" if none).
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// displayPath is p relative to the working directory when inside it.
func displayPath(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}
