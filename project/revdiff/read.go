package revdiff

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

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
// only when a stage's code changed.
func Reach() func(string) (*pipeline.Code, error) {
	var once sync.Once
	var fp *pipeline.Fingerprinter
	var fpErr error
	return func(fn string) (*pipeline.Code, error) {
		once.Do(func() { fp, fpErr = pipeline.NewFingerprinter(repro.Source) })
		if fpErr != nil {
			return nil, fpErr
		}
		return fp.Reach(fn)
	}
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

// WriteHTML writes dir/index.html: the Markdown of the diff, then every
// changed figure of A and B side by side, read from the store st; figures
// of a revision the store lacks are rebuilt first in a temporary worktree
// of root (saying so on stderr).
func WriteHTML(ctx context.Context, stderr io.Writer, dir string, d *pipeline.LockDiff, st *pipeline.Store, root, profile string, a, b *Side) error {
	// Rebuild the figures of a revision that the store lacks.
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
		stages := missing[side]
		if len(stages) == 0 {
			continue
		}
		fmt.Fprintf(stderr, "repro: diff: %d figures of %s are not in the store: rebuilding them in a temporary worktree\n", len(stages), side.Label)
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
	var md bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert([]byte(Markdown(d)), &md); err != nil {
		return err
	}
	var page bytes.Buffer
	err := pageTemplate.Execute(&page, map[string]any{
		"A": d.A.Label, "B": d.B.Label, "Summary": template.HTML(md.String()), "Figures": figs,
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(dir, "index.html")
	if err := pipeline.WriteFileAtomic(out, page.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "repro: diff: wrote %s\n", out)
	return nil
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

var pageTemplate = template.Must(template.New("diff").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>repro diff: {{.A}} → {{.B}}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; vertical-align: top; }
code { font-size: 90%; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.pair figure { margin: 0; border: 1px solid #ddd; padding: .5rem; background: #fff; }
.pair img { width: 100%; height: auto; }
.pair figcaption { font-weight: 600; margin-bottom: .3rem; }
.missing { color: #777; font-style: italic; padding: 2rem 0; text-align: center; }
</style>
</head>
<body>
{{.Summary}}
<h2>Changed figures, side by side</h2>
{{if not .Figures}}<p>No figure changed.</p>{{end}}
{{range .Figures}}
<section>
<h3><code>{{.Name}}</code></h3>
<div class="pair">
<figure><figcaption>A: {{$.A}}</figcaption>{{if .A}}<img src="{{.A}}" alt="{{.Name}} at A">{{else}}<div class="missing">{{.NoA}}</div>{{end}}</figure>
<figure><figcaption>B: {{$.B}}</figcaption>{{if .B}}<img src="{{.B}}" alt="{{.Name}} at B">{{else}}<div class="missing">{{.NoB}}</div>{{end}}</figure>
</div>
</section>
{{end}}
</body>
</html>
`))
