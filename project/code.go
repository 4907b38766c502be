package project

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/repro-dev/repro"
	"github.com/repro-dev/repro/gobuild"
	"github.com/repro-dev/repro/pipeline"
)

// openCode makes the fingerprinter of the code this binary runs.
//
// Where the project holds the module's source and the go command is at
// hand, the go command lists the build this binary's flags make from the
// files on disk (gobuild); when the main package's ID it computes is the
// one in this binary's own build ID, the files on disk are the ones this
// binary was built from, and the listing is the floor of every key. When
// they differ, the binary is rebuilt and run (rebuildAndExec) unless
// noRebuild; if it is not, or nothing can be listed, the keys hold this
// binary's build ID (Fingerprinter.Unverified): sound, and no result is
// shared with another binary.
func openCode(root, stateDir string, noRebuild bool, stderr io.Writer) (fp *pipeline.Fingerprinter, warns []string, err error) {
	fpDir := FingerprintDir(stateDir, true)
	bc := pipeline.CurrentBuild()
	self, selfErr := selfID()
	why := ""
	switch b, err := listBuild(root, stateDir); {
	case err != nil:
		why = err.Error()
	case selfErr != nil:
		why = "cannot read this binary's build ID: " + selfErr.Error()
	case gobuild.MainID(self) == b.TargetID:
		fp, err := pipeline.NewFingerprinterForBuild(b, bc, fpDir)
		if err == nil {
			saveVerified(stateDir, self, b)
		}
		return fp, nil, err
	default:
		embedded, err := pipeline.NewFingerprinterFor(repro.Source, bc)
		drift := []string{"a file the go command compiles"}
		if err == nil {
			if d := sourceDrift(root, embedded); len(d) > 0 {
				drift = d
			}
		}
		why = "--no-rebuild"
		if !noRebuild {
			why = rebuildAndExec(root, drift, stderr) // returns only if it did not
		}
		why = fmt.Sprintf("the source on disk differs from the source this binary was built from (%s): rebuild (make build) to run your edits (not rebuilt: %s)", strings.Join(LimitList(drift, 3), ", "), why)
	}
	if b := loadVerified(stateDir, self); b != nil {
		// This binary was verified against the source it was built from
		// before: that listing, with the source it embeds, still describes
		// it exactly, and its results are shared as before the edit.
		if fp, err := pipeline.NewFingerprinterForBuildIn(repro.Source, b, bc, fpDir); err == nil {
			if why != "" {
				warns = append(warns, why+"; results are keyed by this binary's own source, as listed when it was built")
			}
			return fp, warns, nil
		}
	}
	fp, err = pipeline.NewCachedFingerprinter(repro.Source, bc, fpDir)
	if err != nil {
		return nil, nil, err
	}
	if self == "" {
		self = "sha256:" + exeHash()
	}
	fp.Unverified = self
	if why != "" {
		warns = append(warns, why+"; results are keyed by this binary's build ID, so none is shared with another build")
	}
	return fp, warns, nil
}

// CacheDirEnv names a directory where the code fingerprints (the results
// of parsing and type-checking the module, one file per version of the
// source and build, named by their hash) are kept for every project and
// store, as the go command keeps its build cache: a new store, or one
// deleted, then starts without type-checking the module again. Unset, they
// are kept in the store's state/ directory.
const CacheDirEnv = "REPRO_CACHE_DIR"

// FingerprintDir is where the fingerprints are cached: CacheDirEnv's
// directory if it is set (and can be made), the store's stateDir
// otherwise; "" (no cache) if stateDir does not exist and create is false.
func FingerprintDir(stateDir string, create bool) string {
	if d := os.Getenv(CacheDirEnv); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			return d
		}
	}
	if _, err := os.Stat(stateDir); err != nil && !create {
		return ""
	}
	return stateDir
}

// verifiedPath is where the listing a binary was verified against is kept,
// by the binary's build ID.
func verifiedPath(stateDir, self string) string {
	h := sha256.Sum256([]byte(self))
	return filepath.Join(stateDir, "verified-"+hex.EncodeToString(h[:16])+".json")
}

// saveVerified keeps the listing this binary was just verified against.
// Errors are ignored: it only lets the binary keep its keys after the
// source on disk moves on.
func saveVerified(stateDir, self string, b *gobuild.Build) {
	p := verifiedPath(stateDir, self)
	if _, err := os.Stat(p); err == nil {
		return
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return
	}
	os.MkdirAll(stateDir, 0o755)
	pipeline.WriteFileAtomic(p, raw)
}

// loadVerified returns the listing this binary was verified against
// earlier, or nil.
func loadVerified(stateDir, self string) *gobuild.Build {
	if self == "" {
		return nil
	}
	raw, err := pipeline.ReadRegularFile(verifiedPath(stateDir, self), pipeline.MaxStateFileBytes, "a verified listing")
	if err != nil {
		return nil
	}
	var b gobuild.Build
	if json.Unmarshal(raw, &b) != nil || b.TargetID == "" || b.TargetID != gobuild.MainID(self) || b.Packages == nil {
		return nil
	}
	return &b
}

// listBuild asks the go command for the build of cmd/repro this binary's
// flags make from the project at root.
func listBuild(root, stateDir string) (*gobuild.Build, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil, fmt.Errorf("no build information in this binary")
	}
	mod := modulePath(filepath.Join(root, "go.mod"))
	if mod == "" {
		return nil, fmt.Errorf("%s holds no go.mod: the source this binary was built from is not at hand", root)
	}
	if bi.Main.Path != mod || bi.Path != mod+"/cmd/repro" {
		return nil, fmt.Errorf("this binary (%s) is not %s/cmd/repro", bi.Path, mod)
	}
	flags, env := BuildFlags(bi)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return gobuild.Load(ctx, gobuild.Config{Dir: root, Target: "./cmd/repro", Flags: flags, Env: env, CacheDir: stateDir})
}

// selfID is the running binary's Go build ID.
func selfID() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return gobuild.BinaryID(exe)
}

// exeHash hashes the running binary's bytes, for a binary without a build
// ID.
func exeHash() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}
