package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	proj "github.com/repro-dev/repro/project"
)

// TestRebuildOnEdit: in a copied project with its own bin/repro, an edit of
// the Go source makes the next command rebuild bin/repro (with the same
// build flags) and run the new binary, saying so in one line; --no-rebuild,
// a missing go, a failing build and the loop guard keep the warning, and
// key results by the binary's own source, as the go command listed it when
// the binary was first verified.
func TestRebuildOnEdit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary several times")
	}
	a := copyProject(t)
	bin := filepath.Join(a, "bin", "repro")
	// -trimpath, as the shared binary: the packages this copy holds
	// unchanged then come from the build cache of earlier runs, whatever
	// directory the copy is in.
	build := exec.Command("go", "build", "-trimpath", "-tags", "repro_rebuild_test", "-o", bin, "./cmd/repro")
	build.Dir = a
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, proj.RebuiltEnv+"=") || strings.HasPrefix(kv, "REPRO_PROFILE=")
	})
	repro := func(env []string, args ...string) result {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-C", a, "--profile", "quick"}, args...)...)
		cmd.Env = env
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{code, out.String(), errb.String()}
	}
	edit := func(rel, old, new string) {
		t.Helper()
		p := filepath.Join(a, rel)
		b, _ := os.ReadFile(p)
		if !strings.Contains(string(b), old) {
			t.Fatalf("%s lacks %q", rel, old)
		}
		os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
	}
	fi0, _ := os.Stat(bin)

	// Unedited: nothing to say.
	if r := repro(env, "status"); r.code != 0 || r.stderr != "" {
		t.Fatalf("unedited: exit %d, stderr %q", r.code, r.stderr)
	}

	// --no-rebuild keeps today's warning.
	edit("stages/graph.go", "package stages", "package stages // edited")
	r := repro(env, "--no-rebuild", "status")
	if r.code != 0 || !strings.Contains(r.stderr, "differs from the source this binary was built from (stages/graph.go)") || !strings.Contains(r.stderr, "not rebuilt: --no-rebuild") {
		t.Errorf("--no-rebuild: exit %d, stderr %q", r.code, r.stderr)
	}

	// No go on PATH: the build cannot be checked; the warning says so, and
	// the keys are those of the binary's own source (verified earlier).
	noGo := append(slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }), "PATH=/nonexistent")
	if r := repro(noGo, "status"); r.code != 0 || !strings.Contains(r.stderr, "the go command is not on PATH") || !strings.Contains(r.stderr, "keyed by this binary's own source") {
		t.Errorf("without go: exit %d, stderr %q", r.code, r.stderr)
	}

	// The loop guard: a process started by a rebuild does not rebuild.
	if r := repro(append(slices.Clone(env), proj.RebuiltEnv+"=1"), "status"); !strings.Contains(r.stderr, "not rebuilt: rebuilt once already") {
		t.Errorf("with the marker: stderr %q", r.stderr)
	}

	// The rebuild: one line, then the new binary runs without a warning.
	r = repro(env, "status")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 0 || len(lines) != 1 || !strings.Contains(lines[0], "the source differs from this binary's (stages/graph.go): rebuilding") {
		t.Fatalf("rebuild: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if fi, err := os.Stat(bin); err != nil || !fi.ModTime().After(fi0.ModTime()) {
		t.Errorf("bin/repro was not replaced: %v", err)
	}
	// With the same build flags (the tag), and now quiet.
	out, _ := exec.Command("go", "version", "-m", bin).Output()
	if !strings.Contains(string(out), "-tags=repro_rebuild_test") {
		t.Errorf("the rebuilt binary lost the build's -tags:\n%s", out)
	}
	if r := repro(env, "status"); r.code != 0 || r.stderr != "" {
		t.Errorf("after the rebuild: exit %d, stderr %q", r.code, r.stderr)
	}

	// A build that fails: the command still runs, with the warning and why.
	f, _ := os.OpenFile(filepath.Join(a, "stages/graph.go"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\nvar _ = undefinedName\n")
	f.Close()
	r = repro(env, "status")
	if r.code != 0 || !strings.Contains(r.stderr, "undefinedName") || !strings.Contains(r.stderr, "keyed by this binary's own source") {
		t.Errorf("failing build: exit %d, stderr %q", r.code, r.stderr)
	}
}
