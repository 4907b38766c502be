package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/pipeline"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of repro, the commit it was built from, and its build settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(cmd.OutOrStdout(), versionText())
			return nil
		},
	}
}

// versionText is what `repro version` prints: the module version (a tag
// when installed with go install ...@vX), the commit and whether the tree
// was modified, the toolchain, and the build settings every key includes.
func versionText() string {
	var b strings.Builder
	version, commit, modified := "(devel)", "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
			}
		}
	}
	fmt.Fprintf(&b, "repro %s\n", version)
	if commit != "" {
		fmt.Fprintf(&b, "commit %s%s\n", commit, modified)
	}
	fmt.Fprintf(&b, "go     %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "build  %s\n", pipeline.CurrentBuild())
	return b.String()
}
