package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

// Issue 23, sections 2 and 4, through the binary: what a writer of the
// shared directory, or of the local store, can put in the way is a miss or
// a clear error at once, never a hang or a remote given up for the run.

// A named pipe at a run entry and a directory at an object of the shared
// file:// store are misses for their stages only (before, the pipe hung
// every client for ever and the directory gave up the remote for the run);
// a symbolic link inside it that leads out receives no upload.
func TestSharedFileStoreHostileEntriesAtTheCLI(t *testing.T) {
	t.Parallel()
	shared := filepath.Join(t.TempDir(), "shared")
	url := "file://" + shared
	stages := []string{"digits/load", "terrain/load"}
	a := copyProject(t)
	r := runReproWithin(t, 5*time.Minute, a, []string{"REPRO_STORE_REMOTE=" + url}, append([]string{"run", "--profile", "quick"}, stages...)...)
	if r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	ed := openStoreEditor(t, url, filepath.Join(a, "repro.quick.lock"))
	entry := filepath.Join(shared, filepath.FromSlash(pipeline.RemoteRunName(ed.key("digits/load"))))
	os.Remove(entry)
	if err := syscall.Mkfifo(entry, 0o644); err != nil {
		t.Skip(err)
	}
	_, rec := ed.entry("terrain/load")
	var obj string
	for _, h := range rec.Outputs {
		obj = filepath.Join(shared, filepath.FromSlash(pipeline.RemoteObjectName(h)))
	}
	os.Remove(obj)
	os.Mkdir(obj, 0o755)

	b := copyProject(t)
	r = runReproWithin(t, 2*time.Minute, b, []string{"REPRO_STORE_REMOTE=" + url}, append([]string{"run", "--profile", "quick", "--json"}, stages...)...)
	s := parseScaleOut(t, r)
	if len(s.Pulled) != 0 || !slices.Equal(s.Failed, nil) {
		t.Errorf("pulled %v, failed %v; want both computed here", s.Pulled, s.Failed)
	}
	for _, want := range []string{"a named pipe (FIFO), not a regular file", "a directory, not a regular file"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no warning saying %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "unreachable") || strings.Contains(r.stderr, "given up") {
		t.Errorf("one bad entry gave up the remote:\n%s", r.stderr)
	}

	// objects/ a link out of the shared directory: nothing is written there.
	outside := t.TempDir()
	shared2 := filepath.Join(t.TempDir(), "shared")
	os.MkdirAll(shared2, 0o755)
	os.Symlink(outside, filepath.Join(shared2, "objects"))
	c := copyProject(t)
	r = runReproWithin(t, 5*time.Minute, c, []string{"REPRO_STORE_REMOTE=file://" + shared2}, "run", "--profile", "quick", "digits/load")
	if r.code != 0 || !strings.Contains(r.stderr, "not uploaded") {
		t.Errorf("upload through a link out of the store: exit %d, want 0 and a warning\n%s", r.code, r.stderr)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the shared directory: %v", entries)
	}
}

// A named pipe as the store's LOCK file, and a named pipe or a device as
// REPRO_SIGNING_KEY_FILE, are errors at once naming the file and what it
// must be (run and gc hung; a device got "chmod 600" advice).
func TestLockAndKeyFileSpecialFilesAtTheCLI(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	// A first run fills the caches (type-checking the source takes long on
	// a loaded machine), so that the runs below are timed on the lock.
	if r := runReproWithin(t, 5*time.Minute, dir, nil, "run", "--profile", "quick", "digits/load"); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	lock := filepath.Join(dir, "artifacts", "LOCK")
	os.Remove(lock)
	if err := syscall.Mkfifo(lock, 0o644); err != nil {
		t.Skip(err)
	}
	for _, args := range [][]string{{"run", "--profile", "quick", "digits/load"}, {"gc"}} {
		r := runReproWithin(t, time.Minute, dir, nil, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "LOCK: a named pipe (FIFO), not a regular file") || !strings.Contains(r.stderr, "must be a regular file") {
			t.Errorf("%s with a FIFO as LOCK: exit %d\n%s", args[0], r.code, r.stderr)
		}
	}
	os.Remove(lock)
	fifo := filepath.Join(t.TempDir(), "key")
	syscall.Mkfifo(fifo, 0o600)
	for file, want := range map[string]string{fifo: "a named pipe (FIFO), not a regular file", "/dev/null": "a character device, not a regular file"} {
		r := runReproWithin(t, time.Minute, dir, []string{"REPRO_SIGNING_KEY_FILE=" + file, "REPRO_STORE_REMOTE=file://" + t.TempDir()}, "run", "--profile", "quick", "digits/load")
		if r.code != 2 || !strings.Contains(r.stderr, file) || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "chmod") {
			t.Errorf("REPRO_SIGNING_KEY_FILE=%s: exit %d, want 2 and an error naming it, saying %q, without chmod advice\n%s", file, r.code, want, r.stderr)
		}
	}
}

// After a key is removed from store.trusted_keys, the results pulled under
// it are computed again at the next run, with a warning naming the signer,
// even with no remote configured; --keep-untrusted uses them.
func TestPulledUnderRemovedKeyAtTheCLI(t *testing.T) {
	t.Parallel()
	oldFile, oldPub := signingKey(t)
	_, newPub := signingKey(t)
	url := "file://" + filepath.Join(t.TempDir(), "shared")
	a := copyProject(t)
	if r := runReproWithin(t, 5*time.Minute, a, append(signedEnv(oldFile), "REPRO_STORE_REMOTE="+url), "run", "--profile", "quick", "digits/load"); r.code != 0 {
		t.Fatalf("signed run: exit %d\n%s", r.code, r.stderr)
	}
	b := copyProject(t)
	r := runReproWithin(t, 5*time.Minute, b, append(trustingEnv(oldPub), "REPRO_STORE_REMOTE="+url), "run", "--profile", "quick", "--json", "digits/load")
	if s := parseScaleOut(t, r); !slices.Contains(s.Pulled, "digits/load") {
		t.Fatalf("pulled %v", s.Pulled)
	}
	oldID := strings.Split(oldPub, ":")[1]
	r = runReproWithin(t, 5*time.Minute, b, trustingEnv(newPub), "run", "--profile", "quick", "--json", "--keep-untrusted", "digits/load")
	if s := parseScaleOut(t, r); !slices.Contains(s.Cached, "digits/load") || !strings.Contains(r.stderr, oldID) || !strings.Contains(r.stderr, "--keep-untrusted") {
		t.Errorf("--keep-untrusted: cached %v\n%s", s.Cached, r.stderr)
	}
	r = runReproWithin(t, 5*time.Minute, b, trustingEnv(newPub), "run", "--profile", "quick", "--json", "digits/load")
	if s := parseScaleOut(t, r); !slices.Contains(s.Ran, "digits/load") || !strings.Contains(r.stderr, "no longer trusted") || !strings.Contains(r.stderr, oldID) {
		t.Errorf("old key removed: ran %v\n%s", s.Ran, r.stderr)
	}
}
