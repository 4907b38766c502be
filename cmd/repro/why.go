package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/project/why"
)

func newWhyCmd(g *globals) *cobra.Command {
	var decls bool
	cmd := &cobra.Command{
		Use:   "why NAME",
		Short: "Print where a metric, a number of the report or a stage's output came from, back to the data files",
		Long: `Print the chain that produced NAME, a metric as 'repro metrics' prints it, a
stage name, or the id of a number or figure of the report (n12, fig:dag: the
id its popover shows, from report/provenance.json), as the profile's lock
records it: the stage and its short key, the parameters that differ from
params.yaml's defaults, the stage function and how many declarations its
code reaches, then every input stage the same way, down to the files read,
with their sha256. A stage reached twice is printed once. For a number, the
fields it shows and how it was aggregated come first. --decls lists every
declaration.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.open()
			if err != nil {
				return err
			}
			p.warn(os.Stderr)
			w, err := why.ForProject(p.Project, g.opts(), decls)
			if err != nil {
				return err
			}
			return w.Print(cmd.OutOrStdout(), args[0])
		},
	}
	cmd.Flags().BoolVar(&decls, "decls", false, "list every declaration each stage's code reaches")
	return cmd
}
