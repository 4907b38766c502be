package serve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// studyCopy copies what the quick profile reads (parameters, data,
// templates) into a new directory: a project without the Go source, so its
// keys hold this test binary's build ID (project.Open).
func studyCopy(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	for _, rel := range []string{"params.yaml", "params.quick.yaml", "data", "templates"} {
		err := filepath.WalkDir(filepath.Join("..", rel), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			r, _ := filepath.Rel("..", p)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, r), 0o755)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, r), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// messages are the lines a run printed about the report, the notes, the
// warnings and the remote store: not its progress or its times.
func messages(out string) []string {
	var ms []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "repro: report: ") || strings.HasPrefix(l, "repro: note: ") ||
			strings.HasPrefix(l, "repro: warning: ") || strings.HasPrefix(l, "repro: remote store ") {
			ms = append(ms, l)
		}
	}
	return ms
}

// A run of repro serve is a run of repro run (issue 25): it uploads what
// it computes to the remote store of store.remote, pulls what the remote
// holds, and prints the same warnings, notes and remote summary as
// project.Project.Run does for repro run.
func TestServeRunIsRepoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quick profile")
	}
	keyFile := filepath.Join(t.TempDir(), "signing.key")
	k, err := pipeline.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.WriteKeyPair(keyFile, k); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.SigningKeyEnv, keyFile)
	remote := "file://" + filepath.ToSlash(t.TempDir())
	environ := append(os.Environ(), "REPRO_STORE_REMOTE="+remote, "REPRO_STORE_TRUSTED_KEYS=["+k.PublicKey.String()+"]")
	open := func() (project.Options, *project.Project) {
		t.Helper()
		opts := project.Options{Dir: studyCopy(t), Profile: "quick", Environ: environ, Store: "artifacts", NoRebuild: true}
		p, err := project.Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		return opts, p
	}
	serveRun := func() (string, RunRecord) {
		t.Helper()
		opts, p := open()
		var out bytes.Buffer
		s := newServeSession(opts, p, &out)
		s.run(context.Background(), []string{"start of the session"}, false)
		if len(s.history) != 1 || s.history[0].Error != "" {
			t.Fatalf("serve run: %+v\n%s", s.history, out.String())
		}
		return out.String(), s.history[0]
	}
	summary := regexp.MustCompile(`repro: remote store \S+: (\d+) pulled, (\d+) uploaded`)
	counts := func(who, out string) (pulled, uploaded string) {
		t.Helper()
		m := summary.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s printed no remote summary:\n%s", who, out)
		}
		return m[1], m[2]
	}

	// Serve computes the quick profile and uploads it.
	first, rec := serveRun()
	if pulled, uploaded := counts("the first serve run", first); pulled != "0" || uploaded == "0" || len(rec.Ran) == 0 {
		t.Fatalf("the first serve run pulled %s, uploaded %s, ran %d, want it to compute and upload:\n%s", pulled, uploaded, len(rec.Ran), first)
	}
	if len(messages(first)) < 2 {
		t.Errorf("the first serve run printed no warning or note about the report:\n%s", first)
	}

	// repro run, elsewhere, pulls every stage from it.
	_, p := open()
	var out bytes.Buffer
	res, err := p.Run(context.Background(), p.Graph.Stages(), project.RunOptions{Stderr: &out})
	if err != nil || !res.Recorded {
		t.Fatalf("repro run: %v\n%s", err, out.String())
	}
	run := out.String()
	if pulled, uploaded := counts("repro run", run); pulled == "0" || uploaded != "0" || len(res.Ran) != 0 {
		t.Fatalf("repro run after serve pulled %s, uploaded %s, ran %v, want every stage pulled:\n%s", pulled, uploaded, res.Ran, run)
	}

	// A serve run in a third place pulls as repro run did, and says the
	// same about the report, its notes and the remote.
	third, rec := serveRun()
	if len(rec.Ran) != 0 {
		t.Errorf("the second serve run ran %v, want every stage pulled", rec.Ran)
	}
	if got, want := messages(third), messages(run); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("serve printed\n%s\nrepro run printed\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
