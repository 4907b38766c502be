package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/gitrev"
	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of repro, the commit it was built from, and its build settings",
		Long: `Print the version of repro, the commit it was built from (as the go
command stamped it), the toolchain and the build settings every key includes.

A binary built without version-control stamping (-buildvcs=false, as
GOFLAGS sets it on many CI machines; go run; a build outside a git
checkout) carries no commit: version says so, and reports instead the
commit of the git checkout in the project directory (-C), whether that
checkout has uncommitted changes, and whether the binary's own Go source
is the checkout's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if f := cmd.Flag("dir"); f != nil {
				dir = f.Value.String()
			}
			bi, _ := debug.ReadBuildInfo()
			fmt.Fprint(cmd.OutOrStdout(), versionText(bi, dir))
			return nil
		},
	}
}

// versionText is what `repro version` prints: the module version (a tag
// when installed with go install ...@vX), the commit and whether the tree
// was modified, the toolchain, and the build settings every key includes.
// Without a commit stamped in bi, it says why and falls back to git in the
// checkout at dir (see checkoutText).
func versionText(bi *debug.BuildInfo, dir string) string {
	var b strings.Builder
	version := "(devel)"
	if bi != nil && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	commit, modified := proj.BuildCommit(bi)
	fmt.Fprintf(&b, "repro %s\n", version)
	if commit != "" {
		fmt.Fprintf(&b, "commit %s", commit)
		if modified {
			b.WriteString(" (modified)")
		}
		b.WriteString("\n")
	} else {
		b.WriteString("commit unknown: this binary carries no version-control stamp (built with -buildvcs=false, as GOFLAGS sets it on many CI machines, or by go run, or outside a git checkout)\n")
		b.WriteString(checkoutText(dir))
	}
	fmt.Fprintf(&b, "go     %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "build  %s\n", pipeline.CurrentBuild())
	return b.String()
}

// checkoutText is the fallback of a binary without a commit: the commit
// of the git checkout at dir (git rev-parse HEAD), whether it has
// uncommitted changes (git status), and whether this binary's embedded Go
// source is the checkout's.
func checkoutText(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	repo := gitrev.Repo{Dir: dir}
	head, err := repo.Commit("HEAD")
	if err != nil {
		return fmt.Sprintf("checkout: none (%v)\n", err)
	}
	state := ""
	if m, err := repo.Modified(); err != nil {
		state = " (state unknown: " + err.Error() + ")"
	} else if m {
		state = " (modified: uncommitted changes)"
	}
	s := fmt.Sprintf("checkout %s%s, by git in %s\n", head, state, dir)
	switch n, total := proj.SourceDiffers(dir); {
	case total == 0:
	case n == 0:
		s += "         this binary's Go source is the checkout's\n"
	default:
		s += fmt.Sprintf("         this binary's Go source differs from the checkout's in %d of %d files (make build)\n", n, total)
	}
	return s
}
