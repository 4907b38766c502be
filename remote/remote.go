// Package remote opens the shared store of a scaled-out run: a bucket behind
// a URL, through gocloud.dev/blob, as a pipeline.Remote.
//
// Schemes (each SDK reads its credentials from its own usual environment,
// never from params.yaml):
//
//	file:///shared/repro-store                  a shared file system (NFS, a mounted volume)
//	s3://bucket?region=eu-west-1                 AWS S3: AWS_ACCESS_KEY_ID, AWS_PROFILE, an instance role, ...
//	s3://bucket?endpoint=http://host:8333&use_path_style=true&region=us-east-1
//	                                            any S3-compatible service (SeaweedFS, MinIO, Ceph, R2)
//	gs://bucket                                 Google Cloud Storage: GOOGLE_APPLICATION_CREDENTIALS or the metadata server
//	azblob://container                          Azure Blob Storage: AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY/SAS_TOKEN, or az login
//
// A path after the bucket ("s3://bucket/team/repro") is not a prefix: use
// the prefix query parameter ("s3://bucket?prefix=team/repro/").
//
// This package is the only one that imports gocloud.dev and the cloud SDKs
// (they weigh tens of megabytes): the engine (package pipeline) only knows
// the pipeline.Remote interface.
package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	"gocloud.dev/blob/fileblob"    // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://
	"gocloud.dev/gcerrors"

	"github.com/repro-dev/repro/pipeline"
)

// Schemes are the URL schemes Open accepts.
var Schemes = []string{fileblob.Scheme, "s3", "gs", "azblob"}

// DefaultTimeout bounds each request to the remote, so that a remote that
// stops answering degrades the run instead of hanging it.
const DefaultTimeout = 2 * time.Minute

// A Bucket is a pipeline.Remote on a gocloud.dev/blob bucket.
type Bucket struct {
	b       *blob.Bucket
	name    string
	Timeout time.Duration
}

var _ pipeline.Remote = (*Bucket)(nil)

// Check reports whether raw is a URL Open may accept, without opening it.
func Check(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("store.remote %q: %v", raw, err)
	}
	for _, s := range Schemes {
		if u.Scheme == s {
			if u.Host == "" && u.Scheme != fileblob.Scheme {
				return fmt.Errorf("store.remote %q: no bucket named", raw)
			}
			return nil
		}
	}
	return fmt.Errorf("store.remote %q: the scheme must be one of %s", raw, strings.Join(Schemes, ", "))
}

// Open opens the bucket at raw. For file:// URLs the directory is created if
// needed, no metadata side files are written, and temporary files are made
// beside their final name (so the rename stays on one file system); query
// parameters given in the URL win.
func Open(ctx context.Context, raw string) (*Bucket, error) {
	if err := Check(raw); err != nil {
		return nil, err
	}
	u, _ := url.Parse(raw)
	if u.Scheme == fileblob.Scheme {
		q := u.Query()
		for k, v := range map[string]string{"create_dir": "true", "metadata": "skip", "no_tmp_dir": "true"} {
			if _, ok := q[k]; !ok {
				q.Set(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("store.remote %s: %w", Redact(raw), err)
	}
	return &Bucket{b: b, name: Redact(raw), Timeout: DefaultTimeout}, nil
}

// Redact drops any user information from a URL, for messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

func (r *Bucket) String() string { return r.name }

func (r *Bucket) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, r.Timeout)
}

// Get returns the bytes stored under name (fs.ErrNotExist if none), streamed
// through a reader that stops after max+1 bytes: more than max bytes is an
// error wrapping pipeline.ErrTooLarge, whatever size the server announces.
func (r *Bucket) Get(ctx context.Context, name string, max int64) ([]byte, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	rd, err := r.b.NewReader(ctx, name, nil)
	if err != nil {
		return nil, classify(err)
	}
	defer rd.Close()
	tooLarge := func(n int64) error {
		return fmt.Errorf("%s: %d bytes: %w of %d bytes", name, n, pipeline.ErrTooLarge, max)
	}
	size := rd.Size()
	if size > max {
		return nil, tooLarge(size)
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, classify(err)
	}
	if n > max {
		return nil, tooLarge(n)
	}
	return buf.Bytes(), nil
}

// Put stores b under name (fs.ErrPermission if refused).
func (r *Bucket) Put(ctx context.Context, name string, b []byte) error {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	return classify(r.b.WriteAll(ctx, name, b, &blob.WriterOptions{ContentType: "application/octet-stream"}))
}

// Exists reports whether name is stored.
func (r *Bucket) Exists(ctx context.Context, name string) (bool, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	ok, err := r.b.Exists(ctx, name)
	return ok, classify(err)
}

// Close releases the bucket.
func (r *Bucket) Close() error { return r.b.Close() }

// classify makes a missing entry wrap fs.ErrNotExist and a refused one
// fs.ErrPermission, as pipeline.Remote asks.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fmt.Errorf("%w: %v", fs.ErrNotExist, err)
	case gcerrors.PermissionDenied:
		return fmt.Errorf("%w: %v", fs.ErrPermission, err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w: %v", fs.ErrPermission, err)
	}
	return err
}
