package main

import (
	"errors"
	"fmt"
	"html"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/repro-dev/repro/crate"
	"github.com/repro-dev/repro/gitrev"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
	"github.com/repro-dev/repro/stages"
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
			run, err := publishRun(p, license, authors)
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

// publishRun describes the last run of p's profile: its lock, the stored
// outputs it names, the exported report, the data files and the code.
func publishRun(p *project, license string, authors []string) (*crate.Run, error) {
	lock, err := pipeline.ReadLock(p.lockPath())
	if err != nil {
		return nil, err
	}
	if len(lock.Stages) == 0 {
		return nil, usagef("%s records no run: run `repro run --profile %s` first", filepath.Base(p.lockPath()), p.profile)
	}
	params, err := yaml.Marshal(p.params)
	if err != nil {
		return nil, err
	}
	r := &crate.Run{License: license, Authors: authors, Date: time.Now(), Profile: p.profile,
		Toolchain: lock.Toolchain, Parameters: params}
	r.Commit, r.Modified, r.CommitSource = publishCommit(p.root)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			m := crate.Module{Path: d.Path, Version: d.Version}
			if d.Replace != nil {
				m.Version += " => " + d.Replace.Path + " " + d.Replace.Version
			}
			r.Modules = append(r.Modules, m)
		}
	}
	if r.Report, err = publishReport(p, lock); err != nil {
		return nil, err
	}
	r.Name = fmt.Sprintf("repro report (profile %s)", p.profile)
	if m := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(r.Report); m != nil {
		r.Name = html.UnescapeString(string(m[1]))
	}
	r.Description = fmt.Sprintf("The results of the %q profile of the pipeline: the report, its figures and metrics, the data files, and every stage that produced them with its code, parameters, inputs and outputs.", p.profile)
	signers, err := publishSigners(p)
	if err != nil {
		return nil, err
	}
	readme, _ := os.ReadFile(filepath.Join(p.root, "data", "README.md"))
	prov := crate.ReadProvenance(readme)
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(lock.Stages)) {
		ls := lock.Stages[name]
		s := crate.Stage{Name: name, Func: ls.Func, Key: ls.Key, Code: ls.Code, Params: ls.Params,
			Inputs: slices.Sorted(maps.Keys(ls.Inputs)), Files: ls.Files, Outputs: ls.Outputs, Metrics: ls.Metrics}
		s.Signer, s.Trusted = signers(ls.Key)
		if fig, ok := strings.CutPrefix(name, "figures/"); ok {
			s.Artifacts = map[string][]byte{}
			for out, ext := range map[string]string{"figure.svg": ".svg", "data.csv": ".csv"} {
				if h, ok := ls.Outputs[out]; ok {
					b, err := p.store.Get(h)
					if err != nil {
						return nil, fmt.Errorf("%s %s: %w (run `repro run --profile %s`)", name, out, err, p.profile)
					}
					s.Artifacts["figures/"+strings.ReplaceAll(fig, "/", "-")+ext] = b
				}
			}
		}
		for f, h := range ls.Files {
			if !strings.HasPrefix(f, "data/") || seen[f] {
				continue
			}
			seen[f] = true
			b, err := os.ReadFile(filepath.Join(p.root, filepath.FromSlash(f)))
			if err != nil {
				return nil, err
			}
			if pipeline.HashBytes(b) != h {
				return nil, fmt.Errorf("%s changed since the run that wrote %s: run again first", f, filepath.Base(p.lockPath()))
			}
			pv := prov[path.Base(f)]
			r.Data = append(r.Data, crate.DataFile{Path: f, Content: b, License: pv.License, LicenseName: pv.LicenseName, Description: pv.Title})
		}
		r.Stages = append(r.Stages, s)
	}
	slices.SortFunc(r.Data, func(a, b crate.DataFile) int { return strings.Compare(a.Path, b.Path) })
	return r, nil
}

// publishReport is the stored report of the lock, filled in as the run
// exported it (commit, timings), so that it matches the lock even when
// artifacts/report.html was since exported by another profile.
func publishReport(p *project, lock *pipeline.Lock) ([]byte, error) {
	rs := stages.ReportInLock(lock)
	if rs == nil || rs.Outputs["report.html"] == "" {
		return nil, nil
	}
	b, err := p.store.Get(rs.Outputs["report.html"])
	if err != nil {
		return nil, fmt.Errorf("the report: %w (run `repro run --profile %s`)", err, p.profile)
	}
	st, err := session.ReadState(p.store.Dir, p.profile)
	if err != nil {
		st = &session.State{Profile: p.profile, Finished: "unknown"}
	}
	exp := stages.RunExport{Root: p.root, Store: p.store, Graph: p.graph, LockPath: p.lockPath(), Profile: p.profile, State: st}
	return []byte(exp.Fill(b)), nil
}

// publishCommit finds the code's commit as `repro version` does: the
// binary's build stamp, else git in the checkout.
func publishCommit(root string) (commit string, modified bool, source string) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if commit != "" {
			return commit, modified, "the binary's build stamp"
		}
	}
	repo := gitrev.Repo{Dir: root}
	head, err := repo.Commit("HEAD")
	if err != nil {
		return "", false, ""
	}
	st, err := repo.Git("status", "--porcelain", "--untracked-files=no")
	return head, err != nil || st != "", "git in the checkout"
}

// publishSigners returns, for a stage key, the key id that signed the
// entry pulled from the shared store (pipeline/pulled.go keeps it beside
// the run entry) and whether the project's trusted keys vouch for it.
func publishSigners(p *project) (func(key string) (string, bool), error) {
	trust, err := verifyTrust(p, false)
	if err != nil {
		return nil, err
	}
	_, probs, err := p.store.CheckPulled(trust)
	if err != nil {
		return nil, err
	}
	bad := map[string]bool{}
	for _, pr := range probs {
		bad[pr.Key] = true
	}
	return func(key string) (string, bool) {
		if len(key) < 2 {
			return "", false
		}
		b, err := pipeline.ReadRegularFile(filepath.Join(p.store.Dir, "runs", key[:2], key+".sig"), pipeline.MaxRunEntryBytes, "a signature")
		if err != nil {
			return "", false
		}
		ent, err := pipeline.ParseRunEntry(b)
		if err != nil || !ent.Signed() {
			return "", false
		}
		return ent.KeyID, trust.Len() > 0 && !bad[key]
	}, nil
}
