// Package deploy has no code: it holds the scale-out examples the README
// points to (slurm/, run by `make slurmtest`; k8s/), and this test, which
// decodes the Kubernetes Job and the GitHub Actions matrix workflow and
// checks their shard arithmetic: task I of N runs `repro run --shard I/N`
// for every I in 0..N-1, and then something assembles without --shard.
// actionlint (make lint) checks the workflows' syntax and expressions.
package deploy

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/repro-dev/repro/pipeline"
)

func decode(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// shardArg returns the I/N argument of the one --shard flag in cmd.
func shardArg(t *testing.T, where, cmd string) string {
	t.Helper()
	m := regexp.MustCompile(`--shard[ =]+(?:"([^"]*)"|(\S+))`).FindAllStringSubmatch(cmd, -1)
	if len(m) != 1 {
		t.Fatalf("%s: want one --shard flag in %q", where, cmd)
	}
	return m[0][1] + m[0][2]
}

// checkShards checks that the --shard argument arg, with index replaced by
// 0..n-1, names part I of n for each I: the tasks cover the grid once.
func checkShards(t *testing.T, where, arg, index string, n int) {
	t.Helper()
	if !strings.Contains(arg, index) {
		t.Fatalf("%s: --shard %s does not use %s", where, arg, index)
	}
	for i := 0; i < n; i++ {
		sh, err := pipeline.ParseShard(strings.ReplaceAll(arg, index, strconv.Itoa(i)))
		if err != nil {
			t.Fatalf("%s: task %d: %v", where, i, err)
		}
		if sh.I != i || sh.N != n {
			t.Errorf("%s: task %d of %d runs --shard %s", where, i, n, sh)
		}
	}
}

type k8sJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Image   string   `yaml:"image"`
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
					Env     []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name   string `yaml:"name"`
					Secret *struct {
						SecretName string `yaml:"secretName"`
					} `yaml:"secret"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func TestKubernetesIndexedJob(t *testing.T) {
	const path = "k8s/grid-job.yaml"
	var j k8sJob
	decode(t, path, &j)
	s := j.Spec
	if j.APIVersion != "batch/v1" || j.Kind != "Job" || s.CompletionMode != "Indexed" {
		t.Errorf("%s: %s %s, completionMode %q: want a batch/v1 Job, completionMode Indexed", path, j.APIVersion, j.Kind, s.CompletionMode)
	}
	if s.Completions < 1 || s.Parallelism < 1 || s.Parallelism > s.Completions {
		t.Errorf("%s: completions %d, parallelism %d: want 1 <= parallelism <= completions", path, s.Completions, s.Parallelism)
	}
	if p := s.Template.Spec.RestartPolicy; p != "Never" && p != "OnFailure" {
		t.Errorf("%s: restartPolicy %q: a Job needs Never or OnFailure", path, p)
	}
	cs := s.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%s: %d containers, want 1", path, len(cs))
	}
	cmd := strings.Join(append(append([]string(nil), cs[0].Command...), cs[0].Args...), " ")
	if !strings.Contains(cmd, "bin/repro run") || !strings.Contains(cmd, "--remote-required") {
		t.Errorf("%s: command %q: want bin/repro run ... --remote-required", path, cmd)
	}
	// Kubernetes sets JOB_COMPLETION_INDEX to 0..completions-1 in an
	// Indexed Job's pods.
	checkShards(t, path, shardArg(t, path, cmd), "$JOB_COMPLETION_INDEX", s.Completions)
	env := map[string]string{}
	for _, e := range cs[0].Env {
		env[e.Name] = e.Value
	}
	if env["REPRO_STORE_REMOTE"] == "" {
		t.Errorf("%s: no REPRO_STORE_REMOTE: the shards would keep their results to themselves", path)
	}
	// The signing key is a file from a Secret volume (docs/security.md).
	secrets := map[string]bool{}
	for _, v := range s.Template.Spec.Volumes {
		secrets[v.Name] = v.Secret != nil && v.Secret.SecretName != ""
	}
	key, mounted := env["REPRO_SIGNING_KEY_FILE"], false
	for _, m := range cs[0].VolumeMounts {
		mounted = mounted || (secrets[m.Name] && strings.HasPrefix(key, strings.TrimSuffix(m.MountPath, "/")+"/"))
	}
	if !mounted {
		t.Errorf("%s: REPRO_SIGNING_KEY_FILE %q is not in a mounted Secret", path, key)
	}
}

type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Needs    any `yaml:"needs"`
		Strategy struct {
			Matrix map[string]any `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Run string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func TestActionsMatrixWorkflow(t *testing.T) {
	const path = "../.github/workflows/report.yml"
	var w workflow
	decode(t, path, &w)
	if _, ok := w.On["workflow_dispatch"]; !ok || len(w.On) != 1 {
		t.Errorf("%s: started by %v: want workflow_dispatch only", path, w.On)
	}
	grid := ""
	for name, job := range w.Jobs {
		for _, st := range job.Steps {
			if !strings.Contains(st.Run, "--shard") {
				continue
			}
			if grid != "" {
				t.Fatalf("%s: --shard in jobs %s and %s", path, grid, name)
			}
			grid = name
			arg := shardArg(t, path, st.Run)
			_, n, ok := strings.Cut(arg, "/")
			if !ok {
				t.Fatalf("%s: --shard %s: want I/N", path, arg)
			}
			nn, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("%s: --shard %s: N is not a number", path, arg)
			}
			shards, _ := job.Strategy.Matrix["shard"].([]any)
			if len(shards) != nn {
				t.Errorf("%s: matrix.shard %v for --shard I/%d: want %d entries", path, shards, nn, nn)
			}
			for i, v := range shards {
				if v != i {
					t.Errorf("%s: matrix.shard %v: want 0..%d in order", path, shards, nn-1)
					break
				}
			}
			checkShards(t, path, arg, "${{ matrix.shard }}", nn)
		}
	}
	if grid == "" {
		t.Fatalf("%s: no job runs --shard", path)
	}
	assembles := false
	for _, job := range w.Jobs {
		needs := job.Needs == grid
		if l, ok := job.Needs.([]any); ok {
			for _, n := range l {
				needs = needs || n == grid
			}
		}
		for _, st := range job.Steps {
			if needs && strings.Contains(st.Run, "bin/repro run") && !strings.Contains(st.Run, "--shard") {
				assembles = true
			}
		}
	}
	if !assembles {
		t.Errorf("%s: no job after %s runs bin/repro run without --shard", path, grid)
	}
}
