package revdiff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

// A change of the store settings (which results are trusted) is read from
// both sides' parameter files, at their revisions, the profile's file over
// params.yaml, and is a diff line of its own.
func TestDiffTrust(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "commit.gpgsign=false", "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("params.yaml", "seeds: 2\nstore:\n  remote: \"\"\n  remote_mode: readwrite\n  trusted_keys: []\n")
	write("params.quick.yaml", "seeds: 1\n")
	git("add", ".")
	git("commit", "-q", "-m", "a")
	a := git("rev-parse", "HEAD")
	write("params.yaml", "seeds: 2\nstore:\n  remote: \"\"\n  remote_mode: readwrite\n  trusted_keys: [\"repro-ed25519:evil:AAAA\"]\n")
	write("params.quick.yaml", "seeds: 1\nstore: {remote: \"file:///tmp/x\"}\n")
	git("commit", "-q", "-am", "b")
	b := git("rev-parse", "HEAD")
	write("params.quick.yaml", "seeds: 1\nstore: [\n")

	d := pipeline.DiffLocks(lockOf(nil, nil), lockOf(nil, nil))
	d.SetTrust(Trust(dir, &Side{Commit: a}, "quick"), Trust(dir, &Side{Commit: b}, "quick"))
	want := []string{`store.remote: "" -> "file:///tmp/x"`, `store.trusted_keys: [] -> ["repro-ed25519:evil:AAAA"]`}
	if strings.Join(d.Trust, "|") != strings.Join(want, "|") {
		t.Errorf("trust changes %q, want %q", d.Trust, want)
	}
	if d.Empty() || !strings.Contains(Text(d), "TRUST CHANGED: store.trusted_keys: [] -> [\"repro-ed25519:evil:AAAA\"]") || strings.Contains(Text(d), "no differences") {
		t.Errorf("a trust change alone is not shown:\n%s", Text(d))
	}
	d.SetTrust(Trust(dir, &Side{Commit: b}, "default"), Trust(dir, &Side{Commit: b}, "default"))
	if len(d.Trust) != 0 || !d.Empty() {
		t.Errorf("no change: %q", d.Trust)
	}
	// The working tree's profile file does not parse: a change of its own.
	d.SetTrust(Trust(dir, &Side{Commit: b}, "quick"), Trust(dir, &Side{}, "quick"))
	if !strings.Contains(strings.Join(d.Trust, "|"), "(params.quick.yaml): (unset) -> unreadable") {
		t.Errorf("an unreadable parameter file: %q", d.Trust)
	}
}
