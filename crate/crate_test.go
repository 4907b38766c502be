package crate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func testRun() *Run {
	return &Run{
		Name: "a study", Description: "a small run", Date: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC),
		Profile: "quick", Commit: "0123456789abcdef0123456789abcdef01234567", CommitSource: "git in the checkout",
		Toolchain: "go1.26 linux/amd64", Modules: []Module{{"gonum.org/v1/gonum", "v0.17.0"}},
		Parameters: []byte("seed: 1\n"), Report: []byte("<html><title>t</title></html>"),
		Data: []DataFile{{Path: "data/d.csv.gz", Content: []byte("x,y\n"), License: "https://creativecommons.org/licenses/by/4.0/", LicenseName: "CC BY 4.0", Description: "digits"}},
		Stages: []Stage{
			{Name: "load", Func: "m/stages.load", Key: strings.Repeat("a", 64), Code: strings.Repeat("b", 64),
				Params: json.RawMessage(`{"file":"data/d.csv.gz"}`), Files: map[string]string{"data/d.csv.gz": strings.Repeat("c", 64), "templates/x.md": strings.Repeat("d", 64)},
				Outputs: map[string]string{"value": strings.Repeat("e", 64)}, Signer: "0011223344556677", Trusted: true},
			{Name: "figures/a b", Func: "m/stages.fig", Key: strings.Repeat("f", 64), Code: strings.Repeat("b", 64), Params: json.RawMessage(`{}`),
				Inputs: []string{"load"}, Outputs: map[string]string{"figure.svg": strings.Repeat("1", 64)},
				Artifacts: map[string][]byte{"figures/a b.svg": []byte("<svg/>")}, Metrics: map[string]float64{"acc": 0.9, "acc.sd": 0.01}},
		},
	}
}

func TestWriteAndCheck(t *testing.T) {
	dir := t.TempDir()
	c, err := Write(dir, testRun())
	if err != nil {
		t.Fatal(err)
	}
	if errs := Check(dir); len(errs) > 0 {
		t.Fatalf("Check: %v", errs)
	}
	for _, f := range []string{MetadataFile, "report.html", "parameters.yaml", "results.json", "CITATION.cff", "data/d.csv.gz", "figures/a b.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	for _, id := range []string{"#action/load", "#action/figures/a%20b", "#signer/0011223344556677", "#metric/acc", "#params/load", "#result/load", "figures/a%20b.svg", ProcessProfile, "https://creativecommons.org/licenses/by/4.0/"} {
		if !c.Has(id) {
			t.Errorf("no entity %s", id)
		}
	}
	act := c.byID["#action/figures/a%20b"]
	if got := refIDs(act["object"]); !slices.Equal(got, []string{"#result/load"}) {
		t.Errorf("object of the figure: got %v, want [#result/load]", got)
	}
	if got := refIDs(act["result"]); !slices.Contains(got, "figures/a%20b.svg") || !slices.Contains(got, "#metric/acc") {
		t.Errorf("result of the figure: got %v", got)
	}
	if got := refIDs(c.byID["#action/load"]["object"]); !slices.Contains(got, "data/d.csv.gz") || !slices.Contains(got, "#params/load") {
		t.Errorf("object of load: got %v", got)
	}
	cff, _ := os.ReadFile(filepath.Join(dir, "CITATION.cff"))
	for _, want := range []string{"cff-version: 1.2.0", "title: \"a study\"", "commit: \"0123456789abcdef0123456789abcdef01234567\"", "date-released: 2026-12-06"} {
		if !strings.Contains(string(cff), want) {
			t.Errorf("CITATION.cff lacks %q:\n%s", want, cff)
		}
	}
}

// TestCheckFinds edits a good crate in the ways Check must notice.
func TestCheckFinds(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		edit       func(dir string, doc map[string]any)
	}{
		{"changed file", "sha256", func(dir string, _ map[string]any) {
			os.WriteFile(filepath.Join(dir, "data/d.csv.gz"), []byte("x,z\n"), 0o644)
		}},
		{"missing file", "no such file", func(dir string, _ map[string]any) { os.Remove(filepath.Join(dir, "results.json")) }},
		{"duplicate id", "twice", func(_ string, doc map[string]any) {
			g := doc["@graph"].([]any)
			doc["@graph"] = append(g, g[len(g)-1])
		}},
		{"not in hasPart", "hasPart", func(_ string, doc map[string]any) {
			for _, e := range doc["@graph"].([]any) {
				if m := e.(map[string]any); m["@id"] == "./" {
					m["hasPart"] = m["hasPart"].([]any)[1:]
				}
			}
		}},
		{"no conformsTo", "conform", func(_ string, doc map[string]any) {
			for _, e := range doc["@graph"].([]any) {
				if m := e.(map[string]any); m["@id"] == "./" {
					delete(m, "conformsTo")
				}
			}
		}},
		{"dangling reference", "does not describe", func(_ string, doc map[string]any) {
			for _, e := range doc["@graph"].([]any) {
				if m := e.(map[string]any); m["@id"] == "#action/load" {
					m["instrument"] = map[string]any{"@id": "#nothing"}
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := Write(dir, testRun()); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, MetadataFile)
			b, _ := os.ReadFile(p)
			var doc map[string]any
			json.Unmarshal(b, &doc)
			tc.edit(dir, doc)
			b, _ = json.Marshal(doc)
			os.WriteFile(p, b, 0o644)
			errs := Check(dir)
			var all []string
			for _, e := range errs {
				all = append(all, e.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.want) {
				t.Errorf("Check: got %q, want an error with %q", all, tc.want)
			}
		})
	}
}

func TestReadProvenance(t *testing.T) {
	readme := "# data\n\n## digits.csv.gz: handwritten digits (classification)\n\n- **Licence:** Creative Commons Attribution 4.0 International (CC BY 4.0).\n  Cite: ...\n\n## jacksboro_fault_dem.npz: terrain\n\n- **Licence:** public domain (a work of the U.S. Government).\n\n## Using another grid\n\n- **Licence:** none\n"
	got := ReadProvenance([]byte(readme))
	if p := got["digits.csv.gz"]; p.License != "https://creativecommons.org/licenses/by/4.0/" || p.Title != "handwritten digits (classification)" {
		t.Errorf("digits: got %+v", p)
	}
	if p := got["jacksboro_fault_dem.npz"]; p.License != "https://creativecommons.org/publicdomain/mark/1.0/" {
		t.Errorf("jacksboro: got %+v", p)
	}
	if len(got) != 2 {
		t.Errorf("got %d files, want 2: %v", len(got), got)
	}
}
