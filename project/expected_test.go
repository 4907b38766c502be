package project

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/repro-dev/repro/session"
)

// TestExpectedTimes: the scheduler's expected times are the profile's own
// (a quick run on the same store does not lend its times to the default
// profile's stages), and nil when the profile has not run here.
func TestExpectedTimes(t *testing.T) {
	dir := t.TempDir()
	write := func(profile string, st session.State) {
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		p := session.StatePath(dir, profile)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("quick", session.State{Profile: "quick", Stages: map[string]session.StageState{"a": {State: "ran", Seconds: 1}}})
	if got := expectedTimes(dir, "default"); got != nil {
		t.Errorf("default profile never ran: %v, want nil", got)
	}
	write("default", session.State{Profile: "default", Stages: map[string]session.StageState{
		"a": {State: "ran", Seconds: 40}, "b": {State: "cached", RanSeconds: 7}, "c": {State: "cached"}}})
	got := expectedTimes(dir, "default")
	if len(got) != 2 || got["a"] != 40 || got["b"] != 7 {
		t.Errorf("default: %v, want a 40 s, b 7 s (its last run), c unknown", got)
	}
}
