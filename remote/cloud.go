//go:build cloud

package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	"gocloud.dev/gcerrors"
)

// The cloud build (-tags cloud) adds Google Cloud Storage and Azure Blob
// Storage, through gocloud.dev/blob and their SDKs.
func init() {
	openers["gs"] = openGocloud
	openers["azblob"] = openGocloud
}

// gocloudBucket is a bucket opened by gocloud.dev/blob.
type gocloudBucket struct{ b *blob.Bucket }

func openGocloud(ctx context.Context, u *url.URL) (backend, error) {
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, err
	}
	return &gocloudBucket{b}, nil
}

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

func (g *gocloudBucket) get(ctx context.Context, name string, max int64) ([]byte, error) {
	rd, err := g.b.NewReader(ctx, name, nil)
	if err != nil {
		return nil, classify(err)
	}
	defer rd.Close()
	b, err := readLimited(rd, rd.Size(), max)
	if _, ok := err.(tooLarge); ok {
		return nil, err
	}
	return b, classify(err)
}

func (g *gocloudBucket) put(ctx context.Context, name string, b []byte) error {
	return classify(g.b.WriteAll(ctx, name, b, &blob.WriterOptions{ContentType: "application/octet-stream"}))
}

func (g *gocloudBucket) exists(ctx context.Context, name string) (bool, error) {
	ok, err := g.b.Exists(ctx, name)
	return ok, classify(err)
}

func (g *gocloudBucket) close() error { return g.b.Close() }
