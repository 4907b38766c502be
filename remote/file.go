package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/repro-dev/repro/pipeline"
)

// fileBucket is a directory on a shared file system, with the store's own
// layout: no side files; each object is written to a temporary file beside
// its final name, synced and renamed, so that a reader never sees half an
// object.
//
// Whoever can write the directory is outside input (docs/security.md), so
// every get, put, stat and mkdir goes through an os.Root: a symbolic link
// inside the directory cannot lead a read or an upload out of it. A named
// pipe, a device or a directory at a name is refused at once (files are
// opened non-blocking and checked before they are read), and every call
// returns when its context ends, even if the file system stops answering (a
// hard NFS mount). A problem of one name (not a regular file, unreadable, in
// the way of a write, a link out of the directory) wraps
// pipeline.ErrUnusableEntry: a miss for the stage that needs it, not a
// failure of the whole remote.
type fileBucket struct {
	dir  string
	root *os.Root
}

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
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &fileBucket{dir: dir, root: root}, nil
}

// local is name as a path inside the directory.
func (f *fileBucket) local(name string) (string, error) {
	n := filepath.FromSlash(name)
	if !filepath.IsLocal(n) {
		return "", fmt.Errorf("%q: not a name inside the bucket", name)
	}
	return n, nil
}

// withContext runs fn and returns its result, or ctx's error as soon as ctx
// ends: a file system that stops answering cannot hold the run past the
// request's timeout. fn then finishes (or not) on its own; its result is
// dropped (a put abandoned half-way leaves at most a temporary file).
func withContext[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, fmt.Errorf("%w (the shared directory did not answer)", ctx.Err())
	}
}

// unusable is the error of one name that cannot be used.
func (f *fileBucket) unusable(name, why string) error {
	return fmt.Errorf("%w %s in %s: %s", pipeline.ErrUnusableEntry, name, f.dir, why)
}

// classify turns err, of an operation on name, into an error of that name
// only (wrapping pipeline.ErrUnusableEntry) when it is one and the
// directory itself still answers. A missing name stays fs.ErrNotExist; a
// refused write stays fs.ErrPermission (the remote refuses writes); a full
// disk or an I/O error stays an error of the remote.
func (f *fileBucket) classify(name string, err error, read bool) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) || (!read && errors.Is(err, fs.ErrPermission)) {
		return err
	}
	entry := strings.Contains(err.Error(), "path escapes from parent") // os.Root: a link out of the directory
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOTDIR, syscall.EISDIR, syscall.EEXIST, syscall.ENOTEMPTY, syscall.ELOOP, syscall.ENXIO:
			entry = true
		case syscall.EACCES, syscall.EPERM:
			entry = read
		}
	}
	if !entry {
		return err
	}
	if _, serr := f.root.Stat("."); serr != nil {
		return err // the directory itself is the problem
	}
	return fmt.Errorf("%w %s in %s: %w", pipeline.ErrUnusableEntry, name, f.dir, err)
}

// kind names what a file that is not a regular one is.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file (" + m.Type().String() + ")"
}

func (f *fileBucket) get(ctx context.Context, name string, max int64) ([]byte, error) {
	n, err := f.local(name)
	if err != nil {
		return nil, err
	}
	return withContext(ctx, func() ([]byte, error) {
		// Non-blocking: opening a named pipe with no writer returns at
		// once, and the check below refuses it.
		fh, err := f.root.OpenFile(n, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
		if err != nil {
			return nil, f.classify(name, err, true) // wraps fs.ErrNotExist if missing
		}
		defer fh.Close()
		fi, err := fh.Stat()
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, f.unusable(name, kind(fi.Mode())+", not a regular file")
		}
		b, err := readLimited(fh, fi.Size(), max)
		if err != nil {
			var tl tooLarge
			if errors.As(err, &tl) {
				return nil, err
			}
			return nil, f.classify(name, err, true)
		}
		return b, nil
	})
}

func (f *fileBucket) put(ctx context.Context, name string, b []byte) error {
	n, err := f.local(name)
	if err != nil {
		return err
	}
	_, err = withContext(ctx, func() (struct{}, error) {
		return struct{}{}, f.classify(name, f.write(name, n, b), false)
	})
	return err
}

// write puts b at n, through a temporary file beside it, renamed.
func (f *fileBucket) write(name, n string, b []byte) error {
	dir := filepath.Dir(n)
	if err := f.root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A directory (or a pipe) in the way is this name's problem; a
	// symbolic link there is replaced by the rename, not followed.
	if fi, err := f.root.Lstat(n); err == nil && !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return f.unusable(name, kind(fi.Mode())+" is in the way")
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+filepath.Base(n)+".tmp-"+hex.EncodeToString(rnd[:]))
	fh, err := f.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = fh.Write(b)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.root.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = f.root.Rename(tmp, n)
	}
	if err != nil {
		f.root.Remove(tmp)
	}
	return err
}

// exists reports whether name is a regular file; anything else at the name
// (a directory, a pipe) is an error wrapping pipeline.ErrUnusableEntry.
func (f *fileBucket) exists(ctx context.Context, name string) (bool, error) {
	n, err := f.local(name)
	if err != nil {
		return false, err
	}
	return withContext(ctx, func() (bool, error) {
		fi, err := f.root.Stat(n)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return false, nil
		case err != nil:
			return false, f.classify(name, err, true)
		case !fi.Mode().IsRegular():
			return false, f.unusable(name, kind(fi.Mode())+", not a regular file")
		}
		return true, nil
	})
}

func (f *fileBucket) close() error { return f.root.Close() }
