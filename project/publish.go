package project

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

	"go.yaml.in/yaml/v3"

	"github.com/repro-dev/repro/crate"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
	"github.com/repro-dev/repro/stages"
)

// Publish writes the last run of p's profile into dir as an RO-Crate
// (Crate, crate.Write) and checks it (crate.Check). dir must be missing,
// empty, or a crate an earlier Publish wrote, which it replaces; anything
// else is a UsageError. It returns how many files and directories the
// crate holds and how many stages it describes (as actions).
func (p *Project) Publish(dir, license string, authors []string) (files, actions int, err error) {
	run, err := p.Crate(license, authors)
	if err != nil {
		return 0, 0, err
	}
	if err := clearCrateDir(dir); err != nil {
		return 0, 0, err
	}
	c, err := crate.Write(dir, run)
	if err != nil {
		return 0, 0, err
	}
	if errs := crate.Check(dir); len(errs) > 0 {
		return 0, 0, fmt.Errorf("publish: the crate fails its own check: %w", errors.Join(errs...))
	}
	parts, _ := c.Root["hasPart"].([]any)
	return len(parts), len(run.Stages), nil
}

// clearCrateDir refuses a dir that holds anything but an earlier crate,
// and removes an earlier crate.
func clearCrateDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(ents) == 0 {
		return nil
	}
	if err != nil {
		return UsageError{err}
	}
	if _, err := os.Lstat(filepath.Join(dir, crate.MetadataFile)); err != nil {
		return Usagef("%s is not empty and holds no %s: publish writes into a new or empty directory", dir, crate.MetadataFile)
	}
	return os.RemoveAll(dir)
}

// Crate describes the last run of p's profile, for an RO-Crate (repro publish): its lock, the stored
// outputs it names, the exported report, the data files and the code.
func (p *Project) Crate(license string, authors []string) (*crate.Run, error) {
	lock, err := pipeline.ReadLock(p.LockPath())
	if err != nil {
		return nil, err
	}
	if len(lock.Stages) == 0 {
		return nil, Usagef("%s records no run: run `repro run --profile %s` first", filepath.Base(p.LockPath()), p.Profile)
	}
	params, err := yaml.Marshal(p.Params)
	if err != nil {
		return nil, err
	}
	r := &crate.Run{License: license, Authors: authors, Date: time.Now(), Profile: p.Profile,
		Toolchain: lock.Toolchain, Parameters: params}
	r.Commit, r.Modified, r.CommitSource = Commit(p.Root)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			m := crate.Module{Path: d.Path, Version: d.Version}
			if d.Replace != nil {
				m.Version += " => " + d.Replace.Path + " " + d.Replace.Version
			}
			r.Modules = append(r.Modules, m)
		}
	}
	if r.Report, err = p.publishReport(lock); err != nil {
		return nil, err
	}
	r.Name = fmt.Sprintf("repro report (profile %s)", p.Profile)
	if m := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(r.Report); m != nil {
		r.Name = html.UnescapeString(string(m[1]))
	}
	r.Description = fmt.Sprintf("The results of the %q profile of the pipeline: the report, its figures and metrics, the data files, and every stage that produced them with its code, parameters, inputs and outputs.", p.Profile)
	signers, err := p.publishSigners()
	if err != nil {
		return nil, err
	}
	readme, _ := os.ReadFile(filepath.Join(p.Root, "data", "README.md"))
	prov := crate.ReadProvenance(readme)
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(lock.Stages)) {
		ls := lock.Stages[name]
		s := crate.Stage{Name: name, Func: ls.Func, Key: ls.Key, Code: ls.Code, Params: ls.Params,
			Inputs: slices.Sorted(maps.Keys(ls.Inputs)), Files: ls.Files, Outputs: ls.Outputs, Metrics: ls.Metrics}
		s.Signer, s.Trusted = signers(ls.Key)
		if fig, ok := stages.FigureArtifact(name); ok {
			s.Artifacts = map[string][]byte{}
			for out, ext := range map[string]string{"figure.svg": ".svg", "data.csv": ".csv"} {
				if h, ok := ls.Outputs[out]; ok {
					b, err := p.Store.Get(h)
					if err != nil {
						return nil, fmt.Errorf("%s %s: %w (run `repro run --profile %s`)", name, out, err, p.Profile)
					}
					s.Artifacts[fig+ext] = b
				}
			}
		}
		for f, h := range ls.Files {
			if !strings.HasPrefix(f, "data/") || seen[f] {
				continue
			}
			seen[f] = true
			b, err := os.ReadFile(filepath.Join(p.Root, filepath.FromSlash(f)))
			if err != nil {
				return nil, err
			}
			if pipeline.HashBytes(b) != h {
				return nil, fmt.Errorf("%s changed since the run that wrote %s: run again first", f, filepath.Base(p.LockPath()))
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
func (p *Project) publishReport(lock *pipeline.Lock) ([]byte, error) {
	rs := stages.ReportInLock(lock)
	if rs == nil || rs.Outputs["report.html"] == "" {
		return nil, nil
	}
	b, err := p.Store.Get(rs.Outputs["report.html"])
	if err != nil {
		return nil, fmt.Errorf("the report: %w (run `repro run --profile %s`)", err, p.Profile)
	}
	st, err := session.ReadState(p.Store.Dir, p.Profile)
	if err != nil {
		st = &session.State{Profile: p.Profile, Finished: "unknown"}
	}
	exp := stages.RunExport{Root: p.Root, Store: p.Store, Graph: p.Graph, LockPath: p.LockPath(), Profile: p.Profile, State: st}
	return []byte(exp.Fill(b)), nil
}

// publishSigners returns, for a stage key, the key id that signed the
// entry pulled from the shared store (pipeline/pulled.go keeps it beside
// the run entry) and whether the project's trusted keys vouch for it.
func (p *Project) publishSigners() (func(key string) (string, bool), error) {
	trust, err := p.VerifyTrust(false)
	if err != nil {
		return nil, err
	}
	_, probs, err := p.Store.CheckPulled(trust)
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
		b, err := pipeline.ReadRegularFile(filepath.Join(p.Store.Dir, "runs", key[:2], key+".sig"), pipeline.MaxRunEntryBytes, "a signature")
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
