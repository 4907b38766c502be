package remote

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

func TestRemoteCheck(t *testing.T) {
	// gs:// and azblob:// are only in the cloud build (-tags cloud).
	cloudErr := "make build-cloud"
	if openers["gs"] != nil {
		cloudErr = ""
	}
	for _, tc := range []struct {
		url string
		err string
	}{
		{"file:///shared/store", ""},
		{"s3://bucket?endpoint=http://127.0.0.1:8333&use_path_style=true&region=us-east-1", ""},
		{"gs://bucket", cloudErr},
		{"azblob://container", cloudErr},
		{"http://example.org/x", "the scheme must be one of file, s3, gs, azblob"},
		{"s3:///key", "no bucket named"},
		{"/plain/path", "the scheme must be one of"},
		{"::", "missing protocol scheme"},
	} {
		err := Check(tc.url)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Check(%q) = %v, want %q", tc.url, err, tc.err)
		}
	}
}

func TestRemoteRedact(t *testing.T) {
	if got := Redact("s3://key:secret@bucket?region=x"); strings.Contains(got, "secret") || !strings.Contains(got, "bucket") {
		t.Errorf("Redact = %q", got)
	}
}

func TestRemoteFileBucket(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "not", "yet")
	b, err := Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.String() != "file://"+dir {
		t.Errorf("String = %q", b.String())
	}
	if _, err := b.Get(ctx, "objects/ab/abc", 1<<20); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get of a missing name: %v, want fs.ErrNotExist", err)
	}
	if ok, err := b.Exists(ctx, "objects/ab/abc"); ok || err != nil {
		t.Errorf("Exists of a missing name = %v, %v", ok, err)
	}
	if err := b.Put(ctx, "objects/ab/abc", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "objects/ab/abc", 1<<20); err != nil || string(got) != "hello" {
		t.Errorf("Get = %q, %v", got, err)
	}
	if ok, err := b.Exists(ctx, "objects/ab/abc"); !ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	// The layout on disk is the store's: no side files, no temp files left.
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if strings.Join(files, ",") != filepath.FromSlash("objects/ab/abc") {
		t.Errorf("files on disk: %v", files)
	}
}

// Get reads at most its limit: one byte more is pipeline.ErrTooLarge.
func TestRemoteGetLimit(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	body := []byte(strings.Repeat("x", 1000))
	if err := b.Put(ctx, "objects/xx/big", body); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		max int64
		ok  bool
	}{{1000, true}, {1 << 30, true}, {999, false}, {1, false}} {
		got, err := b.Get(ctx, "objects/xx/big", tc.max)
		if tc.ok && (err != nil || string(got) != string(body)) {
			t.Errorf("Get(max %d) = %d bytes, %v", tc.max, len(got), err)
		}
		if !tc.ok && (!errors.Is(err, pipeline.ErrTooLarge) || got != nil) {
			t.Errorf("Get(max %d) = %d bytes, %v; want pipeline.ErrTooLarge", tc.max, len(got), err)
		}
	}
	if _, err := b.Get(ctx, "objects/xx/none", 10); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get of a missing name with a limit: %v", err)
	}
}

func TestRemoteFileBucketRefusingWrites(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories: cannot test a refused write")
	}
	ctx := context.Background()
	dir := t.TempDir()
	os.Chmod(dir, 0o555)
	defer os.Chmod(dir, 0o755)
	b, err := Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "objects/ab/abc", []byte("x")); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Put into a read-only directory: %v, want fs.ErrPermission", err)
	}
}

func TestRemoteOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "ftp://host/x"); err == nil {
		t.Error("Open(ftp://...) = nil error")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := Open(ctx, "file://"+f); err == nil {
		t.Error("Open of a file, not a directory: nil error")
	}
	if _, err := Open(ctx, "s3://bucket?no_such_option=1"); err == nil || !strings.Contains(err.Error(), "no_such_option") {
		t.Errorf("Open with an unknown option: %v", err)
	}
}

// The S3 options are checked when the URL is opened, before any request.
func TestRemoteS3Options(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ url, err string }{
		{"s3://bucket?region=eu-west-1", ""},
		{"s3://bucket?endpoint=http://127.0.0.1:8333&use_path_style=true&region=us-east-1&prefix=team/", ""},
		{"s3://bucket?endpoint=127.0.0.1:8333&disable_https=true", ""},
		{"s3://bucket?use_path_style=maybe", "want true or false"},
		{"s3://bucket?endpoint=ftp://host", "want http://host"},
		{"s3://bucket?endpoint=http://host/path", "want http://host"},
		{"s3://bucket?awssdk=v2", `unknown option "awssdk"`},
	} {
		b, err := Open(ctx, tc.url)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Open(%q) = %v, want %q", tc.url, err, tc.err)
		}
		if b != nil {
			b.Close()
		}
	}
}

// A default build refuses gs:// and azblob:// naming the build that has them.
func TestRemoteNotInBuild(t *testing.T) {
	if openers["gs"] != nil {
		t.Skip("the cloud build has gs://")
	}
	_, err := Open(context.Background(), "gs://bucket")
	if !errors.Is(err, ErrNotInBuild) || !strings.Contains(err.Error(), "-tags cloud") {
		t.Errorf("Open(gs://bucket) = %v, want ErrNotInBuild naming -tags cloud", err)
	}
}

// Names are paths inside the directory of a file:// bucket.
func TestRemoteFileNamesStayInside(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../x", "/etc/passwd", "a/../../x"} {
		if err := b.Put(ctx, name, []byte("x")); err == nil {
			t.Errorf("Put(%q) = nil error", name)
		}
		if _, err := b.Get(ctx, name, 10); err == nil {
			t.Errorf("Get(%q) = nil error", name)
		}
	}
}

// hostileBucket opens a file:// bucket on a fresh directory, and returns it
// with its directory.
func hostileBucket(t *testing.T) (*Bucket, string) {
	t.Helper()
	dir := t.TempDir()
	b, err := Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, dir
}

// within fails the test if fn takes more than 5 s (a read that waits for a
// pipe's writer).
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting after 5 s", what)
	}
}

// What a writer of the shared directory can put at a name (a named pipe, a
// directory, a file in place of a directory) is refused at once, as an
// error of that name only (pipeline.ErrUnusableEntry: a miss for one
// stage), never a read that waits or an error of the whole remote.
func TestRemoteFileHostileEntries(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) // makes objects/ab/abc unusable
		want  string
	}{
		{"named pipe", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "objects", "ab"), 0o755)
			if err := syscall.Mkfifo(filepath.Join(dir, "objects", "ab", "abc"), 0o644); err != nil {
				t.Skip(err)
			}
		}, "a named pipe (FIFO), not a regular file"},
		{"directory", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "objects", "ab", "abc"), 0o755)
		}, "a directory, not a regular file"},
		{"file in place of a directory", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "objects"), 0o755)
			os.WriteFile(filepath.Join(dir, "objects", "ab"), []byte("x"), 0o644)
		}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, dir := hostileBucket(t)
			tc.setup(t, dir)
			within(t, "Get", func() {
				_, err := b.Get(ctx, "objects/ab/abc", 1<<20)
				if !errors.Is(err, pipeline.ErrUnusableEntry) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Get: %v, want pipeline.ErrUnusableEntry saying %q", err, tc.want)
				}
			})
			within(t, "Exists", func() {
				if ok, err := b.Exists(ctx, "objects/ab/abc"); ok || !errors.Is(err, pipeline.ErrUnusableEntry) {
					t.Errorf("Exists = %v, %v; want false and pipeline.ErrUnusableEntry", ok, err)
				}
			})
			within(t, "Put", func() {
				err := b.Put(ctx, "objects/ab/abc", []byte("x"))
				if tc.name == "named pipe" {
					// Replaced by the rename, or refused: either, at once.
					if err != nil && !errors.Is(err, pipeline.ErrUnusableEntry) {
						t.Errorf("Put over a named pipe: %v", err)
					}
					return
				}
				if !errors.Is(err, pipeline.ErrUnusableEntry) {
					t.Errorf("Put: %v, want pipeline.ErrUnusableEntry", err)
				}
			})
			// Other names are unaffected.
			if err := b.Put(ctx, "runs/cd/cde", []byte("y")); err != nil {
				t.Fatal(err)
			}
			if got, err := b.Get(ctx, "runs/cd/cde", 10); err != nil || string(got) != "y" {
				t.Errorf("Get of another name = %q, %v", got, err)
			}
		})
	}
}

// An object the client cannot read is a miss for that name only.
func TestRemoteFileUnreadableEntry(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files of mode 000: cannot test an unreadable object")
	}
	b, dir := hostileBucket(t)
	ctx := context.Background()
	if err := b.Put(ctx, "objects/ab/abc", []byte("x")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "objects", "ab", "abc"), 0)
	if _, err := b.Get(ctx, "objects/ab/abc", 10); !errors.Is(err, pipeline.ErrUnusableEntry) {
		t.Errorf("Get of an unreadable object: %v, want pipeline.ErrUnusableEntry", err)
	}
}

// Symbolic links inside the shared directory cannot lead a read or an
// upload out of it (os.Root): an upload through a linked directory, or over
// a link, writes nothing outside.
func TestRemoteFileLinksStayInside(t *testing.T) {
	ctx := context.Background()
	b, dir := hostileBucket(t)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	os.MkdirAll(filepath.Join(dir, "runs"), 0o755)
	os.MkdirAll(filepath.Join(dir, "objects", "cd"), 0o755)
	// runs/ab leads out; objects/cd/link names a file outside; objects/ef
	// is a link to a directory inside (allowed).
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(outside, filepath.Join(dir, "runs", "ab")))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "objects", "cd", "link")))
	must(os.Symlink("cd", filepath.Join(dir, "objects", "ef")))

	if err := b.Put(ctx, "runs/ab/abc", []byte("uploaded")); !errors.Is(err, pipeline.ErrUnusableEntry) {
		t.Errorf("Put through a link out of the directory: %v, want pipeline.ErrUnusableEntry", err)
	}
	if err := b.Put(ctx, "runs/ab/new/abc", []byte("uploaded")); err == nil {
		t.Error("Put (with mkdir) through a link out of the directory: nil error")
	}
	if _, err := b.Get(ctx, "objects/cd/link", 100); !errors.Is(err, pipeline.ErrUnusableEntry) {
		t.Errorf("Get of a link to a file outside: %v, want pipeline.ErrUnusableEntry", err)
	}
	if ok, err := b.Exists(ctx, "runs/ab/secret"); ok || err == nil {
		t.Errorf("Exists through a link out of the directory = %v, %v", ok, err)
	}
	// Over a link, an upload replaces the link, and leaves its target alone.
	if err := b.Put(ctx, "objects/cd/link", []byte("uploaded")); err != nil {
		t.Errorf("Put over a link: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(outside, "secret")); string(got) != "secret" {
		t.Errorf("the file outside now holds %q", got)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Errorf("files outside the shared directory: %v", entries)
	}
	// A link inside the directory is followed.
	if err := b.Put(ctx, "objects/ef/x", []byte("in")); err != nil {
		t.Errorf("Put through a link inside: %v", err)
	}
	if got, err := b.Get(ctx, "objects/cd/x", 10); err != nil || string(got) != "in" {
		t.Errorf("Get = %q, %v", got, err)
	}
}

// Every call returns when its context ends, even if the file system does
// not answer (simulated by a call that never returns).
func TestRemoteFileHonoursContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	block := make(chan struct{})
	defer close(block)
	within(t, "withContext", func() {
		_, err := withContext(ctx, func() (int, error) { <-block; return 0, nil })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("withContext = %v, want context.DeadlineExceeded", err)
		}
	})
	b, _ := hostileBucket(t)
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := b.Get(done, "objects/ab/abc", 10); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with an ended context: %v", err)
	}
}
