package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
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
			files, actions, err := p.Publish(args[0], license, authors)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d files and directories, %d stages as actions (RO-Crate 1.1, Process Run Crate 0.5)\n",
				args[0], files, actions)
			return nil
		},
	}
	cmd.Flags().StringVar(&license, "license", "", "URL of the licence of the results as a whole (default: none stated)")
	cmd.Flags().StringArrayVar(&authors, "author", nil, "an author for CITATION.cff (repeatable)")
	return cmd
}
