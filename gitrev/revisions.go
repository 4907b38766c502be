package gitrev

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/repro-dev/repro/numfmt"
)

// A Revision is a name git resolves to a commit, and what it is (for a
// completion's description).
type Revision struct {
	Name string // HEAD~2, a branch, a tag, a short hash
	What string // "2 commits before HEAD", "branch", a commit's subject
}

// Revisions lists the names of commits a user is likely to mean: HEAD and
// HEAD~1..HEAD~steps (as far as the history goes), the branches and tags
// (local and remote-tracking), and the short hashes of the last recent
// commits of the log, with their subjects. It fails outside a repository
// and before the first commit.
func (r Repo) Revisions(steps, recent int) ([]Revision, error) {
	log, err := r.Git("log", "-n", strconv.Itoa(recent), "--format=%h%x09%s")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(log, "\n")
	out := []Revision{{"HEAD", "the last commit"}}
	for i := 1; i <= min(steps, len(lines)-1); i++ { // no HEAD~N beyond the first commit
		out = append(out, Revision{fmt.Sprintf("HEAD~%d", i), fmt.Sprintf("%d %s before HEAD", i, numfmt.Plural(i, "commit", "commits"))})
	}
	if refs, err := r.Git("for-each-ref", "--format=%(refname:short)%09%(refname)", "refs/heads", "refs/tags", "refs/remotes"); err == nil {
		for _, l := range strings.Split(refs, "\n") {
			short, full, ok := strings.Cut(l, "\t")
			if !ok || strings.HasSuffix(full, "/HEAD") {
				continue
			}
			what := "branch"
			switch {
			case strings.HasPrefix(full, "refs/tags/"):
				what = "tag"
			case strings.HasPrefix(full, "refs/remotes/"):
				what = "remote branch"
			}
			out = append(out, Revision{short, what})
		}
	}
	for _, l := range lines {
		if h, subject, ok := strings.Cut(l, "\t"); ok {
			out = append(out, Revision{h, subject})
		}
	}
	return out, nil
}

// Modified says whether the checkout has uncommitted changes to the files
// git tracks (git status).
func (r Repo) Modified() (bool, error) {
	st, err := r.Git("status", "--porcelain", "--untracked-files=no")
	return st != "", err
}
