package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Lock takes the store's exclusive lock, waiting for another process that
// holds it (notify is told who). The lock is an flock(2) on <dir>/LOCK, so the
// kernel releases it when its holder dies; the holder's pid is written into
// the file, and a pid left by a process that is gone is reported as a
// recovered stale lock.
func (s *Store) Lock(ctx context.Context, notify func(string)) (unlock func(), err error) {
	p := filepath.Join(s.Dir, "LOCK")
	fl := flock.New(p)
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("store lock %s: %w", p, err)
	}
	if !ok {
		if notify != nil {
			notify(fmt.Sprintf("waiting for the store lock %s, held by %s", p, holder(p)))
		}
		ok, err = fl.TryLockContext(ctx, 100*time.Millisecond)
		if err != nil || !ok {
			return nil, fmt.Errorf("store lock %s: %v", p, err)
		}
	}
	if pid := lockPID(p); pid > 0 && pid != os.Getpid() && notify != nil {
		if processAlive(pid) {
			// It holds no lock on the file (we do), so it exited the
			// lock without clearing the pid; nothing to recover.
		} else {
			notify(fmt.Sprintf("recovered a stale store lock left by process %d, which is no longer running", pid))
		}
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d\nhost %s\nsince %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	os.WriteFile(p, []byte(info), 0o644)
	return func() {
		os.WriteFile(p, nil, 0o644)
		fl.Unlock()
	}, nil
}

func lockPID(p string) int {
	b, _ := ReadRegularFile(p, maxLockInfoBytes, "the store's LOCK file")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "pid" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

func holder(p string) string {
	b, _ := ReadRegularFile(p, maxLockInfoBytes, "the store's LOCK file")
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return "another process"
	}
	return s
}
