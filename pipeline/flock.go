package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	if err := checkLockFile(p); err != nil {
		return nil, err
	}
	// Opened non-blocking too: a pipe put there after the check cannot
	// make the open wait for a writer.
	fl := flock.New(p, flock.SetFlag(os.O_CREATE|os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY))
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
	writeLockInfo(p, []byte(info))
	return func() {
		writeLockInfo(p, nil)
		fl.Unlock()
	}, nil
}

// checkLockFile refuses, at once, a LOCK file that is not a regular file (a
// named pipe, a device, a directory): locking one would wait for a writer,
// or lock nothing. A missing one is fine (Lock creates it).
func checkLockFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store lock %s: %w", p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store lock %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("store lock %s: %s, not a regular file: the store's LOCK must be a regular file (or absent: repro creates it); remove it", p, fileKind(fi.Mode()))
	}
	return nil
}

// writeLockInfo writes who holds the lock into p, without waiting on a
// special file (a pipe put there meanwhile is left alone).
func writeLockInfo(p string, b []byte) {
	f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return
	}
	f.Truncate(0)
	f.Write(b)
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
