package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// fileBucket is a directory on a shared file system, with the store's own
// layout: no side files; each object is written to a temporary file beside
// its final name, synced and renamed, so that a reader never sees half an
// object.
type fileBucket struct{ dir string }

func openFile(_ context.Context, u *url.URL) (backend, error) {
	// The options gocloud.dev's fileblob took are accepted, and are what
	// this backend does anyway.
	if _, err := queryOptions(u, "create_dir", "metadata", "no_tmp_dir"); err != nil {
		return nil, err
	}
	dir := filepath.FromSlash(u.Path)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("want an absolute directory: file:///absolute/path")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	return &fileBucket{dir: dir}, nil
}

func (f *fileBucket) path(name string) (string, error) {
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", fmt.Errorf("%q: not a name inside the bucket", name)
	}
	return filepath.Join(f.dir, filepath.FromSlash(name)), nil
}

func (f *fileBucket) get(_ context.Context, name string, max int64) ([]byte, error) {
	p, err := f.path(name)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(p)
	if err != nil {
		return nil, err // wraps fs.ErrNotExist or fs.ErrPermission
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	return readLimited(fh, fi.Size(), max)
}

func (f *fileBucket) put(_ context.Context, name string, b []byte) error {
	p, err := f.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func (f *fileBucket) exists(_ context.Context, name string) (bool, error) {
	p, err := f.path(name)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (f *fileBucket) close() error { return nil }
