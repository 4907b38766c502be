package why

import (
	"encoding/json"
	"path/filepath"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// ForProject is the Printer of an opened project p (opened with opts): its
// profile's lock, the code its engine fingerprints, the parameters of
// params.yaml alone to compare with, and the provenance the run exported.
// decls lists every declaration each stage's code reaches.
func ForProject(p *project.Project, opts project.Options, decls bool) (*Printer, error) {
	lock, err := pipeline.ReadLock(p.LockPath())
	if err != nil {
		return nil, err
	}
	return &Printer{Lock: lock, LockName: filepath.Base(p.LockPath()), Reach: p.Engine.Code.Reach, Decls: decls,
		Defaults: DefaultParams(p.Root, opts),
		// The report stage's tables, provenance.json among them, are
		// exported to report/ in the store (stages/graph.go).
		Provenance: filepath.Join(p.Store.Dir, "report", "provenance.json")}, nil
}

// DefaultParams returns the parameters a stage reads under params.yaml
// alone (no profile, environment or --set), or false if that graph has no
// such stage; nil when opts are the defaults already. The graph is built
// on the first call.
func DefaultParams(root string, opts project.Options) func(stage string) ([]byte, bool) {
	if opts.ProfileName() == "default" && len(opts.Set) == 0 {
		return nil
	}
	var graph *pipeline.Graph
	built := false
	return func(stage string) ([]byte, bool) {
		if !built {
			built = true
			if params, err := config.Load(config.Options{Dir: root}); err == nil {
				graph, _ = opts.GraphBuilder(root)(params)
			}
		}
		if graph == nil || graph.Stage(stage) == nil {
			return nil, false
		}
		b, err := json.Marshal(graph.Stage(stage).Params)
		return b, err == nil
	}
}
