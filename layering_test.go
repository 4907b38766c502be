package repro

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayering checks the imports between the module's packages against
// docs/architecture.md: the numeric, data, plotting and report packages
// import nothing of the project, the engine nothing but itself.
func TestLayering(t *testing.T) {
	allowed := map[string][]string{
		"":                nil,
		"models":          nil,
		"data":            nil,
		"numfmt":          nil,
		"plots":           {"numfmt"},
		"report":          nil,
		"gobuild":         nil,
		"pipeline":        {"gobuild", "numfmt"},
		"remote":          {"pipeline"},
		"config":          {"models", "pipeline"},
		"stages":          {"config", "data", "models", "numfmt", "pipeline", "plots", "report", "session"},
		"gitrev":          {"numfmt"},
		"session":         {"pipeline"},
		"crate":           nil,
		"project":         {"", "config", "crate", "gitrev", "gobuild", "numfmt", "pipeline", "remote", "session", "stages"},
		"project/revdiff": {"", "config", "gitrev", "pipeline", "project"},
		"project/why":     {"config", "pipeline", "project", "stages"},
		"serve":           {"", "config", "pipeline", "project", "stages"},
		"cmd/repro":       {"", "config", "crate", "gitrev", "numfmt", "pipeline", "project", "project/revdiff", "project/why", "serve", "session", "stages"},
		"deploy":          nil,
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/repro-dev/repro"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], mod), "/")
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %q is not in the layering table (docs/architecture.md and this test)", pkg)
			continue
		}
		for _, im := range f[1:] {
			if im != mod && !strings.HasPrefix(im, mod+"/") {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(im, mod), "/")
			if !slices.Contains(ok, dep) {
				t.Errorf("%s imports %s, which docs/architecture.md does not allow", f[0], im)
			}
		}
	}
}
