package project

import (
	"os"
	"path/filepath"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/stages"
)

// LockName is the profile's lock file: repro.lock, or repro.<profile>.lock.
func (o Options) LockName() string {
	if p := o.ProfileName(); p != "default" {
		return "repro." + p + ".lock"
	}
	return "repro.lock"
}

// StageNames lists the stages of the project's graph under o, without the
// store, the code fingerprints or the MNIST files (for completion, which
// must be quick); nil when the parameters do not load or build.
func (o Options) StageNames() []string {
	root, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil
	}
	environ := o.Environ
	if environ == nil {
		environ = os.Environ()
	}
	params, err := config.Load(config.Options{Dir: root, Profile: o.Profile, Environ: environ, Set: o.Set})
	if err != nil {
		return nil
	}
	graph, err := stages.Build(params, stages.Env{Profile: o.ProfileName(), KaTeX: stages.KaTeXFiles(os.DirFS(root)), MaxStages: o.MaxStages})
	if err != nil {
		return nil
	}
	var names []string
	for _, s := range graph.Stages() {
		names = append(names, s.Name)
	}
	return names
}
