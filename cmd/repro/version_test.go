package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// A binary built with -buildvcs=false says why it has no commit and reports
// the checkout's commit and state by git instead (issue 27, item 7).
func TestVersionWithoutVCSStamp(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, "params.yaml"), []byte("seeds: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "params.yaml")
	git("commit", "-q", "-m", "one")
	head := git("rev-parse", "HEAD")

	unstamped := &debug.BuildInfo{Main: debug.Module{Path: "github.com/repro-dev/repro", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "-buildmode", Value: "exe"}, {Key: "GOAMD64", Value: "v1"}}}
	got := versionText(unstamped, dir)
	for _, want := range []string{"commit unknown: this binary carries no version-control stamp (built with -buildvcs=false", "checkout " + head + ", by git in " + dir + "\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("version without a stamp:\n%s\nwant it to hold %q", got, want)
		}
	}
	os.WriteFile(filepath.Join(dir, "params.yaml"), []byte("seeds: 2\n"), 0o644)
	if got := versionText(unstamped, dir); !strings.Contains(got, "checkout "+head+" (modified: uncommitted changes)") {
		t.Errorf("a modified checkout:\n%s", got)
	}
	if got := versionText(unstamped, t.TempDir()); !strings.Contains(got, "checkout: none (") {
		t.Errorf("outside a checkout:\n%s", got)
	}
	stamped := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}
	if got := versionText(stamped, dir); !strings.Contains(got, "commit abc123 (modified)\n") || strings.Contains(got, "checkout") {
		t.Errorf("a stamped binary:\n%s", got)
	}
}
