// Package session records what a run of the pipeline did, beside its
// results: the profile's lock, the run state (what ran, what was cached,
// how long) and each computed stage's wall time by key. Timings never enter
// a hashed object: a later run that finds a stage cached still knows how
// long it took, and on what machine. `repro run` and `repro serve` record
// their runs through it.
package session

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

// State is the last run of a profile, kept in <store>/state/<profile>.json.
type State struct {
	Profile  string                `json:"profile"`
	Finished string                `json:"finished"`
	Seconds  float64               `json:"seconds"`
	Stages   map[string]StageState `json:"stages"`
}

// StageState is one stage in the last run.
type StageState struct {
	Key     string  `json:"key"`
	State   string  `json:"state"` // ran, cached, failed, skipped
	Seconds float64 `json:"seconds,omitempty"`
	// RanSeconds is how long the stage took the last time it ran, kept
	// through runs that found it cached: the progress display's estimate.
	RanSeconds float64 `json:"ran_seconds,omitempty"`
}

// LastRan is how long a stage took when it last ran.
func (s StageState) LastRan() float64 {
	if s.RanSeconds > 0 {
		return s.RanSeconds
	}
	if s.State == "ran" {
		return s.Seconds
	}
	return 0
}

// StatePath is where the state of profile lives in the store at dir.
func StatePath(dir, profile string) string {
	return filepath.Join(dir, "state", profile+".json")
}

// ReadState reads the state of the last run of profile.
func ReadState(dir, profile string) (*State, error) {
	b, err := pipeline.ReadRegularFile(StatePath(dir, profile), pipeline.MaxStateFileBytes, "a run state")
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", StatePath(dir, profile), err)
	}
	return &s, nil
}

// A Session is the runs of one profile against one store.
type Session struct {
	Engine   *pipeline.Engine
	Profile  string
	LockPath string // the profile's lock file
}

// Record writes what a run that started at started did: each computed
// stage's timing, the lock (when writeLock; a sharded run holds part of the
// grid and writes none), and the run state, which it returns. The state is
// returned even when writing it fails.
func (s Session) Record(res *pipeline.RunResult, started time.Time, writeLock bool) (*State, error) {
	st := s.Engine.Store
	RecordTimings(st.Dir, res, s.Engine.Jobs)
	if len(res.Outcomes) > 0 && writeLock {
		lock, err := pipeline.ReadLock(s.LockPath)
		if err != nil {
			return nil, err
		}
		lock.Profile = s.Profile
		if err := lock.Update(res, s.Engine); err != nil {
			return nil, err
		}
		if err := lock.WriteIfChanged(s.LockPath); err != nil {
			return nil, err
		}
	}
	state := &State{Profile: s.Profile, Finished: time.Now().UTC().Format(time.RFC3339), Seconds: time.Since(started).Seconds(), Stages: map[string]StageState{}}
	if old, err := ReadState(st.Dir, s.Profile); err == nil && old.Stages != nil {
		state.Stages = old.Stages
	}
	for name, o := range res.Outcomes {
		ss := StageState{Key: o.Key, State: "ran", Seconds: o.Duration.Seconds(), RanSeconds: o.Duration.Seconds()}
		if o.Cached {
			ss.State, ss.RanSeconds = "cached", state.Stages[name].LastRan()
		}
		state.Stages[name] = ss
	}
	for _, n := range res.Failed {
		state.Stages[n] = StageState{State: "failed"}
	}
	b, _ := json.MarshalIndent(state, "", "  ")
	return state, st.WriteFile("state/"+s.Profile+".json", b)
}

// A Timing is how long one stage key took to compute, kept in
// <store>/timings/<key[:2]>/<key>.json.
type Timing struct {
	Stage    string  `json:"stage"`
	Key      string  `json:"key"`
	Seconds  float64 `json:"seconds"`
	Finished string  `json:"finished"`
	Jobs     int     `json:"jobs"` // stages the run ran at once
	Machine  Machine `json:"machine"`
}

// A Machine names the computer a timing was measured on.
type Machine struct {
	CPU   string `json:"cpu"`
	Cores int    `json:"cores"`
	OS    string `json:"os"`
	Arch  string `json:"arch"`
}

func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores (%s/%s)", m.CPU, m.Cores, m.OS, m.Arch)
}

// ThisMachine describes the computer this process runs on.
func ThisMachine() Machine {
	m := Machine{CPU: "unknown CPU", Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.Join(strings.Fields(v), " ")
				break
			}
		}
	}
	return m
}

// TimingPath is where the timing of key lives in the store at dir.
func TimingPath(dir, key string) string { return timingPath(dir, key) }

func timingPath(dir, key string) string {
	return filepath.Join(dir, "timings", key[:2], key+".json")
}

// RecordTimings keeps the wall time of every stage that ran in res, in the
// store at dir. Errors are ignored: timings are for the report's appendix.
func RecordTimings(dir string, res *pipeline.RunResult, jobs int) {
	if res == nil {
		return
	}
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	m := ThisMachine()
	now := time.Now().UTC().Format(time.RFC3339)
	for name, o := range res.Outcomes {
		if o.Cached || o.Prepared == nil || len(o.Key) < 2 {
			continue
		}
		b, _ := json.MarshalIndent(Timing{Stage: name, Key: o.Key, Seconds: o.Duration.Seconds(), Finished: now, Jobs: jobs, Machine: m}, "", "  ")
		path := timingPath(dir, o.Key)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			_ = pipeline.WriteFileAtomic(path, b)
		}
	}
}

// ReadTiming returns the recorded wall time of a stage key, if any.
func ReadTiming(dir, key string) (Timing, bool) {
	if len(key) < 2 {
		return Timing{}, false
	}
	b, err := pipeline.ReadRegularFile(timingPath(dir, key), pipeline.MaxStateFileBytes, "a timing record")
	if err != nil {
		return Timing{}, false
	}
	var t Timing
	if json.Unmarshal(b, &t) != nil || t.Key != key {
		return Timing{}, false
	}
	return t, true
}
