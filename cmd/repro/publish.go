package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/crate"
)

func newPublishCmd(g *globals) *cobra.Command {
	var license string
	var authors []string
	cmd := &cobra.Command{
		Use:   "publish DIR",
		Short: "Write the last run's report, figures, results and provenance as an RO-Crate in DIR",
		Long: `Write the last run of the profile (its lock and the store) into DIR as an
RO-Crate 1.1 with the Process Run Crate profile (docs/publish.md): the report,
each figure's SVG and CSV, results.json, parameters.yaml, the data files with
their sha256 and licences, the code's commit and module versions, every stage
as a CreateAction with its inputs, outputs and signer, and CITATION.cff.

DIR must be missing, empty, or a crate an earlier publish wrote (replaced).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.open()
			if err != nil {
				return err
			}
			p.warn(os.Stderr)
			run, err := p.Crate(license, authors)
			if err != nil {
				return err
			}
			if err := clearCrateDir(args[0]); err != nil {
				return err
			}
			c, err := crate.Write(args[0], run)
			if err != nil {
				return err
			}
			if errs := crate.Check(args[0]); len(errs) > 0 {
				return fmt.Errorf("publish: the crate fails its own check: %w", errors.Join(errs...))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d files and directories, %d stages as actions (RO-Crate 1.1, Process Run Crate 0.5)\n",
				args[0], len(c.Root["hasPart"].([]any)), len(run.Stages))
			return nil
		},
	}
	cmd.Flags().StringVar(&license, "license", "", "URL of the licence of the results as a whole (default: none stated)")
	cmd.Flags().StringArrayVar(&authors, "author", nil, "an author for CITATION.cff (repeatable)")
	return cmd
}

// clearCrateDir refuses a DIR that holds anything but an earlier crate,
// and removes an earlier crate.
func clearCrateDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(ents) == 0 {
		return nil
	}
	if err != nil {
		return usageError{Err: err}
	}
	if _, err := os.Lstat(filepath.Join(dir, crate.MetadataFile)); err != nil {
		return usagef("%s is not empty and holds no %s: publish writes into a new or empty directory", dir, crate.MetadataFile)
	}
	return os.RemoveAll(dir)
}
