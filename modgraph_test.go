package repro

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

var updateModGraph = flag.Bool("update", false, "rewrite modgraph.txt from `go list -deps`")

// TestModGraph checks that modgraph.txt, which tells the fingerprints which
// outside modules each imported package reaches, matches `go list -deps`.
// `make modgraph` (go test . -run TestModGraph -update) rewrites it.
func TestModGraph(t *testing.T) {
	want, err := genModGraph()
	if err != nil {
		t.Fatal(err)
	}
	if *updateModGraph {
		if err := os.WriteFile(pipeline.ModGraphFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(pipeline.ModGraphFile)
	if err != nil {
		t.Fatalf("%v: run `make modgraph`", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with go.mod, go.sum or the imports: run `make modgraph`\ngot:\n%s\nwant:\n%s", pipeline.ModGraphFile, got, want)
	}
}

// genModGraph lists, for every outside package the module's code imports,
// the outside modules it reaches, transitively.
func genModGraph() ([]byte, error) {
	out, err := exec.Command("go", "list", "-deps", "-f",
		`{{if not .Standard}}{{.ImportPath}}|{{with .Module}}{{.Path}}|{{.Main}}{{end}}|{{join .Imports " "}}{{end}}`, "./...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			err = &listError{err, ee.Stderr}
		}
		return nil, err
	}
	type pkg struct {
		module  string
		main    bool
		imports []string
	}
	pkgs := map[string]*pkg{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 4 {
			continue
		}
		pkgs[f[0]] = &pkg{module: f[1], main: f[2] == "true", imports: strings.Fields(f[3])}
	}
	reach := map[string]map[string]bool{}
	var walk func(ip string) map[string]bool
	walk = func(ip string) map[string]bool {
		if r, ok := reach[ip]; ok {
			return r
		}
		r := map[string]bool{}
		reach[ip] = r
		p := pkgs[ip]
		if p == nil {
			return r // the standard library
		}
		if p.module != "" && !p.main {
			r[p.module] = true
		}
		for _, im := range p.imports {
			for m := range walk(im) {
				r[m] = true
			}
		}
		return r
	}
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		return nil, err
	}
	g := &pipeline.ModGraph{GoSum: pipeline.HashBytes(sum), Packages: map[string][]string{}}
	for _, p := range pkgs {
		if !p.main {
			continue
		}
		for _, im := range p.imports {
			if q := pkgs[im]; q != nil && !q.main {
				var mods []string
				for m := range walk(im) {
					mods = append(mods, m)
				}
				g.Packages[im] = mods
			}
		}
	}
	b := g.Format()
	if _, err := pipeline.ParseModGraph(b); err != nil {
		return nil, err
	}
	return b, nil
}

type listError struct {
	err    error
	stderr []byte
}

func (e *listError) Error() string { return "go list: " + e.err.Error() + ": " + string(e.stderr) }
