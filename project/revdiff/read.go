package revdiff

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/repro-dev/repro"
	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/gitrev"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// A Side is one side of a diff: a lock and where it comes from.
type Side struct {
	Rev    string // as given; "" for the working tree
	Commit string // full hash; "" for the working tree and computed results
	Label  string
	Lock   *pipeline.Lock
}

// ReadComputed is the lock of what the store holds for every stage's
// current key (pipeline.Engine.Computed): what this checkout computed,
// whatever its lock file says. A stage the store lacks is an error.
func ReadComputed(p *project.Project) (*Side, error) {
	l, missing, err := p.Engine.Computed(p.Graph.Stages())
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		flag := ""
		if p.Profile != "default" {
			flag = " --profile " + p.Profile
		}
		more := ""
		if len(missing) > 3 {
			more = fmt.Sprintf(" and %d more", len(missing)-3)
			missing = missing[:3]
		}
		return nil, fmt.Errorf("--against-computed: the store holds no result for %s%s under the current code and parameters: run `repro run%s` first", project.TermText(strings.Join(missing, ", ")), more, flag)
	}
	l.Profile = p.Profile
	return &Side{Label: "computed", Lock: l}, nil
}

// trustSection is the section of the parameter files that decides
// which results are trusted.
const trustSection = "store"

// Trust reads a side's trust settings: the store section of
// params.yaml, overlaid by the profile's file, at the side's revision (the
// working tree for the working tree's lock and for computed results), as
// flat keys with their values as JSON. A file that cannot be read or
// parsed is a setting of its own, so that it shows as a change.
func Trust(root string, side *Side, profile string) map[string]string {
	out := map[string]string{}
	read := func(name string) ([]byte, error) {
		if side.Commit != "" {
			return gitrev.Repo{Dir: root}.ReadFile(side.Commit, name)
		}
		return pipeline.ReadInputFile(filepath.Join(root, name), 1<<20)
	}
	files := []string{config.ProfileFile("default")}
	if profile != "default" {
		files = append(files, config.ProfileFile(profile))
	}
	for _, name := range files {
		b, err := read(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var m map[string]any
		if err == nil {
			m, err = config.ParseYAML(name, b)
		}
		if err != nil {
			out["("+name+")"] = "unreadable"
			continue
		}
		st, ok := m[trustSection].(map[string]any)
		if !ok {
			if v, present := m[trustSection]; present {
				js, _ := json.Marshal(v)
				out[trustSection] = string(js)
			}
			continue
		}
		for k, v := range st {
			js, err := json.Marshal(v)
			if err != nil {
				js = []byte(fmt.Sprint(v))
			}
			out[trustSection+"."+k] = string(js)
		}
	}
	return out
}

// Reach fingerprints stage functions of this binary's own source, built
// only when a stage's code changed, with the results cached in cacheDir
// ("" for none; see project.FingerprintDir). Call flush when done.
func Reach(cacheDir string) (reach func(string) (*pipeline.Code, error), flush func()) {
	var once sync.Once
	var fp *pipeline.Fingerprinter
	var fpErr error
	reach = func(fn string) (*pipeline.Code, error) {
		once.Do(func() { fp, fpErr = pipeline.NewCachedFingerprinter(repro.Source, pipeline.CurrentBuild(), cacheDir) })
		if fpErr != nil {
			return nil, fpErr
		}
		return fp.Reach(fn)
	}
	flush = func() {
		if fp != nil {
			fp.Flush()
		}
	}
	return reach, flush
}

// ReadRev reads the lock file at a git revision, without a checkout.
func ReadRev(root, rev, lockName, profile string) (*Side, error) {
	repo := gitrev.Repo{Dir: root}
	commit, err := repo.Commit(rev)
	if errors.Is(err, gitrev.ErrNotRepo) {
		return nil, project.Usagef("%s is not in a git repository: repro diff compares the lock files of git revisions", root)
	}
	if err != nil {
		return nil, project.UsageError{Err: err}
	}
	short := commit[:7]
	s := &Side{Rev: rev, Commit: commit, Label: rev + " (" + short + ")"}
	if strings.HasPrefix(commit, rev) {
		s.Label = short
	}
	b, err := repo.ReadFile(commit, lockName)
	if err != nil {
		msg := ""
		if !errors.Is(err, fs.ErrNotExist) {
			msg = ": " + err.Error()
		}
		return nil, project.Usagef("revision %s has no %s (was the %s profile run and its lock committed there?)%s", s.Label, lockName, profile, msg)
	}
	s.Lock, err = pipeline.ParseLock(rev+":"+lockName, b)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ReadWorktree reads the lock file of the working tree (the latest run).
func ReadWorktree(root, lockName, profile string) (*Side, error) {
	p := filepath.Join(root, lockName)
	if _, err := os.Stat(p); err != nil {
		flag := ""
		if profile != "default" {
			flag = " --profile " + profile
		}
		return nil, project.Usagef("the working tree has no %s: run `repro run%s` first, or name two revisions", lockName, flag)
	}
	l, err := pipeline.ReadLock(p)
	if err != nil {
		return nil, err
	}
	return &Side{Label: "working tree", Lock: l}, nil
}

// ---- --html ----

type figure struct {
	Name     string
	A, B     template.URL // data: URLs, empty when missing
	NoA, NoB string       // why a side shows no image
}

// reportOf finds the report stage of a lock: the stage with a report.html
// output, "report" first. prov is "" when the report predates the
// provenance of its numbers.
func reportOf(l *pipeline.Lock) (stage, page, prov string) {
	if l == nil {
		return "", "", ""
	}
	if s := l.Stages["report"]; s != nil && s.Outputs[reportOutput] != "" {
		return "report", s.Outputs[reportOutput], s.Outputs[provFile]
	}
	for _, name := range slices.Sorted(maps.Keys(l.Stages)) {
		if s := l.Stages[name]; s.Outputs[reportOutput] != "" {
			return name, s.Outputs[reportOutput], s.Outputs[provFile]
		}
	}
	return "", "", ""
}

// WriteHTML writes dir/index.html: a summary of the diff (counts, rules,
// the metrics that moved beyond their noise), every changed figure of A and
// B side by side, the report of B with every number that changed from A
// marked old → new (dir/report.html, shown in a frame), and the stages last,
// folded. Figures and reports are read from the store st; those of a
// revision the store lacks are rebuilt first in a temporary worktree of
// root (saying so on stderr).
func WriteHTML(ctx context.Context, stderr io.Writer, dir string, d *pipeline.LockDiff, st *pipeline.Store, root, profile string, a, b *Side) error {
	// Rebuild the figures and the report of a revision that the store lacks.
	missing := map[*Side][]string{}
	for _, f := range d.Figures {
		if f.A != "" && !st.Has(f.A) {
			missing[a] = append(missing[a], f.Stage)
		}
		if f.B != "" && !st.Has(f.B) && b.Commit != "" {
			missing[b] = append(missing[b], f.Stage)
		}
	}
	for _, side := range []*Side{a, b} {
		stage, page, prov := reportOf(side.Lock)
		if side.Commit != "" && prov != "" && (!st.Has(page) || !st.Has(prov)) {
			missing[side] = append(missing[side], stage)
		}
	}
	for _, side := range []*Side{a, b} {
		stages := missing[side]
		if len(stages) == 0 {
			continue
		}
		fmt.Fprintf(stderr, "repro: diff: %d figures or reports of %s are not in the store: rebuilding them in a temporary worktree\n", len(stages), side.Label)
		if err := rebuildAt(ctx, root, side.Commit, dedup(stages), st.Dir, profile); err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(stderr, "repro: diff: warning: could not rebuild the figures of %s: %v\n", side.Label, err)
		}
	}
	var figs []figure
	for _, f := range d.Figures {
		fig := figure{Name: f.Name()}
		fig.A, fig.NoA = image(st, f.Output, f.A, "not in A", a)
		fig.B, fig.NoB = image(st, f.Output, f.B, "not in B", b)
		figs = append(figs, fig)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rep := markedReport(st, dir, d, a, b)
	page, err := renderPage(d, figs, rep)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "index.html")
	if err := pipeline.WriteFileAtomic(out, page); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "repro: diff: wrote %s\n", out)
	return nil
}

// reportSection is the marked report of B, or why there is none.
type reportSection struct {
	File    string // "report.html" in the page's directory, "" when none
	Legend  string
	Note    string // why the numbers are not compared
	Changed []NumberChange
}

// markedReport compares the numbers of A's and B's reports and writes
// B's, marked, to dir/report.html. It removes a report.html left there by
// an earlier diff when it writes none.
func markedReport(st *pipeline.Store, dir string, d *pipeline.LockDiff, a, b *Side) reportSection {
	out := filepath.Join(dir, reportOutput)
	_, pageA, provA := reportOf(a.Lock)
	_, pageB, provB := reportOf(b.Lock)
	read := func(h string) []byte {
		if h == "" {
			return nil
		}
		bs, err := st.Get(h)
		if err != nil {
			return nil
		}
		return bs
	}
	why := func(s string) reportSection {
		os.Remove(out)
		return reportSection{Note: s}
	}
	switch {
	case pageB == "":
		return why("B (" + b.Label + ") records no report.")
	case pageA == "":
		return why("A (" + a.Label + ") records no report: its numbers cannot be compared.")
	case provA == "":
		return why("The report of A (" + a.Label + ") predates the provenance marks of its numbers (no " + provFile + "): its numbers cannot be matched with B's, so only the figures are compared.")
	case provB == "":
		return why("The report of B (" + b.Label + ") predates the provenance marks of its numbers (no " + provFile + "): only the figures are compared.")
	}
	ha, pa, hb, pb := read(pageA), read(provA), read(pageB), read(provB)
	switch {
	case ha == nil || pa == nil:
		return why("The report of A (" + a.Label + ") is not in the local store, and could not be rebuilt: its numbers are not compared.")
	case hb == nil || pb == nil:
		return why("The report of B (" + b.Label + ") is not in the local store: run `repro run` to rebuild it.")
	}
	n, err := CompareNumbers(ha, pa, hb, pb)
	if err != nil {
		return why("The numbers of the reports could not be compared: " + err.Error())
	}
	if err := pipeline.WriteFileAtomic(out, MarkReport(hb, n, d.A.Label, d.B.Label)); err != nil {
		return why("The marked report could not be written: " + err.Error())
	}
	return reportSection{File: reportOutput, Legend: n.Legend(), Changed: n.Changed}
}

func dedup(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// image reads figure h from the store as a data: URL, or says why not.
func image(st *pipeline.Store, output, h, absent string, side *Side) (template.URL, string) {
	if h == "" {
		return "", absent
	}
	bs, err := st.Get(h)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if side.Commit == "" {
				return "", "not in the local store: run `repro run` to rebuild it"
			}
			return "", "not in the local store, and rebuilding it from " + side.Label + " failed (see the log)"
		}
		return "", err.Error()
	}
	mime := "image/svg+xml"
	if strings.HasSuffix(strings.ToLower(output), ".png") {
		mime = "image/png"
	}
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(bs)), ""
}

// rebuildAt runs the given stages of a commit in a temporary git worktree
// that shares the store at storeDir, with the repro built from that commit,
// so that only its stale stages run. The worktree is removed afterwards.
func rebuildAt(ctx context.Context, root, commit string, stages []string, storeDir, profile string) error {
	args := []string{"--store", storeDir}
	if profile != "" {
		args = append(args, "--profile", profile)
	}
	args = append(append(args, "run"), stages...)
	// The revision's own parameters, not this shell's overrides.
	noOverrides := func(kv string) bool { return strings.HasPrefix(kv, "REPRO_") }
	return gitrev.Repo{Dir: root}.RunAt(ctx, commit, args, noOverrides)
}
