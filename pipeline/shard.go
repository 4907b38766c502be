package pipeline

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A Shard is part I of N of a sharded run (`repro run --shard I/N`). The zero
// Shard (N == 0) is a whole run.
//
// A sharded run runs only the shardable stages (Stage.Shard: the grid points)
// whose key falls in its part, plus the stages upstream of the grid points
// that they need (taken from the local store or the remote, or computed if
// absent). Everything downstream of a grid point (tuning, figures, report)
// is left to a later run without --shard, which finds every grid point in
// the shared store and assembles the rest. Other stages that no grid point
// needs are left to that run too.
//
// The part of a key is the first 8 bytes of the key, big-endian, mod N: every
// machine computes the same keys, so the N runs partition the grid points
// without talking to each other, and since keys are hashes the parts are
// balanced in count.
type Shard struct{ I, N int }

// ParseShard parses "I/N" with 0 <= I < N.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("--shard %q: want I/N, e.g. 0/4 (part I of N, counting from 0)", s)
	}
	if n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("--shard %s: want 0 <= I < N, N >= 1", s)
	}
	return Shard{I: i, N: n}, nil
}

func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.I, sh.N) }

// Part returns the part (0..n-1) a key falls in.
func Part(key string, n int) int {
	b, err := hex.DecodeString(key[:16])
	if err != nil || n < 1 {
		panic("pipeline: Part of a malformed key " + strconv.Quote(key))
	}
	return int(binary.BigEndian.Uint64(b) % uint64(n))
}

// owns reports whether this run runs stage s with key.
func (sh Shard) owns(s *Stage, key string) bool {
	return sh.N == 0 || !s.Shard || Part(key, sh.N) == sh.I
}

// errOtherShard marks a grid point that belongs to another shard.
var errOtherShard = errors.New("belongs to another shard")

// filter splits the selected stages of a sharded run into those it may run
// (every grid point, and the stages upstream of grid points) and those it
// leaves to the assembling run.
func (sh Shard) filter(stages []*Stage) (keep, skip []*Stage) {
	if sh.N == 0 {
		return stages, nil
	}
	byName := map[string]*Stage{}
	for _, s := range stages {
		byName[s.Name] = s
	}
	need := map[string]bool{}
	var mark func(string)
	mark = func(n string) {
		if need[n] {
			return
		}
		need[n] = true
		if s := byName[n]; s != nil {
			for _, d := range s.Deps {
				mark(d)
			}
		}
	}
	for _, s := range stages {
		if s.Shard {
			mark(s.Name)
		}
	}
	for _, s := range stages {
		if need[s.Name] {
			keep = append(keep, s)
		} else {
			skip = append(skip, s)
		}
	}
	return keep, skip
}

// shardUpstream returns a shardable stage upstream of the stage named by
// deps, or "". A grid point may not depend on another grid point: a sharded
// run could not compute it without the other shards' results.
func (g *Graph) shardUpstream(deps []string) string {
	seen := map[string]bool{}
	var walk func([]string) string
	walk = func(ds []string) string {
		for _, d := range ds {
			if seen[d] {
				continue
			}
			seen[d] = true
			s := g.byName[d]
			if s == nil {
				continue
			}
			if s.Shard {
				return d
			}
			if u := walk(s.Deps); u != "" {
				return u
			}
		}
		return ""
	}
	return walk(deps)
}
