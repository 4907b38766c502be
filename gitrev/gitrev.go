// Package gitrev is what the commands need of git: a project's files at a
// revision, without a checkout, and the project's command as built from a
// revision, run in a throwaway worktree (`repro diff`); the revisions a
// user is likely to mean (completion); whether the checkout has
// uncommitted changes (`repro version`, `repro publish`).
package gitrev

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNotRepo means the directory is not in a git repository.
var ErrNotRepo = errors.New("not in a git repository")

// A Repo is the git repository holding directory Dir (a project, perhaps
// below the repository's top level).
type Repo struct{ Dir string }

// Git runs git in the project directory and returns its trimmed standard
// output; an error quotes git's standard error.
func (r Repo) Git(args ...string) (string, error) {
	out, err := r.git(args...)
	return strings.TrimSpace(string(out)), err
}

func (r Repo) git(args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(e.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return o.Bytes(), nil
}

// Commit resolves rev to a commit hash. It returns ErrNotRepo outside a
// repository, and an error naming rev if it is not a commit.
func (r Repo) Commit(rev string) (string, error) {
	if strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, "\x00\n") {
		// Never an option of git's, whatever git makes of it.
		return "", fmt.Errorf("%q is not a revision: a revision may not begin with - or hold a NUL or a newline", rev)
	}
	c, err := r.Git("rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		if _, gerr := r.Git("rev-parse", "--git-dir"); gerr != nil {
			return "", fmt.Errorf("%s: %w", r.Dir, ErrNotRepo)
		}
		return "", fmt.Errorf("%q is not a commit of the git repository at %s", rev, r.Dir)
	}
	return c, nil
}

// ReadFile returns the bytes of path (relative to the project directory) at
// commit. A file the commit does not have is an error wrapping
// fs.ErrNotExist.
func (r Repo) ReadFile(commit, path string) ([]byte, error) {
	b, err := r.git("show", commit+":./"+filepath.ToSlash(path))
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "does not exist") || strings.Contains(msg, "exists on disk, but not in") {
			return nil, fmt.Errorf("%s at %.7s: %w", path, commit, fs.ErrNotExist)
		}
		return nil, err
	}
	return b, nil
}

// RunAt builds ./cmd/repro as it is at commit, in a temporary worktree that
// is removed afterwards, and runs it in the worktree's copy of the project
// with args (after -C <project>). The environment is this process's without
// the variables for which drop returns true. node_modules of the project, if
// any, is linked into the worktree.
func (r Repo) RunAt(ctx context.Context, commit string, args []string, drop func(kv string) bool) error {
	prefix, err := r.Git("rev-parse", "--show-prefix")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "repro-rev-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wt := filepath.Join(tmp, "worktree")
	if _, err := r.Git("worktree", "add", "--detach", "--quiet", wt, commit); err != nil {
		return err
	}
	defer func() {
		if _, err := r.Git("worktree", "remove", "--force", wt); err != nil {
			fmt.Fprintf(os.Stderr, "repro: warning: %v\n", err)
		}
		r.Git("worktree", "prune")
	}()
	proj := filepath.Join(wt, filepath.FromSlash(prefix))
	if nm := filepath.Join(r.Dir, "node_modules"); exists(nm) && !exists(filepath.Join(proj, "node_modules")) {
		os.Symlink(nm, filepath.Join(proj, "node_modules"))
	}
	bin := filepath.Join(tmp, "repro")
	// A throwaway binary: no symbol table or DWARF, which links faster.
	build := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", bin, "./cmd/repro")
	build.Dir = proj
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/repro at %.7s: %w", commit, err)
	}
	run := exec.CommandContext(ctx, bin, append([]string{"-C", proj}, args...)...)
	run.Stdout, run.Stderr = os.Stderr, os.Stderr
	for _, kv := range os.Environ() {
		if drop == nil || !drop(kv) {
			run.Env = append(run.Env, kv)
		}
	}
	if err := run.Run(); err != nil {
		return fmt.Errorf("repro %s at %.7s: %w", strings.Join(args, " "), commit, err)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
