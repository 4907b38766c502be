// Package gobuild asks the go command what a build compiles: for every
// package of the build, the files it reads (Go, cgo, C, headers, assembly,
// syso, embedded files), for the build's flags and tags, each hashed.
//
// It is the floor under the cache keys: whatever the go command compiles
// into a binary is here, so a change the declaration-level model of the
// code does not see (a vendored copy, a go.work module, a //go:embed file, a
// cgo preamble, a build-tag twin, a replaced directory) still changes the
// hash of the package it is in, and of every package that imports it.
//
// Load runs `go list -deps -export -json` once and keeps the result beside
// the stat of every file and directory it depends on; the next Load with
// the same configuration stats those and reuses the result when none
// changed, so an unchanged tree costs a few milliseconds, not a go command.
package gobuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Config says which build to list.
type Config struct {
	Dir    string   // the module's root directory (holding go.mod)
	Target string   // the main package, as a pattern: "./cmd/repro"
	Flags  []string // build flags: -tags=..., -trimpath, -race, -gcflags=...
	Env    []string // build environment: CGO_ENABLED=0, GOEXPERIMENT=..., GOAMD64=...
	// CacheDir keeps the listing between runs, checked by the stat of
	// every file it depends on ("" keeps nothing).
	CacheDir string
	Go       string // the go command (default: go on PATH)
}

// A Package is one package of the build.
type Package struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool   `json:",omitempty"`
	Module     string `json:",omitempty"` // the module's path ("" for the standard library)
	Version    string `json:",omitempty"` // its version, "" for the main module and local replacements
	Main       bool   `json:",omitempty"` // in the main module
	// The files, for the packages of the module only (the listing is
	// read at every start-up: outside packages count by Hash and Floor).
	GoFiles []string `json:",omitempty"` // the .go files compiled (cgo files not included), relative to Dir
	SFiles  []string `json:",omitempty"` // assembly, relative to Dir
	Files   []string `json:",omitempty"` // every file the compiler reads, relative to Dir, sorted
	Imports []string `json:",omitempty"` // resolved import paths
	Export  string   `json:",omitempty"` // the compiler's export data for it
	// Opaque says why the module's declaration model cannot see all the
	// package does ("" when it can): cgo, //go:embed, assembly that
	// #includes a header of its own, //go:linkname, or a package outside
	// the module (never read by the model). Such a package counts whole.
	Opaque string `json:",omitempty"`
	// Hash identifies the package's own files: their names and contents,
	// or for a package of a module in the module cache (read-only, checked
	// against go.sum) its module version, or for the standard library the
	// go version.
	Hash string
	// Floor is Hash and the Floors of everything it imports: it changes
	// when anything the package's compiled code depends on changes.
	Floor string
}

// A Build is the listing of one build.
type Build struct {
	Module    string // the main module's path
	Root      string // the main module's directory
	GoVersion string // `go env GOVERSION` of the go command that listed it
	Target    string // the main package's import path
	// TargetID is the build ID the go command gives the main package
	// (action ID / content ID): a binary built from the same files and
	// flags has it as the second and third parts of its own build ID.
	TargetID string
	Packages map[string]*Package
	// All hashes every package's Hash: what a binary-wide dependency (a
	// //go:linkname pull) counts by.
	All string
	// Watch is what the listing depends on, with the stat seen when it was
	// made: Load reuses a cached Build only while all of it is unchanged.
	Watch []Stat
}

// A Stat is the state of one path when a Build was listed: a file by its
// content, a directory by the names in it. Contents, not times: a file
// edited twice within a clock tick, or copied with its times kept, is still
// seen.
type Stat struct {
	Path string
	Kind string // "file", "dir", "absent"
	Hash string `json:",omitempty"`
}

// cacheVersion changes when the cached format or its meaning does.
const cacheVersion = "gobuild cache v2"

// Load lists the build described by c.
func Load(ctx context.Context, c Config) (*Build, error) {
	if c.Go == "" {
		c.Go = "go"
	}
	goBin, err := exec.LookPath(c.Go)
	if err != nil {
		return nil, fmt.Errorf("gobuild: the go command is not on PATH: %w", err)
	}
	c.Go = goBin
	root, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, err
	}
	c.Dir = root
	cacheFile := ""
	if c.CacheDir != "" {
		cacheFile = filepath.Join(c.CacheDir, "gobuild-"+c.id()[:32]+".json")
		if b, ok := readCache(cacheFile); ok {
			return b, nil
		}
	}
	b, err := list(ctx, c)
	if err != nil {
		return nil, err
	}
	if cacheFile != "" {
		writeCache(cacheFile, b)
	}
	return b, nil
}

// id identifies a configuration: the cache file name.
func (c Config) id() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\ndir %s\ntarget %s\n", cacheVersion, c.Dir, c.Target)
	for _, f := range c.Flags {
		fmt.Fprintf(h, "flag %s\n", f)
	}
	for _, e := range c.env() {
		fmt.Fprintf(h, "env %s\n", e)
	}
	// The go command itself: another toolchain lists another build.
	fmt.Fprintf(h, "go %s %s\n", c.Go, statLine(c.Go))
	return hex.EncodeToString(h.Sum(nil))
}

// env is the environment the go command runs with: the process's, with the
// configuration's on top. Only the variables that can change what it lists
// go into the cache id.
func (c Config) env() []string {
	var out []string
	for _, kv := range append(os.Environ(), c.Env...) {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "CGO_") || k == "CC" || k == "CXX" || k == "PKG_CONFIG" {
			out = append(out, kv)
		}
	}
	slices.Sort(out)
	return out
}

func statLine(p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		return "absent"
	}
	return fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
}

// listed is the part of `go list -json` output that Load reads.
type listed struct {
	ImportPath string
	Name       string
	Dir        string
	Standard   bool
	BuildID    string
	Export     string
	Module     *struct {
		Path    string
		Version string
		Dir     string
		Main    bool
		Replace *struct {
			Path    string
			Version string
			Dir     string
		}
	}
	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles []string
	SwigFiles, SwigCXXFiles, SysoFiles, EmbedFiles                      []string
	Imports                                                             []string
	Error                                                               *struct{ Err string }

	depOnly bool
}

func list(ctx context.Context, c Config) (*Build, error) {
	args := append([]string{"list", "-deps", "-export", "-json"}, c.Flags...)
	args = append(args, "--", c.Target)
	cmd := exec.CommandContext(ctx, c.Go, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + " ..."
		}
		return nil, fmt.Errorf("gobuild: go %s (in %s): %v: %s", strings.Join(args, " "), c.Dir, err, msg)
	}
	b := &Build{Root: c.Dir, Packages: map[string]*Package{}}
	gv, err := exec.CommandContext(ctx, c.Go, "env", "GOVERSION", "GOMODCACHE").Output()
	if err != nil {
		return nil, fmt.Errorf("gobuild: go env: %w", err)
	}
	envLines := strings.Split(strings.TrimSpace(string(gv)), "\n")
	if len(envLines) != 2 {
		return nil, fmt.Errorf("gobuild: go env GOVERSION GOMODCACHE printed %q", gv)
	}
	b.GoVersion = envLines[0]
	modCache := envLines[1]
	dec := json.NewDecoder(&stdout)
	var order []string
	raw := map[string]*listed{}
	w := &watcher{seen: map[string]bool{}}
	for {
		var l listed
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("gobuild: reading go list output: %w", err)
		}
		if l.Error != nil {
			return nil, fmt.Errorf("gobuild: package %s: %s", l.ImportPath, l.Error.Err)
		}
		p := &Package{ImportPath: l.ImportPath, Name: l.Name, Dir: l.Dir, Standard: l.Standard, Export: l.Export,
			Imports: l.Imports, GoFiles: l.GoFiles, SFiles: l.SFiles}
		for _, fs := range [][]string{l.GoFiles, l.CgoFiles, l.CFiles, l.CXXFiles, l.MFiles, l.HFiles, l.FFiles,
			l.SFiles, l.SwigFiles, l.SwigCXXFiles, l.SysoFiles, l.EmbedFiles} {
			p.Files = append(p.Files, fs...)
		}
		slices.Sort(p.Files)
		p.Files = slices.Compact(p.Files)
		local := !l.Standard
		if m := l.Module; m != nil {
			p.Module, p.Version, p.Main = m.Path, m.Version, m.Main
			if r := m.Replace; r != nil {
				p.Version = r.Version
				if r.Version == "" {
					p.Version = ""
				}
			}
			// A package read from the module cache, at a version: its
			// files are read-only and checked against go.sum. Anything
			// else (the main module, a replacement by a directory, a
			// go.work module, vendor/) is hashed by content.
			if p.Version != "" && modCache != "" && within(l.Dir, modCache) {
				local = false
			} else {
				p.Version = ""
			}
		}
		switch {
		case l.Standard:
			p.Hash = hashLines("std", p.ImportPath, b.GoVersion)
		case !local:
			p.Hash = hashLines("module", p.ImportPath, p.Module+"@"+p.Version)
		default:
			h, err := hashFiles(p.Dir, p.Files, w)
			if err != nil {
				return nil, fmt.Errorf("gobuild: package %s: %w", p.ImportPath, err)
			}
			p.Hash = hashLines("files", p.ImportPath, h)
			w.add(p.Dir) // a file added to the directory
		}
		b.Packages[p.ImportPath] = p
		raw[p.ImportPath] = &l
		order = append(order, p.ImportPath)
		if !l.DepOnly() {
			b.Target, b.TargetID = l.ImportPath, l.BuildID
			if m := l.Module; m != nil {
				b.Module, b.Root = m.Path, m.Dir
			}
		}
	}
	if b.Target == "" {
		return nil, fmt.Errorf("gobuild: go list printed no package for %s", c.Target)
	}
	// The module of the target is the one the fingerprints model: in a
	// workspace (go.work) the other modules are main modules to the go
	// command, but outside packages here.
	for _, ip := range order {
		p := b.Packages[ip]
		p.Main = p.Main && p.Module == b.Module
		p.Opaque = opaque(p, raw[ip])
		if !p.Main {
			p.GoFiles, p.SFiles, p.Files = nil, nil, nil
		}
	}
	// go list -deps prints a package after its dependencies: the floors
	// of its imports are known when it comes.
	all := sha256.New()
	for _, ip := range order {
		p := b.Packages[ip]
		lines := []string{"floor", p.Hash}
		for _, im := range p.Imports {
			if d, ok := b.Packages[im]; ok {
				lines = append(lines, im+" "+d.Floor)
			} else if im != "C" && im != "unsafe" {
				return nil, fmt.Errorf("gobuild: %s imports %s, which go list did not list", ip, im)
			}
		}
		p.Floor = hashLines(lines...)
		fmt.Fprintf(all, "%s %s\n", ip, p.Hash)
	}
	b.All = hex.EncodeToString(all.Sum(nil))
	// What decides which files and modules go list sees: go.mod, go.sum,
	// vendor/modules.txt, and a go.work in the module root or any
	// directory above it.
	for _, f := range []string{"go.mod", "go.sum", "vendor/modules.txt", "go.work", "go.work.sum"} {
		w.add(filepath.Join(b.Root, f))
	}
	for d := filepath.Dir(b.Root); ; d = filepath.Dir(d) {
		w.add(filepath.Join(d, "go.work"))
		if filepath.Dir(d) == d {
			break
		}
	}
	b.Watch = w.stats
	return b, nil
}

// Deps lists every package ip reaches through its imports, sorted.
func (b *Build) Deps(ip string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		if pk := b.Packages[p]; pk != nil {
			for _, im := range pk.Imports {
				if !seen[im] {
					seen[im] = true
					walk(im)
				}
			}
		}
	}
	walk(ip)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// DepOnly reports whether go list listed the package only as a dependency
// (the target itself has no DepOnly field set).
func (l *listed) DepOnly() bool { return l.depOnly }

func (l *listed) UnmarshalJSON(data []byte) error {
	type plain listed
	var aux struct {
		plain
		DepOnly bool
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*l = listed(aux.plain)
	l.depOnly = aux.DepOnly
	return nil
}

// opaque says why the declaration model cannot see all a package does.
func opaque(p *Package, l *listed) string {
	switch {
	case !p.Main:
		return "outside the module"
	case len(l.CgoFiles)+len(l.CFiles)+len(l.CXXFiles)+len(l.MFiles)+len(l.FFiles)+len(l.SwigFiles)+len(l.SwigCXXFiles) > 0:
		return "cgo"
	case len(l.SysoFiles) > 0:
		return "syso files"
	case len(l.EmbedFiles) > 0:
		return "//go:embed"
	case len(l.HFiles) > 0:
		return "header files"
	}
	for _, f := range l.SFiles {
		src, err := os.ReadFile(filepath.Join(p.Dir, f))
		if err != nil {
			return "assembly that cannot be read"
		}
		for _, line := range strings.Split(string(src), "\n") {
			line = strings.TrimSpace(line)
			if inc, ok := strings.CutPrefix(line, "#include"); ok {
				switch strings.Trim(strings.TrimSpace(inc), `"<>`) {
				case "textflag.h", "funcdata.h", "go_asm.h":
				default:
					return "assembly that #includes " + strings.TrimSpace(inc)
				}
			}
		}
	}
	for _, f := range l.GoFiles {
		src, err := os.ReadFile(filepath.Join(p.Dir, f))
		if err != nil {
			return "a file that cannot be read"
		}
		if linkname.Match(src) {
			return "//go:linkname"
		}
	}
	return ""
}

// linkname finds a //go:linkname directive: at the start of a line, as
// the compiler reads it.
var linkname = regexp.MustCompile(`(?m)^//go:linkname\s`)

func within(dir, root string) bool {
	rel, err := filepath.Rel(root, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// hashFiles hashes the named files of dir (following symbolic links, as the
// compiler does) and records their stats in w.
func hashFiles(dir string, names []string, w *watcher) (string, error) {
	h := sha256.New()
	for _, n := range names {
		p := filepath.Join(dir, n)
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		s := sha256.Sum256(b)
		fmt.Fprintf(h, "%s %d %x\n", filepath.ToSlash(n), len(b), s)
		w.addFile(p, hex.EncodeToString(s[:]))
		if d := filepath.Dir(p); d != dir {
			w.add(d) // an embedded directory's listing
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashLines(lines ...string) string {
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
		io.WriteString(h, "\n")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A watcher collects the stats a listing depends on.
type watcher struct {
	seen  map[string]bool
	stats []Stat
}

func (w *watcher) add(p string) {
	if !w.seen[p] {
		w.seen[p] = true
		w.stats = append(w.stats, stat(p))
	}
}

func (w *watcher) addFile(p, hash string) {
	if !w.seen[p] {
		w.seen[p] = true
		w.stats = append(w.stats, Stat{Path: p, Kind: "file", Hash: hash})
	}
}

// stat is the state of p now, following symbolic links.
func stat(p string) Stat {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return Stat{Path: p, Kind: "absent"}
	case fi.IsDir():
		ents, err := os.ReadDir(p)
		if err != nil {
			return Stat{Path: p, Kind: "dir", Hash: "unreadable"}
		}
		h := sha256.New()
		for _, e := range ents {
			fmt.Fprintf(h, "%s\n", e.Name())
		}
		return Stat{Path: p, Kind: "dir", Hash: hex.EncodeToString(h.Sum(nil))}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return Stat{Path: p, Kind: "file", Hash: "unreadable"}
	}
	s := sha256.Sum256(b)
	return Stat{Path: p, Kind: "file", Hash: hex.EncodeToString(s[:])}
}

type cacheFile struct {
	Version string
	Build   *Build
}

func readCache(path string) (*Build, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var c cacheFile
	if json.Unmarshal(raw, &c) != nil || c.Version != cacheVersion || c.Build == nil || len(c.Build.Watch) == 0 {
		return nil, false
	}
	for _, s := range c.Build.Watch {
		if stat(s.Path) != s {
			return nil, false
		}
	}
	for _, p := range c.Build.Packages {
		if p.Export != "" {
			if _, err := os.Stat(p.Export); err != nil {
				return nil, false // the go build cache was trimmed
			}
		}
	}
	return c.Build, true
}

func writeCache(path string, b *Build) {
	raw, err := json.Marshal(cacheFile{Version: cacheVersion, Build: b})
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gobuild-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(raw)
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
	}
}

// ErrNoBuildID is returned by BinaryID for an executable without a Go
// build ID.
var ErrNoBuildID = errors.New("no Go build ID")
