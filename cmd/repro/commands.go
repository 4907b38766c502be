package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON, check, verbose bool
	var checkRev string
	cmd := &cobra.Command{
		Use:   "status [PATTERN...]",
		Short: "Say which stages are fresh or stale, and why (code, params, inputs, new, missing output)",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, sel, matched, err := g.openMatched(args)
			if err != nil {
				return err
			}
			lock, err := pipeline.ReadLock(p.lockPath())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if check {
				return statusCheck(out, p, sel, lock, checkRev)
			}
			// The trusted keys, as run has them: a result pulled under a
			// key no longer trusted is not fresh (run recomputes it).
			if err := p.SetTrust(false); err != nil {
				return err
			}
			sts, err := p.engine.Status(sel, lock)
			if err != nil {
				return err
			}
			proj.UserParamNames(sts, p.params, g.graphBuilder(p.root)) // params.yaml's keys, not the stages' own names
			if asJSON {
				for i := range sts {
					if sts[i].Reasons == nil {
						sts[i].Reasons = []string{}
					}
				}
				b, _ := json.MarshalIndent(sts, "", "  ")
				fmt.Fprintln(out, string(b))
				return nil
			}
			// The summary first, then the stages grouped by shared
			// reasons (every stage with -v).
			proj.PrintStatus(out, sts, matched, args, p.profile, verbose)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON list of {stage, state, reasons}")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every stage of each group")
	cmd.Flags().BoolVar(&check, "check", false, "exit 1 unless the profile's lock matches what the code and parameters would produce, and its results what the store holds for the same keys (where it holds them)")
	cmd.Flags().StringVar(&checkRev, "rev", "", "with --check, check the lock committed at git revision `REV` (e.g. HEAD, after a run rewrote the working tree's lock)")
	cmd.ValidArgsFunction = g.stageArgs(true, 0)
	g.addMaxStages(cmd)
	return cmd
}

func newDagCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "dag",
		Short: "Print the stage graph (text, dot or mermaid)",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.open()
			if err != nil {
				return err
			}
			return proj.WriteDAG(cmd.OutOrStdout(), p.graph, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, dot or mermaid")
	cmd.RegisterFlagCompletionFunc("format", fixedValues("text", "dot", "mermaid"))
	g.addMaxStages(cmd)
	return cmd
}

func newShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show STAGE",
		Short: "Show a stage: key, parameters, inputs, outputs, metrics, last run",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.open()
			if err != nil {
				return err
			}
			s := p.graph.Stage(args[0])
			if s == nil {
				return usagef("no stage %q (see repro dag)%s", args[0], p.SuggestFor(args))
			}
			lock, err := pipeline.ReadLock(p.lockPath())
			if err != nil {
				return err
			}
			sts := p.StatusOf(s, lock)
			proj.UserParamNames(sts, p.params, g.graphBuilder(p.root))
			ls := lock.Stages[s.Name]
			last := p.LastRun(s.Name)
			out := cmd.OutOrStdout()
			if asJSON {
				m := map[string]any{"stage": s.Name, "deps": s.Deps, "files": s.Files, "func": s.Run.Name(), "lock": ls, "last_run": last}
				if len(sts) == 1 {
					m["status"] = sts[0]
				}
				b, _ := json.MarshalIndent(m, "", "  ")
				fmt.Fprintln(out, string(b))
				return nil
			}
			fmt.Fprintf(out, "stage    %s\nfunc     %s\n", s.Name, s.Run.Name())
			if len(s.Deps) > 0 {
				fmt.Fprintf(out, "inputs   %s\n", strings.Join(s.Deps, ", "))
			}
			if len(s.Files) > 0 {
				fmt.Fprintf(out, "files    %s\n", strings.Join(s.Files, ", "))
			}
			if len(sts) == 1 {
				fmt.Fprintf(out, "state    %s\n", sts[0].State)
				for _, r := range sts[0].Reasons {
					fmt.Fprintf(out, "         %s\n", proj.TermText(r))
				}
				if sts[0].Key != "" {
					fmt.Fprintf(out, "key      %s\n", sts[0].Key)
				}
			}
			if ls != nil {
				fmt.Fprintf(out, "locked   %s (code %s)\n", ls.Key, ls.Code[:16])
				showParams(out, ls.Params)
				showOutputs(out, p, ls.Outputs)
				showMetrics(out, ls.Metrics)
			}
			if last != nil {
				fmt.Fprintf(out, "last run %s in %.2fs\n", last.State, last.Seconds)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.ValidArgsFunction = g.stageArgs(false, 1)
	return cmd
}

// showParams prints a stage's canonical JSON parameters as block YAML, in
// their recorded order, indented under "params".
func showParams(out io.Writer, js []byte) {
	var n yaml.Node
	if len(js) == 0 || yaml.Unmarshal(js, &n) != nil {
		fmt.Fprintf(out, "params   %s\n", js)
		return
	}
	var block func(*yaml.Node)
	block = func(n *yaml.Node) {
		n.Style &^= yaml.FlowStyle | yaml.DoubleQuotedStyle
		for _, c := range n.Content {
			block(c)
		}
	}
	block(&n)
	if len(n.Content) == 1 && n.Content[0].Kind == yaml.MappingNode && len(n.Content[0].Content) == 0 {
		fmt.Fprintln(out, "params   (none)")
		return
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		fmt.Fprintf(out, "params   %s\n", js)
		return
	}
	fmt.Fprintln(out, "params")
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		fmt.Fprintf(out, "  %s\n", line)
	}
}

// showOutputs prints each output with the file holding its bytes in the
// store (relative to the project when inside it) and its size.
func showOutputs(out io.Writer, p *project, outputs map[string]string) {
	if len(outputs) == 0 {
		return
	}
	fmt.Fprintln(out, "outputs")
	w := 0
	for n := range outputs {
		w = max(w, len(n))
	}
	for _, n := range slices.Sorted(maps.Keys(outputs)) {
		path, size, ok := p.ObjectFile(outputs[n])
		sizeText := "not in the store"
		if ok {
			sizeText = numfmt.Bytes(size)
		}
		fmt.Fprintf(out, "  %-*s  %s  (%s)\n", w, n, path, sizeText)
	}
}

func newMetricsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Print every named metric of the last run, as flat dotted names",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.open()
			if err != nil {
				return err
			}
			lock, err := pipeline.ReadLock(p.lockPath())
			if err != nil {
				return err
			}
			m := lock.Metrics()
			out := cmd.OutOrStdout()
			if asJSON {
				b, _ := json.MarshalIndent(m, "", "  ")
				fmt.Fprintln(out, string(b))
				return nil
			}
			for _, k := range slices.Sorted(maps.Keys(m)) {
				fmt.Fprintf(out, "%-48s %.6g\n", proj.TermText(k), m[k])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object, name -> number")
	return cmd
}

func newParamsCmd(g *globals) *cobra.Command {
	var keys bool
	cmd := &cobra.Command{
		Use:   "params",
		Short: "Print the effective parameters of the profile (or, with --keys, every key and its variable)",
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if keys {
				for _, k := range config.Keys() {
					fmt.Fprintf(out, "%-48s %s\n", k, config.EnvName(k))
				}
				return nil
			}
			p, err := g.open()
			if err != nil {
				return err
			}
			b, err := yaml.Marshal(p.params)
			if err != nil {
				return err
			}
			out.Write(b)
			return nil
		},
	}
	cmd.Flags().BoolVar(&keys, "keys", false, "list every key with its REPRO_ environment variable")
	return cmd
}
