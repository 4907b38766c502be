package pipeline

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestTrimByLastUse(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st.Now = func() time.Time { return clock }
	// Four entries, each with a 1000-byte output of its own, written (and
	// so last used) 10, 8, 5 and 1 days ago.
	var keys []string
	for i, age := range []int{10, 8, 5, 1} {
		out, _ := st.Put([]byte(strings.Repeat(string(rune('a'+i)), 1000)))
		key := HashBytes([]byte{byte(i)})
		if err := st.PutRecord(&Record{Stage: "s", Key: key, Outputs: map[string]string{"value": out}}); err != nil {
			t.Fatal(err)
		}
		when := clock.Add(-time.Duration(age) * 24 * time.Hour)
		os.Chtimes(st.runPath(key), when, when)
		keys = append(keys, key)
	}
	// A use marks the entry: the oldest is now the newest.
	st.Touch(keys[0])

	keep := map[string]bool{keys[1]: true} // named by a lock
	dry, err := st.Trim(TrimPolicy{MaxAge: 4 * 24 * time.Hour, Keep: keep, DryRun: true})
	if err != nil || strings.Join(dry.Keys, ",") != keys[2] {
		t.Fatalf("dry run dropped %v, %v; want only the entry unused for 5 days (the 8-day one is kept by a lock)", dry.Keys, err)
	}
	if k, _ := st.Keys(); len(k) != 4 {
		t.Fatalf("a dry run removed entries: %d left", len(k))
	}
	got, err := st.Trim(TrimPolicy{MaxAge: 4 * 24 * time.Hour, Keep: keep})
	if err != nil || len(got.Keys) != 1 || got.Bytes < 1000 {
		t.Fatalf("Trim = %+v, %v", got, err)
	}
	if rec, _ := st.Record(keys[2]); rec != nil {
		t.Error("the trimmed entry is still in the run cache")
	}
	// A size budget drops the least recently used entries until the rest
	// fits; the locked entry stays whatever its age.
	got, err = st.Trim(TrimPolicy{MaxBytes: 2500, Keep: keep})
	if err != nil || strings.Join(got.Keys, ",") != keys[3] {
		t.Fatalf("Trim(2500 bytes) = %v, %v; want the 1-day entry (the touched one is newer, the locked one kept)", got.Keys, err)
	}
	if rec, _ := st.Record(keys[1]); rec == nil {
		t.Error("the entry a lock names was dropped")
	}
	// GC then frees the objects.
	removed, _, err := st.GC(nil, false)
	if err != nil || len(removed) < 2 {
		t.Errorf("GC removed %d objects, %v", len(removed), err)
	}
}

func TestTouchAtMostHourly(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st, _ := OpenStore(t.TempDir())
	st.Now = func() time.Time { return clock }
	key := HashBytes([]byte("k"))
	st.PutRecord(&Record{Stage: "s", Key: key, Outputs: map[string]string{}})
	old := clock.Add(-30 * time.Minute)
	os.Chtimes(st.runPath(key), old, old)
	st.Touch(key)
	if fi, _ := os.Stat(st.runPath(key)); !fi.ModTime().Equal(old) {
		t.Error("a use within the hour rewrote the mark")
	}
	clock = clock.Add(time.Hour)
	st.Touch(key)
	if fi, _ := os.Stat(st.runPath(key)); !fi.ModTime().Equal(clock) {
		t.Errorf("mark %v, want %v", fi.ModTime(), clock)
	}
}
