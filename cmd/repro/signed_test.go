package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/remote"
)

// Signed results through the binary (docs/security.md): keygen, signed
// uploads, a client that trusts only the honest key refusing poisoned
// entries, read-only mode, size limits, and verify --purge-untrusted.

// signingKey runs `repro keygen` into a temporary directory and returns the
// private key file and the public key line.
func signingKey(t *testing.T) (file, pub string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "signing.key")
	r := runRepro(t, t.TempDir(), "keygen", file)
	pub = strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(pub, "repro-ed25519:") {
		t.Fatalf("keygen: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	return file, pub
}

// signedEnv is the environment of a machine that signs with file and trusts
// pubs (and its own key).
func signedEnv(file string, pubs ...string) []string {
	return []string{"REPRO_SIGNING_KEY_FILE=" + file, "REPRO_STORE_TRUSTED_KEYS=[" + strings.Join(pubs, ", ") + "]"}
}

// trustingEnv is the environment of a machine that trusts pubs and cannot
// sign.
func trustingEnv(pubs ...string) []string {
	return []string{"REPRO_SIGNING_KEY_FILE=", "REPRO_STORE_TRUSTED_KEYS=[" + strings.Join(pubs, ", ") + "]"}
}

func TestKeygen(t *testing.T) {
	t.Parallel()
	file, pub := signingKey(t)
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v, %v; want mode 0600", fi, err)
	}
	if b, _ := os.ReadFile(file + ".pub"); strings.TrimSpace(string(b)) != pub {
		t.Errorf("the .pub file %q differs from the printed key %q", b, pub)
	}
	if _, err := pipeline.ParsePublicKey(pub); err != nil {
		t.Error(err)
	}
	before, _ := os.ReadFile(file)
	if r := runRepro(t, t.TempDir(), "keygen", file); r.code != 2 || !strings.Contains(r.stderr, "not overwriting") {
		t.Errorf("keygen over an existing key: exit %d\n%s", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Error("keygen overwrote a key")
	}
	// A key other users can read is refused, before anything runs.
	dir := copyProject(t)
	os.Chmod(file, 0o644)
	r := runReproEnv(t, dir, append(signedEnv(file), "REPRO_STORE_REMOTE=file://"+t.TempDir()), "run", "--profile", "quick", "digits/load")
	if r.code != 2 || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("run with a world-readable key: exit %d, want 2\n%s", r.code, r.stderr)
	}
}

// storeEditor edits a shared store the way an attacker with write access to
// the bucket (and no key) can.
type storeEditor struct {
	t    *testing.T
	r    pipeline.Remote
	lock *pipeline.Lock
}

func openStoreEditor(t *testing.T, url, lockPath string) *storeEditor {
	t.Helper()
	b, err := remote.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	l, err := pipeline.ReadLock(lockPath)
	if err != nil || len(l.Stages) == 0 {
		t.Fatalf("lock %s: %v", lockPath, err)
	}
	return &storeEditor{t: t, r: b, lock: l}
}

func (e *storeEditor) key(stage string) string {
	s, ok := e.lock.Stages[stage]
	if !ok {
		e.t.Fatalf("no stage %s in the lock", stage)
	}
	return s.Key
}

func (e *storeEditor) get(name string) []byte {
	b, err := e.r.Get(context.Background(), name, 1<<30)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *storeEditor) put(name string, b []byte) {
	if err := e.r.Put(context.Background(), name, b); err != nil {
		e.t.Fatal(err)
	}
}

// entry is the remote run entry of stage and the record it names.
func (e *storeEditor) entry(stage string) (*pipeline.RunEntry, *pipeline.Record) {
	ent, err := pipeline.ParseRunEntry(e.get(pipeline.RemoteRunName(e.key(stage))))
	if err != nil {
		e.t.Fatal(err)
	}
	var rec pipeline.Record
	if err := json.Unmarshal(e.get(pipeline.RemoteObjectName(ent.Record)), &rec); err != nil {
		e.t.Fatal(err)
	}
	return ent, &rec
}

// putRecord uploads rec and makes the run entry of key name it with the
// entry sign returns.
func (e *storeEditor) putRecord(key string, rec *pipeline.Record, sign func(rh string) *pipeline.RunEntry) {
	b, _ := json.Marshal(rec)
	rh := pipeline.HashBytes(b)
	e.put(pipeline.RemoteObjectName(rh), b)
	e.put(pipeline.RemoteRunName(key), sign(rh).Marshal())
}

// poison is one attack on the shared store: the stage whose entry it
// spoils, and what the refusing client's warning says.
type poison struct {
	name, stage, want, keyID string
}

// poisonStore spoils six entries of the honest quick run in the shared
// store at url: a changed metric, swapped outputs, an entry copied to
// another key, an unsigned entry, one signed by an untrusted key, and one
// the honest key signed with an output name that escapes the store.
func poisonStore(t *testing.T, url, lockPath, honestFile string) []poison {
	e := openStoreEditor(t, url, lockPath)
	honest, err := pipeline.LoadSigningKey(honestFile)
	if err != nil {
		t.Fatal(err)
	}
	attacker, err := pipeline.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	keep := func(ent *pipeline.RunEntry) func(string) *pipeline.RunEntry {
		return func(rh string) *pipeline.RunEntry { c := *ent; c.Record = rh; return &c }
	}
	var sgd []string
	for name := range e.lock.Stages {
		if strings.HasPrefix(name, "linear/sgd/batch=") {
			sgd = append(sgd, name)
		}
	}
	sort.Strings(sgd)

	ent, rec := e.entry("linear/ols")
	for m := range rec.Metrics {
		rec.Metrics[m] *= 0.5 // a better-looking result
	}
	e.putRecord(rec.Key, rec, keep(ent))

	ent, rec = e.entry("logistic/sgd/seed=2")
	_, other := e.entry("logistic/sgd/seed=1")
	rec.Outputs["value"] = other.Outputs["value"]
	e.putRecord(rec.Key, rec, keep(ent))

	e.put(pipeline.RemoteRunName(e.key(sgd[1])), e.get(pipeline.RemoteRunName(e.key(sgd[0]))))

	ent, _ = e.entry("logistic/lbfgs")
	e.put(pipeline.RemoteRunName(e.key("logistic/lbfgs")), (&pipeline.RunEntry{Record: ent.Record}).Marshal())

	_, rec = e.entry("baseline/keras-style")
	for m := range rec.Metrics {
		rec.Metrics[m] = 1
	}
	e.putRecord(rec.Key, rec, func(rh string) *pipeline.RunEntry { return attacker.Sign(rec, rh) })

	_, rec = e.entry("neural/classification/tune")
	rec.Outputs = map[string]string{"../../escape": rec.Outputs["value"]}
	e.putRecord(rec.Key, rec, func(rh string) *pipeline.RunEntry { return honest.Sign(rec, rh) })

	return []poison{
		{"changed metric", "linear/ols", "does not match the record", honest.ID},
		{"swapped outputs", "logistic/sgd/seed=2", "does not match the record", honest.ID},
		{"copied to another key", sgd[1], "copied from another entry", honest.ID},
		{"unsigned", "logistic/lbfgs", "unsigned", ""},
		{"signed by an untrusted key", "baseline/keras-style", "not trusted", attacker.ID},
		{"output name outside the store", "neural/classification/tune", `output name "../../escape"`, ""},
	}
}

// checkPoisonRefused runs the contract of signed results against the shared
// store at url (a fresh one): an honest signing machine fills it, an
// attacker spoils six entries, and a machine that trusts only the honest
// key computes exactly those six, with one warning each, and ends with the
// honest lock; read-only and keyless machines upload nothing; a signing
// machine uploads the six again; verify re-checks what was pulled.
func checkPoisonRefused(t *testing.T, url string) {
	honestFile, honestPub := signingKey(t)
	remoteEnv := append(s3Env(), "REPRO_STORE_REMOTE="+url)
	env := func(e ...string) []string { return append(slices.Clone(remoteEnv), e...) }

	a := copyProject(t)
	sa, ra := quickRemoteEnv(t, a, env(signedEnv(honestFile)...))
	if len(sa.Ran) < 100 || len(warningLines(ra.stderr)) > 0 {
		t.Fatalf("honest run: ran %d, stderr:\n%s", len(sa.Ran), ra.stderr)
	}
	honestLock, _ := os.ReadFile(filepath.Join(a, "repro.quick.lock"))
	poisons := poisonStore(t, url, filepath.Join(a, "repro.quick.lock"), honestFile)
	ed := openStoreEditor(t, url, filepath.Join(a, "repro.quick.lock"))
	poisoned := map[string]string{} // run entry name -> its poisoned bytes
	for _, p := range poisons {
		n := pipeline.RemoteRunName(ed.key(p.stage))
		poisoned[n] = string(ed.get(n))
	}
	unchanged := func(who string) {
		t.Helper()
		for n, b := range poisoned {
			if string(ed.get(n)) != b {
				t.Errorf("%s uploaded %s", who, n)
			}
		}
	}

	// b trusts only the honest key and has no signing key.
	b := copyProject(t)
	sb, rb := quickRemoteEnv(t, b, env(trustingEnv(honestPub)...))
	var want []string
	for _, p := range poisons {
		want = append(want, p.stage)
	}
	sort.Strings(want)
	sort.Strings(sb.Ran)
	if !slices.Equal(sb.Ran, want) {
		t.Errorf("ran %v, want exactly the poisoned stages %v", sb.Ran, want)
	}
	for _, p := range poisons {
		var ws []string
		for _, l := range strings.Split(rb.stderr, "\n") {
			if strings.HasPrefix(l, "warning: "+p.stage+": ") && !strings.Contains(l, "no signing key") {
				ws = append(ws, l)
			}
		}
		if len(ws) != 1 || !strings.Contains(ws[0], p.want) || !strings.Contains(ws[0], p.keyID) {
			t.Errorf("%s: warnings %q; want one for %s saying %q and naming key id %q", p.name, ws, p.stage, p.want, p.keyID)
		}
	}
	if n := strings.Count(rb.stderr, "has no signing key"); n != 1 {
		t.Errorf("%d warnings that nothing is uploaded, want 1:\n%s", n, rb.stderr)
	}
	// Five are refused as untrusted; the sixth, though signed, is malformed.
	if !strings.Contains(rb.stderr, "5 refused") {
		t.Errorf("the summary does not count the refusals:\n%s", rb.stderr)
	}
	if lock, _ := os.ReadFile(filepath.Join(b, "repro.quick.lock")); string(lock) != string(honestLock) {
		t.Error("the lock of the refusing machine differs from the honest one")
	}
	if _, err := os.Stat(filepath.Join(b, "artifacts", "escape")); err == nil {
		t.Error("a pulled output name escaped the store")
	}
	unchanged("a machine without a signing key")
	if v := runReproEnv(t, b, trustingEnv(honestPub), "verify"); v.code != 0 || !strings.Contains(v.stdout, "each signed by a trusted key") {
		t.Errorf("verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}

	// Read-only (flag or store.remote_mode): pulls, uploads nothing, even
	// with a signing key and new results.
	for _, args := range [][]string{{"--remote-readonly"}, {"--set", "store.remote_mode=read"}} {
		c := copyProject(t)
		sc, rc := quickRemoteEnv(t, c, env(signedEnv(honestFile)...), append(args, "--set", "report.title=A pull request")...)
		if !slices.Contains(sc.Ran, "report") || len(sc.Pulled) < 100 || !strings.Contains(rc.stderr, "read-only") {
			t.Errorf("%v: ran %v, pulled %d\n%s", args, sc.Ran, len(sc.Pulled), rc.stderr)
		}
		unchanged(strings.Join(args, " "))
		l, err := pipeline.ReadLock(filepath.Join(c, "repro.quick.lock"))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := ed.r.Exists(context.Background(), pipeline.RemoteRunName(l.Stages["report"].Key)); ok || err != nil {
			t.Errorf("%v: the new report was uploaded (%v)", args, err)
		}
	}

	// Bounded downloads: with a limit of 1 KiB, larger objects are
	// refused, and computed here.
	f := copyProject(t)
	sf, rf := quickRemoteEnv(t, f, env(trustingEnv(honestPub)...), "--set", "store.max_object_bytes=1024")
	if len(sf.Failed) != 0 || len(sf.Ran) <= len(want) || !strings.Contains(rf.stderr, "larger than the limit of 1024 bytes") {
		t.Errorf("max_object_bytes=1024: ran %d, failed %v\n%s", len(sf.Ran), sf.Failed, rf.stderr)
	}

	// A signing machine refuses the poisoned entries too, computes them
	// and uploads them again: then a trusting machine pulls everything.
	d := copyProject(t)
	if sd, _ := quickRemoteEnv(t, d, env(signedEnv(honestFile)...)); len(sd.Ran) != len(want) {
		t.Errorf("signing machine: ran %v, want the %d poisoned stages", sd.Ran, len(want))
	}
	g := copyProject(t)
	sg, rg := quickRemoteEnv(t, g, env(trustingEnv(honestPub)...))
	if len(sg.Ran) != 0 || len(warningLines(rg.stderr)) > 0 {
		t.Errorf("after the honest re-upload: ran %v\n%s", sg.Ran, rg.stderr)
	}

	// Rotation: once the honest key is no longer trusted, verify names the
	// pulled entries and --purge-untrusted removes them.
	_, otherPub := signingKey(t)
	v := runReproEnv(t, g, trustingEnv(otherPub), "verify")
	if v.code != 1 || !strings.Contains(v.stdout, "untrusted ") || !strings.Contains(v.stdout, "not trusted") {
		t.Errorf("verify with the honest key removed: exit %d, want 1\n%s%s", v.code, v.stdout, v.stderr)
	}
	v = runReproEnv(t, g, trustingEnv(otherPub), "verify", "--purge-untrusted")
	if v.code != 0 || !strings.Contains(v.stdout, "purged ") {
		t.Errorf("verify --purge-untrusted: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	if v := runReproEnv(t, g, trustingEnv(otherPub), "verify"); v.code != 0 {
		t.Errorf("verify after purging: exit %d\n%s", v.code, v.stdout)
	}
	if v := runReproEnv(t, g, trustingEnv(), "verify", "--purge-untrusted"); v.code != 2 {
		t.Errorf("--purge-untrusted without trusted keys: exit %d, want 2", v.code)
	}
}

// warningLines are the warnings of a run's standard error, but those about
// the report's content (the KaTeX one, which depends on npm, and the
// report's notes on grid edges and epoch budgets, or the line that counts
// them when the report was cached).
func warningLines(stderr string) []string {
	var ws []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "warning") && !strings.Contains(l, "KaTeX") && !strings.HasPrefix(l, "repro: report: ") {
			ws = append(ws, l)
		}
	}
	return ws
}

// quickRemoteEnv runs the quick profile with env (which names the remote).
func quickRemoteEnv(t *testing.T, dir string, env []string, args ...string) (scaleOutSummary, result) {
	t.Helper()
	r := remoteRun(t, dir, env, append([]string{"run", "--profile", "quick", "--json"}, args...)...)
	return parseScaleOut(t, r), r
}

func TestSignedRemoteFileStore(t *testing.T) {
	t.Parallel()
	checkPoisonRefused(t, "file://"+filepath.Join(t.TempDir(), "shared"))
}
