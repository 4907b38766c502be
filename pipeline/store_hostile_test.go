package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestVerifyReportsWhatDoesNotBelong: verify names every entry of the store
// that is not what it should be, without hanging on a special file, and
// accepts a clean store with leftovers of interrupted writes.
func TestVerifyReportsWhatDoesNotBelong(t *testing.T) {
	// fill makes a store with two outputs and the record of key1.
	type store struct {
		s                  *Store
		out1, out2, record string
	}
	key1, key2 := HashBytes([]byte("key 1")), HashBytes([]byte("key 2"))
	fill := func(t *testing.T) store {
		s, err := OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		out1, _ := s.Put([]byte("first output"))
		out2, _ := s.Put([]byte("second output"))
		if err := s.PutRecord(&Record{Stage: "a/b", Key: key1, Outputs: map[string]string{"x": out1, "y": out2}}); err != nil {
			t.Fatal(err)
		}
		rec, _ := os.ReadFile(s.runPath(key1))
		return store{s, out1, out2, strings.TrimSpace(string(rec))}
	}
	other := HashBytes([]byte("no such object"))
	for _, tc := range []struct {
		name  string
		edit  func(t *testing.T, st store) string // returns the path the problem names
		wants string                              // part of the problem; "" for none
	}{
		{"clean store", func(t *testing.T, st store) string { return "" }, ""},
		{"leftovers of interrupted writes", func(t *testing.T, st store) string {
			os.WriteFile(filepath.Join(st.s.Dir, "objects", st.out1[:2], ".tmp-"+st.out1+"-123"), []byte("half"), 0o644)
			os.WriteFile(filepath.Join(st.s.Dir, "runs", ".tmp-x"), nil, 0o644)
			return ""
		}, ""},
		{"side file of a pulled entry", func(t *testing.T, st store) string {
			os.WriteFile(st.s.runPath(key1)+".sig", []byte("entry"), 0o644)
			return ""
		}, ""},
		{"directory where an object belongs", func(t *testing.T, st store) string {
			p := st.s.objectPath(other)
			os.MkdirAll(filepath.Join(p, "inside"), 0o755)
			os.WriteFile(filepath.Join(p, "inside", other), []byte("x"), 0o644)
			return p
		}, "a directory where an object belongs"},
		{"directory where a run record belongs", func(t *testing.T, st store) string {
			p := st.s.runPath(key2)
			os.MkdirAll(p, 0o755)
			return p
		}, "a directory where a run-cache entry belongs"},
		{"symbolic link where an object belongs", func(t *testing.T, st store) string {
			p := st.s.objectPath(other)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.Symlink(st.s.objectPath(st.out1), p)
			return p
		}, "a symbolic link where an object belongs"},
		{"named pipe where a run record belongs", func(t *testing.T, st store) string {
			p := st.s.runPath(key2)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skip(err)
			}
			return p
		}, "a special file where a run-cache entry belongs"},
		{"stray file in objects/", func(t *testing.T, st store) string {
			p := filepath.Join(st.s.Dir, "objects", "notes.txt")
			os.WriteFile(p, []byte("x"), 0o644)
			return p
		}, "stray file in objects/"},
		{"stray directory in runs/", func(t *testing.T, st store) string {
			p := filepath.Join(st.s.Dir, "runs", "old-cache")
			os.Mkdir(p, 0o755)
			return p
		}, "stray directory in runs/"},
		{"stray file among objects", func(t *testing.T, st store) string {
			p := filepath.Join(st.s.Dir, "objects", st.out1[:2], "README")
			os.WriteFile(p, []byte("x"), 0o644)
			return p
		}, "stray file: not named by a hash"},
		{"object in the wrong directory", func(t *testing.T, st store) string {
			dir := "00"
			if st.out2[:2] == dir {
				dir = "01"
			}
			p := filepath.Join(st.s.Dir, "objects", dir, st.out2)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("second output"), 0o644)
			return p
		}, "object in the wrong directory"},
		{"corrupt object", func(t *testing.T, st store) string {
			p := st.s.objectPath(st.out2)
			os.WriteFile(p, []byte("second outpuT"), 0o644)
			return p
		}, "content hashes to"},
		{"run entry that is not a hash", func(t *testing.T, st store) string {
			p := st.s.runPath(key2)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("hello\n"), 0o644)
			return p
		}, "run-cache entry is not an object hash"},
		{"run entry naming a missing record", func(t *testing.T, st store) string {
			p := st.s.runPath(key2)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(other+"\n"), 0o644)
			return p
		}, "its record object " + other[:12] + " is missing"},
		{"run entry naming the record of another key", func(t *testing.T, st store) string {
			p := st.s.runPath(key2)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(st.record+"\n"), 0o644)
			return p
		}, "is the record of key " + key1[:12] + ", not of this key"},
		{"run entry naming an object that is not a record", func(t *testing.T, st store) string {
			p := st.s.runPath(key2)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(st.out1+"\n"), 0o644)
			return p
		}, "is not a run record"},
		{"record whose output is missing", func(t *testing.T, st store) string {
			os.Remove(st.s.objectPath(st.out2))
			return st.s.runPath(key1)
		}, `output "y" of a/b: object ` + "%s is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := fill(t)
			path := tc.edit(t, st)
			want := tc.wants
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, st.out2[:12])
			}
			done := make(chan []Problem, 1)
			go func() {
				probs, err := st.s.Verify()
				if err != nil {
					t.Error(err)
				}
				done <- probs
			}()
			var probs []Problem
			select {
			case probs = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Verify still running after 10 s")
			}
			if want == "" {
				if len(probs) != 0 {
					t.Errorf("problems in a sound store: %v", probs)
				}
				return
			}
			found := false
			for _, p := range probs {
				if p.Path == path && strings.Contains(p.Err, want) {
					found = true
				}
			}
			if !found {
				t.Errorf("want a problem at %s containing %q; got %v", path, want, probs)
			}
		})
	}
}

// TestWriteErrorNamesStoreAndWhat: a failed write into the store says which
// store, what was written, and whether the store is read-only or full.
func TestWriteErrorNamesStoreAndWhat(t *testing.T) {
	s := &Store{Dir: "/data/artifacts"}
	pathErr := func(errno syscall.Errno) error {
		return &fs.PathError{Op: "open", Path: "/data/artifacts/objects/ab/.tmp-ab12-123", Err: errno}
	}
	for _, tc := range []struct {
		err        error
		want       string
		full, read bool
	}{
		{pathErr(syscall.ENOSPC), `store /data/artifacts is full: cannot write object 3fa2c1d0e4b5 (output "figure.svg"): no space left on device`, true, false},
		{pathErr(syscall.EDQUOT), "store /data/artifacts is full: cannot write object 3fa2c1d0e4b5 (output \"figure.svg\"): disk quota exceeded", true, false},
		{pathErr(syscall.EROFS), "store /data/artifacts is read-only: cannot write object 3fa2c1d0e4b5 (output \"figure.svg\"): read-only file system", false, true},
		{pathErr(syscall.EACCES), "store /data/artifacts is read-only: cannot write object 3fa2c1d0e4b5 (output \"figure.svg\"): permission denied", false, true},
		{pathErr(syscall.EIO), "store /data/artifacts: cannot write object 3fa2c1d0e4b5 (output \"figure.svg\"): input/output error", false, false},
		{errors.New("something else"), "store /data/artifacts: cannot write object 3fa2c1d0e4b5 (output \"figure.svg\"): something else", false, false},
	} {
		err := s.WriteErr(`object 3fa2c1d0e4b5 (output "figure.svg")`, tc.err)
		if err.Error() != tc.want {
			t.Errorf("got  %s\nwant %s", err, tc.want)
		}
		if IsFull(err) != tc.full || IsReadOnly(err) != tc.read || !errors.Is(err, tc.err) {
			t.Errorf("%s: IsFull %v, IsReadOnly %v, wraps the cause %v", err, IsFull(err), IsReadOnly(err), errors.Is(err, tc.err))
		}
		if again := s.WriteErr("something", err); again != err {
			t.Errorf("wrapped twice: %v", again)
		}
	}
	if s.WriteErr("x", nil) != nil {
		t.Error("WriteErr(nil) is not nil")
	}
}

// mountTmpfs mounts a tmpfs of size bytes (ro: read-only, after writing
// through fill) at dir, or skips the test where mounting is not allowed.
func mountTmpfs(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): the full and read-only store tests need it", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// TestFullStoreNamesStageAndObject: on a full disk, the failing stage's
// error names the stage, the store and the object being written.
func TestFullStoreNamesStageAndObject(t *testing.T) {
	e := newTestEnv(t)
	dir := filepath.Join(t.TempDir(), "small")
	os.Mkdir(dir, 0o755)
	mountTmpfs(t, dir, "size=64k")
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	e.engine.Store = st
	g := e.graph(100_000, false) // source's output: 600 kB of JSON
	_, err = e.run(g)
	want := fmt.Sprintf("stage source: store %s is full: cannot write object ", dir)
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), `(output "value"): no space left on device`) {
		t.Fatalf("got %v\nwant %s<hash> (output \"value\"): no space left on device", err, want)
	}
	if !IsFull(err) {
		t.Errorf("IsFull(%v) = false", err)
	}
	probs, err := st.Verify()
	if err != nil || len(probs) != 0 {
		t.Errorf("after the failed write, verify: %v %v", probs, err)
	}
}

// TestReadOnlyStoreServesCachedRun: a store that cannot be written still
// serves a fully cached run (nothing is written), and CheckWritable says in
// one message that it is read-only.
func TestReadOnlyStoreServesCachedRun(t *testing.T) {
	e := newTestEnv(t)
	g := e.graph(5, false)
	if _, err := e.run(g); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.Store.CheckWritable(); err != nil {
		t.Fatalf("a writable store: %v", err)
	}
	dir := e.engine.Store.Dir
	if os.Geteuid() == 0 {
		// Permissions do not stop root: a read-only bind mount does.
		if out, err := exec.Command("mount", "--bind", "-o", "ro", dir, dir).CombinedOutput(); err != nil {
			t.Skipf("cannot bind-mount read-only (%v: %s)", err, strings.TrimSpace(string(out)))
		}
		exec.Command("mount", "-o", "remount,ro,bind", dir).Run()
		t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	} else {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o555)
			}
			return nil
		})
		t.Cleanup(func() {
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					os.Chmod(p, 0o755)
				}
				return nil
			})
		})
	}
	err := e.engine.Store.CheckWritable()
	if err == nil || !IsReadOnly(err) || !strings.HasPrefix(err.Error(), "store "+dir+" is read-only: cannot write a file in its top directory: ") {
		t.Fatalf("CheckWritable on a read-only store: %v", err)
	}
	res, err := e.engine.Run(context.Background(), g.Stages())
	if err != nil || len(res.Cached) != 4 {
		t.Fatalf("a cached run on a read-only store: %v, cached %v", err, res)
	}
	if probs, err := e.engine.Store.Verify(); err != nil || len(probs) != 0 {
		t.Errorf("verify of a read-only store: %v %v", probs, err)
	}
	// A run that has something to write fails naming the stage and what.
	e.graph(6, false)
	_, err = e.engine.Run(context.Background(), e.engine.Graph.Stages())
	if err == nil || !strings.HasPrefix(err.Error(), "stage source: store "+dir+" is read-only: cannot write object ") {
		t.Errorf("a run that writes to a read-only store: %v", err)
	}
}

// TestSpecialFilesInTheStoreDoNotBlock: a named pipe (with no writer) where
// the engine keeps one of its own files, a lock, a run-cache entry, an
// object, its LOCK file, is an error or a miss at once, never a read that
// waits for a writer.
func TestSpecialFilesInTheStoreDoNotBlock(t *testing.T) {
	key := HashBytes([]byte("key"))
	fifo := func(t *testing.T, p string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skip(err)
		}
	}
	for _, tc := range []struct {
		name string
		do   func(t *testing.T, s *Store) error
		want string // part of the error; "" for a miss without error
	}{
		{"lock file", func(t *testing.T, s *Store) error {
			p := filepath.Join(s.Dir, "repro.lock")
			fifo(t, p)
			_, err := ReadLock(p)
			return err
		}, "repro.lock: a named pipe (FIFO), not a regular file"},
		{"object", func(t *testing.T, s *Store) error {
			h := HashBytes([]byte("an output"))
			fifo(t, s.objectPath(h))
			_, err := s.Get(h)
			return err
		}, "a named pipe (FIFO), not a regular file"},
		{"object in the way of a write", func(t *testing.T, s *Store) error {
			fifo(t, s.objectPath(HashBytes([]byte("an output"))))
			_, err := s.Put([]byte("an output"))
			return err
		}, "?"}, // replaced or refused: either, but at once
		{"run-cache entry", func(t *testing.T, s *Store) error {
			fifo(t, s.runPath(key))
			_, err := s.Record(key)
			return err
		}, "a named pipe (FIFO), not a regular file"},
		{"run-cache entry, for gc", func(t *testing.T, s *Store) error {
			fifo(t, s.runPath(key))
			_, _, err := s.GC(map[string]bool{}, true)
			return err
		}, ""},
		{"record object, for gc", func(t *testing.T, s *Store) error {
			h := HashBytes([]byte("a record"))
			os.MkdirAll(filepath.Dir(s.runPath(key)), 0o755)
			os.WriteFile(s.runPath(key), []byte(h+"\n"), 0o644)
			fifo(t, s.objectPath(h))
			_, _, err := s.GC(map[string]bool{}, true)
			return err
		}, ""},
		{"LOCK file", func(t *testing.T, s *Store) error {
			fifo(t, filepath.Join(s.Dir, "LOCK"))
			if holder(filepath.Join(s.Dir, "LOCK")) != "another process" || lockPID(filepath.Join(s.Dir, "LOCK")) != 0 {
				t.Error("a named pipe as LOCK file names a holder")
			}
			return nil
		}, ""},
		{"fingerprint cache", func(t *testing.T, s *Store) error {
			p := filepath.Join(s.Dir, "state", "fingerprints.json")
			fifo(t, p)
			_, err := ReadRegularFile(p, MaxStateFileBytes, "a fingerprint cache")
			return err
		}, "a named pipe (FIFO), not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := OpenStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tc.do(t, s) }()
			select {
			case err := <-done:
				switch {
				case tc.want == "?":
				case tc.want == "" && err != nil:
					t.Errorf("error %v, want none", err)
				case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
					t.Errorf("error %v, want one containing %q", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still reading after 5 s: a read waits for a writer")
			}
		})
	}
}
