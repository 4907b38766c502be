package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

// A data file that does not exist is a configuration error found before
// any work, naming the parameter and the closest file (issue 27, item 8).
func TestMissingDataFile(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "data"), 0o755)
	for _, f := range []string{"data/jacksboro_fault_dem.npz", "data/digits.csv.gz", "data/README.md"} {
		os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644)
	}
	p := &config.Params{}
	p.Terrain.File = "data/jacksboro_fault_dem.npy"
	p.Digits.File = "data/digits.csv.gz"
	sel := []*pipeline.Stage{
		{Name: "terrain/load", Files: []string{p.Terrain.File}},
		{Name: "digits/load", Files: []string{p.Digits.File}},
		{Name: "figures/terrain", Files: []string{p.Terrain.File}},
	}
	err := missingFiles(root, p, sel)
	want := "missing input file: terrain/load and 1 more stages reads data/jacksboro_fault_dem.npy, which does not exist (terrain.file in params.yaml, or --set terrain.file=PATH); did you mean data/jacksboro_fault_dem.npz?"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	p.Terrain.File = "data/elevation.npz"
	sel[0].Files, sel[2].Files = []string{p.Terrain.File}, nil
	if err := missingFiles(root, p, sel); err == nil || !strings.Contains(err.Error(), "did you mean data/jacksboro_fault_dem.npz?") {
		t.Errorf("the one .npz of data/ is not suggested: %v", err)
	}
	if err := missingFiles(root, p, sel[1:2]); err != nil {
		t.Errorf("every file exists: %v", err)
	}
}
