package pipeline

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// HashRegularFile hashes what ReadRegularFile reads, with its refusals.
func TestHashRegularFile(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	big := make([]byte, 3<<20+17) // more than one buffer
	for i := range big {
		big[i] = byte(i * 7)
	}
	os.WriteFile(at("big"), big, 0o644)
	os.WriteFile(at("empty"), nil, 0o644)
	if err := syscall.Mkfifo(at("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"big", "empty"} {
		b, _ := os.ReadFile(at(name))
		if h, err := HashRegularFile(at(name), math.MaxInt64, "an object"); err != nil || h != HashBytes(b) {
			t.Errorf("%s: %s, %v; want %s", name, h, err, HashBytes(b))
		}
	}
	for path, want := range map[string]string{
		at("fifo"): "a named pipe (FIFO), not a regular file",
		dir:        "a directory, not a regular file",
		at("big"):  "3145745 bytes, more than the 100 an object may have",
	} {
		if _, err := HashRegularFile(path, 100, "an object"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", path, err, want)
		}
	}
}

// lookupRecord, the engine's lookup, answers as Record does: the record,
// nothing for a missing entry, and for a corrupt output an error and the
// object removed, so the stage is computed again.
func TestLookupRecordAsRecord(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	oh, _ := st.Put([]byte("an output"))
	key := HashBytes([]byte("key"))
	if err := st.PutRecord(&Record{Stage: "s", Key: key, Outputs: map[string]string{"value": oh}}); err != nil {
		t.Fatal(err)
	}
	want, werr := st.Record(key)
	got, gerr := lookupRecord(st, key)
	if werr != nil || gerr != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("lookupRecord: %+v, %v; Record: %+v, %v", got, gerr, want, werr)
	}
	if rec, err := lookupRecord(st, HashBytes([]byte("other"))); rec != nil || err != nil {
		t.Errorf("a missing entry: %+v, %v", rec, err)
	}
	os.WriteFile(st.objectPath(oh), []byte("an outpuT"), 0o644)
	rec, err := lookupRecord(st, key)
	if rec != nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `output "value" of s`) {
		t.Errorf("a corrupt output: %+v, %v", rec, err)
	}
	if st.Has(oh) {
		t.Error("the corrupt object was not removed")
	}
}

// WriteIfChanged leaves a lock holding the same bytes alone, and writes
// one that differs.
func TestLockWriteIfChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "repro.lock")
	l := benchLock(3)
	if err := l.WriteIfChanged(path); err != nil {
		t.Fatal(err)
	}
	fi0, _ := os.Stat(path)
	if err := l.WriteIfChanged(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); !os.SameFile(fi0, fi) {
		t.Error("an unchanged lock was written again")
	}
	l.Profile = "quick"
	if err := l.WriteIfChanged(path); err != nil {
		t.Fatal(err)
	}
	if back, err := ReadLock(path); err != nil || back.Profile != "quick" {
		t.Errorf("a changed lock: %v, %v", back, err)
	}
}
