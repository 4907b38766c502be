package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"repro/config"
	"repro/pipeline"
)

func newVerifyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Re-hash every stored object and run-cache entry; exit 1 on any corruption",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.open()
			if err != nil {
				return err
			}
			probs, err := p.store.Verify()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, pr := range probs {
				fmt.Fprintf(out, "corrupt %s: %s\n", pr.Path, pr.Err)
			}
			if len(probs) > 0 {
				fmt.Fprintf(out, "%d problems\n", len(probs))
				return exitError{1}
			}
			objs, _ := p.store.Objects()
			keys, _ := p.store.Keys()
			fmt.Fprintf(out, "ok: %d objects, %d run-cache entries\n", len(objs), len(keys))
			return nil
		},
	}
	return cmd
}

func newGCCmd(g *globals) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Delete objects that neither a lock file nor the run cache references",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.open()
			if err != nil {
				return err
			}
			unlock, err := p.store.Lock(cmd.Context(), func(msg string) { fmt.Fprintln(os.Stderr, "repro:", msg) })
			if err != nil {
				return err
			}
			defer unlock()
			keep := map[string]bool{}
			for _, prof := range config.Profiles(p.root) {
				pp := &project{root: p.root, profile: prof}
				if l, err := pipeline.ReadLock(pp.lockPath()); err == nil {
					for _, h := range l.ObjectHashes() {
						keep[h] = true
					}
				}
			}
			removed, size, err := p.store.GC(keep, dry)
			if err != nil {
				return err
			}
			verb := "removed"
			if dry {
				verb = "would remove"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %d objects, %.1f MB\n", verb, len(removed), float64(size)/1e6)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "say what would be removed")
	return cmd
}
