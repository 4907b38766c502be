package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/stages"
)

// The scale-out tests: sharded runs of the quick profile against one shared
// store, then an assembling run, compared with a single machine's run.

// remoteRun runs the binary with extra environment variables.
func remoteRun(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runReproEnv(t, dir, env, args...)
}

// scaleOutSummary is run --json with the scale-out fields.
type scaleOutSummary struct {
	Ran, Cached, Failed, Pulled, Skipped []string
	Report                               string
}

func parseScaleOut(t *testing.T, r result) scaleOutSummary {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("repro run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var s scaleOutSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("run --json: last line %q: %v", lines[len(lines)-1], err)
	}
	return s
}

// quickRemote runs the quick profile with store.remote set to url.
func quickRemote(t *testing.T, dir, url string, args ...string) (scaleOutSummary, result) {
	t.Helper()
	r := remoteRun(t, dir, append(s3Env(), "REPRO_STORE_REMOTE="+url), append([]string{"run", "--profile", "quick", "--json"}, args...)...)
	return parseScaleOut(t, r), r
}

// scaleOutRef is one single-machine run of the quick profile, shared by the
// tests: its lock and its report without the run's own provenance.
var scaleOutRef struct {
	once         sync.Once
	lock, report []byte
	err          string
}

func singleMachine(t *testing.T) (lock, report []byte) {
	t.Helper()
	scaleOutRef.once.Do(func() {
		src := copyProject(t)
		r := runRepro(t, src, "run", "--profile", "quick", "--json")
		if r.code != 0 {
			scaleOutRef.err = r.stderr
			return
		}
		scaleOutRef.lock, _ = os.ReadFile(filepath.Join(src, "repro.quick.lock"))
		html, _ := os.ReadFile(filepath.Join(src, "artifacts/report.html"))
		scaleOutRef.report = runSpecific.ReplaceAll(html, nil)
	})
	if scaleOutRef.err != "" || len(scaleOutRef.lock) == 0 {
		t.Fatalf("single-machine run failed: %s", scaleOutRef.err)
	}
	return scaleOutRef.lock, scaleOutRef.report
}

// gridPoints lists the shardable stages of the quick profile.
func gridPoints(t *testing.T) map[string]bool {
	t.Helper()
	root := moduleRoot(t)
	p, err := config.Load(config.Options{Dir: root, Profile: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := stages.Build(p, stages.Env{Profile: "quick", KaTeX: stages.KaTeXFiles(os.DirFS(root))})
	if err != nil {
		t.Fatal(err)
	}
	pts := map[string]bool{}
	for _, s := range g.Stages() {
		if s.Shard {
			pts[s.Name] = true
		}
	}
	if len(pts) < 20 {
		t.Fatalf("the quick profile has %d grid points", len(pts))
	}
	return pts
}

// checkShardsThenAssemble runs --shard 0/2 and 1/2 at the same time in two
// project copies against url, then an assembling run in a third, and checks
// the contract: every grid point in exactly one shard, no lock from a shard,
// nothing after the grid in a shard, no grid point in the assembling run,
// and the lock and report of a single machine.
func checkShardsThenAssemble(t *testing.T, url string) {
	refLock, refReport := singleMachine(t)
	pts := gridPoints(t)
	// Every machine signs its uploads with one key, and so trusts it.
	keyFile, _ := signingKey(t)
	env := append(append(s3Env(), "REPRO_STORE_REMOTE="+url), signedEnv(keyFile)...)
	dirs := []string{copyProject(t), copyProject(t)}
	sums := make([]scaleOutSummary, 2)
	res := make([]result, 2)
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = remoteRun(t, dirs[i], env, "run", "--profile", "quick", "--json", "--shard", []string{"0/2", "1/2"}[i])
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range dirs {
		sums[i] = parseScaleOut(t, res[i])
		s := sums[i]
		if s.Report != "" || len(s.Failed) != 0 {
			t.Errorf("shard %d: report %q, failed %v", i, s.Report, s.Failed)
		}
		if _, err := os.Stat(filepath.Join(dirs[i], "repro.quick.lock")); err == nil {
			t.Errorf("shard %d wrote a lock", i)
		}
		n := 0
		for _, name := range append(append([]string(nil), s.Ran...), s.Cached...) {
			if pts[name] {
				seen[name]++
				n++
			} else if strings.HasPrefix(name, "figures/") || name == "report" || strings.Contains(name, "/tune") {
				t.Errorf("shard %d ran %s, which comes after the grid", i, name)
			}
		}
		if n == 0 || n == len(pts) {
			t.Errorf("shard %d took %d of %d grid points", i, n, len(pts))
		}
		if !strings.Contains(res[i].stderr, "grid points") {
			t.Errorf("shard %d: no shard summary:\n%s", i, res[i].stderr)
		}
		t.Logf("shard %d/2: %d grid points", i, n)
	}
	for name := range pts {
		if seen[name] != 1 {
			t.Errorf("grid point %s ran in %d shards, want 1", name, seen[name])
		}
	}

	c := copyProject(t)
	s, r := quickRemoteEnv(t, c, env)
	for _, name := range s.Ran {
		if pts[name] {
			t.Errorf("the assembling run ran grid point %s", name)
		}
	}
	if len(s.Pulled) < len(pts) || len(s.Failed) != 0 || s.Report != "artifacts/report.html" {
		t.Errorf("assembling run: pulled %d (want >= %d grid points), failed %v, report %q", len(s.Pulled), len(pts), s.Failed, s.Report)
	}
	if len(warningLines(r.stderr)) > 0 {
		t.Errorf("assembling run warned:\n%s", r.stderr)
	}
	lock, _ := os.ReadFile(filepath.Join(c, "repro.quick.lock"))
	if !bytes.Equal(lock, refLock) {
		t.Error("the assembled lock differs from a single machine's")
	}
	html, _ := os.ReadFile(filepath.Join(c, "artifacts/report.html"))
	if !bytes.Equal(runSpecific.ReplaceAll(html, nil), refReport) {
		t.Error("the assembled report differs from a single machine's beyond the run's provenance")
	}
	if v := runRepro(t, c, "verify"); v.code != 0 {
		t.Errorf("verify after pulling: exit %d\n%s", v.code, v.stdout)
	}
}

func TestRemoteShardsFileStore(t *testing.T) {
	t.Parallel()
	checkShardsThenAssemble(t, "file://"+filepath.Join(t.TempDir(), "shared"))
}

// A remote that cannot be used is one warning, and the run completes on the
// local store; with --remote-required it is an error.
func TestRemoteUnusable(t *testing.T) {
	t.Parallel()
	a := copyProject(t)
	notDir := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	url := "file://" + notDir
	s, r := quickRemote(t, a, url)
	if len(s.Failed) != 0 || s.Report == "" {
		t.Errorf("run with an unusable remote: failed %v, report %q", s.Failed, s.Report)
	}
	if n := strings.Count(r.stderr, "warning: remote store"); n != 1 || !strings.Contains(r.stderr, "going on with the local store only") {
		t.Errorf("want exactly one warning about the remote, got %d:\n%s", n, r.stderr)
	}
	rr := remoteRun(t, a, []string{"REPRO_STORE_REMOTE=" + url}, "run", "--profile", "quick", "--remote-required")
	if rr.code != 1 || !strings.Contains(rr.stderr, "--remote-required") {
		t.Errorf("--remote-required with an unusable remote: exit %d, want 1\n%s", rr.code, rr.stderr)
	}
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--remote-required"}, "store.remote is empty"},
		{[]string{"REPRO_STORE_REMOTE=http://example.org/x"}, nil, "store.remote"},
		{nil, []string{"--shard", "2/2"}, "0 <= I < N"},
		{nil, []string{"--shard", "half"}, "want I/N"},
	} {
		r := remoteRun(t, a, tc.env, append([]string{"run", "--profile", "quick"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v %v: exit %d, want 2 and %q\n%s", tc.env, tc.args, r.code, tc.want, r.stderr)
		}
	}
}
