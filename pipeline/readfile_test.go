package pipeline

import (
	"errors"
	"io/fs"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadInputFile(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(at("data.csv"), []byte("1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(at("empty"), nil, 0o644)
	if err := syscall.Mkfifo(at("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(at("dir"), 0o755)
	os.Symlink(at("data.csv"), at("link"))
	os.Symlink(at("fifo"), at("link-to-fifo"))
	os.Symlink("/dev/zero", at("link-to-zero"))
	// A sparse file of 2 GiB: refused by its size, before any byte is read.
	if f, err := os.Create(at("huge")); err == nil {
		f.Truncate(2 << 30)
		f.Close()
	}
	if l, err := net.Listen("unix", at("sock")); err == nil {
		defer l.Close()
	}
	for _, tc := range []struct {
		name, path string
		max        int64
		want       string // "" for success; else a part of the error
	}{
		{"regular file", at("data.csv"), MaxInputFileBytes, ""},
		{"empty file", at("empty"), MaxInputFileBytes, ""},
		{"symbolic link to a regular file", at("link"), MaxInputFileBytes, ""},
		{"named pipe without a writer", at("fifo"), MaxInputFileBytes, at("fifo") + ": a named pipe (FIFO), not a regular file"},
		{"symbolic link to a named pipe", at("link-to-fifo"), MaxInputFileBytes, at("link-to-fifo") + ": a named pipe (FIFO), not a regular file"},
		{"/dev/zero", "/dev/zero", MaxInputFileBytes, "/dev/zero: a character device, not a regular file"},
		{"symbolic link to /dev/zero", at("link-to-zero"), MaxInputFileBytes, at("link-to-zero") + ": a character device, not a regular file"},
		{"directory", at("dir"), MaxInputFileBytes, at("dir") + ": a directory, not a regular file"},
		{"socket", at("sock"), MaxInputFileBytes, at("sock") + ": "},
		{"2 GiB file", at("huge"), MaxInputFileBytes, at("huge") + ": 2147483648 bytes, more than the 1073741824 an input file may have"},
		{"no limit", at("data.csv"), math.MaxInt64, ""},
		{"one byte over a small limit", at("data.csv"), 5, at("data.csv") + ": 6 bytes, more than the 5 an input file may have"},
		{"missing file", at("nope"), MaxInputFileBytes, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var b []byte
			var err error
			t0 := time.Now()
			go func() {
				defer close(done)
				b, err = ReadInputFile(tc.path, tc.max)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("ReadInputFile(%s) still running after 5 s", tc.path)
			}
			if d := time.Since(t0); d > time.Second {
				t.Errorf("took %v, want an answer at once", d)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				want, _ := os.ReadFile(tc.path)
				if string(b) != string(want) {
					t.Errorf("got %q, want %q", b, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			if tc.name == "missing file" && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v does not wrap fs.ErrNotExist", err)
			}
		})
	}
}
