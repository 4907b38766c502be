package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/crate"
	"github.com/repro-dev/repro/pipeline"
)

// TestPublishQuick publishes a quick run and checks the crate's shape
// without node (crate.Check: unique ids, every file with its sha256, in
// hasPart, conformsTo), that every stage of the lock is an action under its
// key, that each figure's SVG is the stored output, that the data files
// carry their licences; and that `repro why` on a key-results metric
// prints the chain to the data file with its hash.
func TestPublishQuick(t *testing.T) {
	t.Parallel()
	dir := warmProject(t) // the reference run's store; the run below runs nothing
	runQuick(t, dir)
	out := filepath.Join(t.TempDir(), "crate")
	if r := runRepro(t, dir, "publish", "--profile", "quick", out); r.code != 0 {
		t.Fatalf("publish: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if errs := crate.Check(out); len(errs) > 0 {
		t.Fatalf("crate.Check: %v", errs)
	}
	lock, err := pipeline.ReadLock(filepath.Join(dir, "repro.quick.lock"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, crate.MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Graph []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	byID := map[string]map[string]any{}
	for _, e := range doc.Graph {
		byID[e["@id"].(string)] = e
	}
	for name, ls := range lock.Stages {
		act := byID[crate.LocalID("action", name)]
		if act == nil || act["identifier"] != ls.Key {
			t.Errorf("stage %s: no action with its key %s: %v", name, ls.Key[:12], act)
		}
	}
	svg := byID["figures/confusion.svg"]
	if svg == nil || svg["sha256"] != lock.Stages["figures/confusion"].Outputs["figure.svg"] {
		t.Errorf("figures/confusion.svg: %v, want the stored figure.svg %s", svg, lock.Stages["figures/confusion"].Outputs["figure.svg"])
	}
	for f, lic := range map[string]string{"data/digits.csv.gz": "https://creativecommons.org/licenses/by/4.0/", "data/jacksboro_fault_dem.npz": "https://creativecommons.org/publicdomain/mark/1.0/"} {
		if e := byID[f]; e == nil || e["license"] == nil || e["license"].(map[string]any)["@id"] != lic {
			t.Errorf("%s: %v, want licence %s", f, e, lic)
		}
	}
	for _, f := range []string{"report.html", "results.json", "parameters.yaml", "CITATION.cff"} {
		if byID[f] == nil {
			t.Errorf("no %s in the crate", f)
		}
	}

	r := runRepro(t, dir, "why", "--profile", "quick", "digits.logistic.lbfgs.test_accuracy")
	if r.code != 0 {
		t.Fatalf("why: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"from logistic/lbfgs (key " + lock.Stages["logistic/lbfgs"].Key[:12] + ")", "code: stages.logisticLBFGS, ", "digits/scale (key", "digits/load (key",
		"params differ from the defaults: max_iter", "data/digits.csv.gz sha256 " + lock.Stages["digits/load"].Files["data/digits.csv.gz"]} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("why: no %q in\n%s", want, r.stdout)
		}
	}
}

// TestPublishSigner: a result pulled from the shared store, signed by a key
// the project trusts, names that key as the agent of its action.
func TestPublishSigner(t *testing.T) {
	t.Parallel()
	file, pub := signingKey(t)
	keyID := strings.Split(pub, ":")[1]
	store := "REPRO_STORE_REMOTE=file://" + t.TempDir()
	a, b := copyProject(t), copyProject(t)
	if r := runReproEnv(t, a, append(signedEnv(file), store), "run", "--profile", "quick", "digits/load"); r.code != 0 {
		t.Fatalf("run on the signing machine: exit %d\n%s", r.code, r.stderr)
	}
	env := append(trustingEnv(pub), store)
	if r := runReproEnv(t, b, env, "run", "--profile", "quick", "digits/load"); r.code != 0 {
		t.Fatalf("run on the pulling machine: exit %d\n%s", r.code, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "crate")
	if r := runReproEnv(t, b, env, "publish", "--profile", "quick", out); r.code != 0 {
		t.Fatalf("publish: exit %d\n%s", r.code, r.stderr)
	}
	m, _ := os.ReadFile(filepath.Join(out, crate.MetadataFile))
	var doc struct {
		Graph []map[string]any `json:"@graph"`
	}
	json.Unmarshal(m, &doc)
	for _, e := range doc.Graph {
		if e["@id"] != crate.LocalID("action", "digits/load") {
			continue
		}
		agent, _ := e["agent"].(map[string]any)
		if agent == nil || agent["@id"] != crate.LocalID("signer", keyID) || !strings.Contains(e["description"].(string), "which the project trusts") {
			t.Errorf("digits/load: agent %v, description %q; want the signer %s, trusted", agent, e["description"], keyID)
		}
		return
	}
	t.Errorf("no action for digits/load in\n%s", m)
}
