package remote

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
