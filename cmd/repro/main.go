// Command repro regenerates the study's report from raw data through a graph
// of cached stages, and tells what is stale and why.
//
// Exit codes: 0 success, 1 a stage failed, 2 bad usage or bad configuration,
// 130 interrupted (Ctrl-C).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	// The module's embedded source, imported here directly: its bytes are
	// in the main package's build ID only through a direct import, so that
	// an edit of any Go file changes the ID the go command lists, which is
	// how a binary notices that the source on disk is not its own
	// (project/code.go) and rebuilds itself.
	_ "github.com/repro-dev/repro"
	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// usageError marks bad usage or configuration (exit 2), here and in the
// packages the commands call.
type usageError = proj.UsageError

var usagef = proj.Usagef

// exitError carries an exit code with no further message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func run(args []string) int {
	ctx, stop := proj.Interruptible()
	defer stop()
	cmd := newRoot()
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command ") {
		err = usageError{Err: err} // cobra's, with its suggestions
	}
	return exitCode(ctx, err)
}

// usageArgs makes the argument checks of cmd and its subcommands (a missing
// stage name, too many revisions) usage errors, exit 2.
func usageArgs(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			err := check(c, args)
			var ue usageError
			if err != nil && !errors.As(err, &ue) {
				err = usageError{Err: err}
			}
			return err
		}
	}
	for _, c := range cmd.Commands() {
		usageArgs(c)
	}
}

func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "repro:", err)
	var ue usageError
	var ce *config.Error
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return 130
	case errors.As(err, &ue), errors.As(err, &ce):
		return 2
	case pipeline.IsStageError(err):
		return 1
	}
	return 1
}
