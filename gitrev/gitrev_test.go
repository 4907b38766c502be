package gitrev

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func repo(t *testing.T) Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	r := Repo{Dir: dir}
	for _, args := range [][]string{{"init", "-q"}, {"config", "user.email", "t@example.org"}, {"config", "user.name", "t"}} {
		if _, err := r.Git(args...); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("one\n"), 0o644)
	r.Git("add", "a.txt")
	if _, err := r.Git("commit", "-q", "-m", "one"); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCommitAndReadFile(t *testing.T) {
	r := repo(t)
	c, err := r.Commit("HEAD")
	if err != nil || len(c) != 40 {
		t.Fatalf("Commit(HEAD) = %q, %v", c, err)
	}
	os.WriteFile(filepath.Join(r.Dir, "a.txt"), []byte("two\n"), 0o644)
	if b, err := r.ReadFile(c, "a.txt"); err != nil || string(b) != "one\n" {
		t.Errorf("ReadFile(a.txt) = %q, %v; want the committed bytes", b, err)
	}
	if _, err := r.ReadFile(c, "missing.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := r.Commit("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Commit(nope) = %v", err)
	}
	// A revision is never an option of git's.
	for _, rev := range []string{"--output=" + filepath.Join(r.Dir, "written"), "-h", "HEAD\n--all", "HEAD\x00"} {
		if _, err := r.Commit(rev); err == nil || !strings.Contains(err.Error(), "is not a revision") {
			t.Errorf("Commit(%q) = %v, want a refusal", rev, err)
		}
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "written")); err == nil {
		t.Error("git wrote a file named by the revision")
	}
	if _, err := (Repo{Dir: t.TempDir()}).Commit("HEAD"); !errors.Is(err, ErrNotRepo) {
		t.Errorf("outside a repository: %v, want ErrNotRepo", err)
	}
}

func TestRunAtNeedsTheCommand(t *testing.T) {
	r := repo(t)
	c, _ := r.Commit("HEAD")
	// This toy repository has no ./cmd/repro: the build fails, and the
	// worktree is removed.
	err := r.RunAt(context.Background(), c, []string{"run"}, nil)
	if err == nil || !strings.Contains(err.Error(), "go build ./cmd/repro at") {
		t.Errorf("RunAt = %v", err)
	}
	if out, _ := r.Git("worktree", "list"); strings.Count(out, "\n") != 0 {
		t.Errorf("worktrees left: %s", out)
	}
}

// Revisions lists HEAD, HEAD~N as far as the history goes, branches, tags
// and the recent commits; Modified sees an uncommitted change.
func TestRevisionsAndModified(t *testing.T) {
	r := repo(t)
	if m, err := r.Modified(); err != nil || m {
		t.Fatalf("Modified() of a clean checkout = %v, %v", m, err)
	}
	r.Git("tag", "v1")
	r.Git("commit", "-q", "--allow-empty", "-m", "two")
	r.Git("branch", "feature")
	revs, err := r.Revisions(5, 10)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := r.Git("rev-parse", "--short", "HEAD")
	got := map[string]string{}
	for _, rv := range revs {
		got[rv.Name] = rv.What
	}
	want := map[string]string{"HEAD": "the last commit", "HEAD~1": "1 commit before HEAD", "feature": "branch", "v1": "tag", head: "two"}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("revision %s: %q, want %q (all: %v)", n, got[n], w, revs)
		}
	}
	if _, ok := got["HEAD~2"]; ok {
		t.Errorf("HEAD~2 listed in a history of two commits: %v", revs)
	}
	os.WriteFile(filepath.Join(r.Dir, "a.txt"), []byte("changed\n"), 0o644)
	if m, err := r.Modified(); err != nil || !m {
		t.Errorf("Modified() after an edit = %v, %v", m, err)
	}
	if _, err := (Repo{Dir: t.TempDir()}).Revisions(5, 10); err == nil {
		t.Error("Revisions outside a repository: no error")
	}
}
