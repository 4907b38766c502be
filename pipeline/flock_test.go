package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe, a directory or a device as the store's LOCK file is refused
// at once, naming the file and what it must be, never a lock that waits for
// a writer (run and gc took the lock and hung).
func TestLockRefusesSpecialFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(p string) error
		want string
	}{
		{"named pipe", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "a named pipe (FIFO), not a regular file"},
		{"directory", func(p string) error { return os.Mkdir(p, 0o755) }, "a directory, not a regular file"},
		{"device", func(p string) error { return os.Symlink("/dev/null", p) }, "a character device, not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := OpenStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(s.Dir, "LOCK")
			if err := tc.make(p); err != nil {
				t.Skip(err)
			}
			done := make(chan error, 1)
			go func() {
				unlock, err := s.Lock(context.Background(), nil)
				if err == nil {
					unlock()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "must be a regular file") {
					t.Errorf("Lock = %v, want an error naming %s and saying %q", err, p, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Lock still waiting after 5 s")
			}
		})
	}
	// A regular LOCK still works, and says who holds it.
	s, _ := OpenStore(t.TempDir())
	unlock, err := s.Lock(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if lockPID(filepath.Join(s.Dir, "LOCK")) != os.Getpid() {
		t.Error("the LOCK file does not name this process")
	}
	unlock()
	if b, _ := os.ReadFile(filepath.Join(s.Dir, "LOCK")); len(b) != 0 {
		t.Errorf("LOCK after unlock holds %q", b)
	}
}

// REPRO_SIGNING_KEY_FILE naming a named pipe, a device or a directory is
// refused at once, naming the file and what it must be, with no advice to
// chmod a device.
func TestLoadSigningKeyRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.key")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "a named pipe (FIFO), not a regular file"},
		{"/dev/zero", "a character device, not a regular file"},
		{dir, "a directory, not a regular file"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := LoadSigningKey(tc.path)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "chmod") {
				t.Errorf("LoadSigningKey(%s) = %v, want an error naming it and saying %q, without chmod advice", tc.path, err, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("LoadSigningKey(%s) still waiting after 5 s", tc.path)
		}
	}
}
