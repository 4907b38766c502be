package project

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// BuildCommit reads the go command's stamp; SourceDiffers compares the
// embedded source with a checkout, and says nothing of a directory that is
// not the module's.
func TestBuildCommitAndSourceDiffers(t *testing.T) {
	stamped := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}
	if c, m := BuildCommit(stamped); c != "abc123" || !m {
		t.Errorf("BuildCommit(stamped) = %q, %v", c, m)
	}
	if c, m := BuildCommit(&debug.BuildInfo{}); c != "" || m {
		t.Errorf("BuildCommit(unstamped) = %q, %v", c, m)
	}
	if c, m := BuildCommit(nil); c != "" || m {
		t.Errorf("BuildCommit(nil) = %q, %v", c, m)
	}
	if n, total := SourceDiffers(t.TempDir()); n != 0 || total != 0 {
		t.Errorf("SourceDiffers(not a checkout) = %d of %d, want 0 of 0", n, total)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644)
	if n, total := SourceDiffers(dir); total == 0 || n != total {
		t.Errorf("SourceDiffers(another module) = %d of %d, want all of them", n, total)
	}
}
