package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sync"
	"syscall"
)

// MaxInputFileBytes bounds a file a stage reads (1 GiB): the data loaders
// refuse far less, and the bound keeps a mistaken path (a disk image, a
// log) from being read into memory whole.
const MaxInputFileBytes = 1 << 30

// ReadInputFile reads a file a stage declares (Stage.Files), as
// ReadRegularFile does.
func ReadInputFile(path string, max int64) ([]byte, error) {
	return ReadRegularFile(path, max, "an input file")
}

// MaxStateFileBytes bounds the files the engine and its commands keep for
// themselves (a lock file, the run state, a cache), far above what they
// hold: the lock of the default profile is under 1 MB.
const MaxStateFileBytes = 256 << 20

const (
	maxRunEntryBytes = 64 << 10 // a run-cache entry (a hash, a signature): under 200 bytes
	maxLockInfoBytes = 64 << 10 // the store's LOCK file (who holds it)
)

// ReadRegularFile reads path, which must be a regular file (a symbolic
// link to one is fine) of at most max bytes: a named pipe, a device such as
// /dev/zero, a socket or a directory is an error at once, naming the file
// and what it is, without blocking (the file is opened non-blocking, so
// opening a pipe with no writer does not wait); the size is checked before
// anything is read. what names the file in the error about its size ("an
// input file", "a lock file"). A missing file is an error wrapping
// fs.ErrNotExist.
func ReadRegularFile(path string, max int64, what string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s, not a regular file", path, fileKind(fi.Mode()))
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d %s may have", path, fi.Size(), max, what)
	}
	// A file that grows while it is read stops at max+1 bytes.
	limit := max
	if limit < math.MaxInt64 {
		limit++
	}
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, limit)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(buf.Len()) > max {
		return nil, fmt.Errorf("%s: grew past %d bytes while being read", path, max)
	}
	return buf.Bytes(), nil
}

// openRegularFile opens path for HashRegularFile with the checks of
// ReadRegularFile: a regular file of at most max bytes (its size
// returned), or an error. ReadRegularFile keeps its own copy of them: it is
// reached by stage code and by the engine's decode path, so a change of
// its code would change every key (Engine.engineCode).
func openRegularFile(path string, max int64, what string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %s, not a regular file", path, fileKind(fi.Mode()))
	}
	if fi.Size() > max {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %d bytes, more than the %d %s may have", path, fi.Size(), max, what)
	}
	return f, fi.Size(), nil
}

// hashBuffers are the read buffers of HashRegularFile.
var hashBuffers = sync.Pool{New: func() any { return new([256 << 10]byte) }}

// HashRegularFile is HashBytes of what ReadRegularFile would return, read
// through a small buffer rather than into memory whole: re-hashing the
// outputs of every cached stage (90 MB for the default profile) then
// allocates nothing per object.
func HashRegularFile(path string, max int64, what string) (string, error) {
	f, _, err := openRegularFile(path, max, what)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := hashBuffers.Get().(*[256 << 10]byte)
	defer hashBuffers.Put(buf)
	h := sha256.New()
	var n int64
	for {
		k, err := f.Read(buf[:])
		h.Write(buf[:k])
		n += int64(k)
		if n > max {
			return "", fmt.Errorf("%s: grew past %d bytes while being read", path, max)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileKind names what a non-regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "a special file (" + m.Type().String() + ")"
}
