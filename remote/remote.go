// Package remote opens the shared store of a scaled-out run: a bucket behind
// a URL, as a pipeline.Remote.
//
// Schemes (credentials come from each service's usual environment, never
// from params.yaml):
//
//	file:///shared/repro-store                  a shared file system (NFS, a mounted volume)
//	s3://bucket?region=eu-west-1                 AWS S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
//	                                            AWS_SESSION_TOKEN), ~/.aws/credentials (AWS_PROFILE), or an
//	                                            instance, task or web-identity role
//	s3://bucket?endpoint=http://host:8333&use_path_style=true&region=us-east-1
//	                                            any S3-compatible service (SeaweedFS, MinIO, Ceph, R2)
//	gs://bucket                                 Google Cloud Storage: GOOGLE_APPLICATION_CREDENTIALS or the metadata server
//	azblob://container                          Azure Blob Storage: AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY/SAS_TOKEN, or az login
//
// A path after the bucket ("s3://bucket/team/repro") is not a prefix: use
// the prefix query parameter ("s3://bucket?prefix=team/repro/").
//
// file:// is the standard library's and s3:// is github.com/minio/minio-go,
// both in every build. gs:// and azblob:// go through gocloud.dev/blob and
// the Google Cloud and Azure SDKs, which take minutes to download and
// compile and weigh tens of megabytes: they are only in a binary built with
// `-tags cloud` (make build-cloud); a default binary refuses those URLs
// with ErrNotInBuild. The engine (package pipeline) only knows the
// pipeline.Remote interface.
package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

// Schemes are the URL schemes Open accepts in some build.
var Schemes = []string{"file", "s3", "gs", "azblob"}

// ErrNotInBuild is the error of a scheme this binary was built without
// (gs:// and azblob:// without -tags cloud).
var ErrNotInBuild = errors.New("not in this build of repro")

// DefaultTimeout bounds each request to the remote, so that a remote that
// stops answering degrades the run instead of hanging it.
const DefaultTimeout = 2 * time.Minute

// A backend stores named blobs for one scheme. Get returns at most max+1
// bytes; a missing name wraps fs.ErrNotExist and a refused request
// fs.ErrPermission.
type backend interface {
	get(ctx context.Context, name string, max int64) ([]byte, error)
	put(ctx context.Context, name string, b []byte) error
	exists(ctx context.Context, name string) (bool, error)
	close() error
}

// openers open a URL of their scheme (the map's key); the cloud build adds
// gs and azblob.
var openers = map[string]func(ctx context.Context, u *url.URL) (backend, error){
	"file": openFile,
	"s3":   openS3,
}

// A Bucket is a pipeline.Remote on a bucket of one of the schemes.
type Bucket struct {
	b       backend
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
	if !slices.Contains(Schemes, u.Scheme) {
		return fmt.Errorf("store.remote %q: the scheme must be one of %s", raw, strings.Join(Schemes, ", "))
	}
	if u.Host == "" && u.Scheme != "file" {
		return fmt.Errorf("store.remote %q: no bucket named", raw)
	}
	if openers[u.Scheme] == nil {
		return fmt.Errorf("store.remote %s: %s:// is %w: build it with `make build-cloud` (go build -tags cloud ./cmd/repro)", Redact(raw), u.Scheme, ErrNotInBuild)
	}
	return nil
}

// Open opens the bucket at raw. For file:// URLs the directory is created if
// needed and each object is written to a temporary file beside its final
// name, then renamed.
func Open(ctx context.Context, raw string) (*Bucket, error) {
	if err := Check(raw); err != nil {
		return nil, err
	}
	u, _ := url.Parse(raw)
	b, err := openers[u.Scheme](ctx, u)
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

// Get returns the bytes stored under name (fs.ErrNotExist if none), read
// through a reader that stops after max+1 bytes: more than max bytes is an
// error wrapping pipeline.ErrTooLarge, whatever size the server announces.
func (r *Bucket) Get(ctx context.Context, name string, max int64) ([]byte, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	b, err := r.b.get(ctx, name, max)
	var tl tooLarge
	switch {
	case errors.As(err, &tl):
		return nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", name, tl.size, pipeline.ErrTooLarge, max)
	case err != nil:
		return nil, err
	case int64(len(b)) > max:
		return nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", name, len(b), pipeline.ErrTooLarge, max)
	}
	return b, nil
}

// Put stores b under name (fs.ErrPermission if refused).
func (r *Bucket) Put(ctx context.Context, name string, b []byte) error {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	return r.b.put(ctx, name, b)
}

// Exists reports whether name is stored.
func (r *Bucket) Exists(ctx context.Context, name string) (bool, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	return r.b.exists(ctx, name)
}

// Close releases the bucket.
func (r *Bucket) Close() error { return r.b.close() }

// tooLarge is a backend's answer when the announced size exceeds the limit.
type tooLarge struct{ size int64 }

func (e tooLarge) Error() string { return fmt.Sprintf("%d bytes", e.size) }

// readLimited reads at most limit+1 bytes of rd, whose announced size is
// size (-1 if unknown).
func readLimited(rd io.Reader, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, tooLarge{size}
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + 1)
	}
	if _, err := buf.ReadFrom(io.LimitReader(rd, limit+1)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// queryOptions checks that u's query names only the allowed options.
func queryOptions(u *url.URL, allowed ...string) (url.Values, error) {
	q := u.Query()
	for k := range q {
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("unknown option %q in the URL (known: %s)", k, strings.Join(allowed, ", "))
		}
	}
	return q, nil
}
