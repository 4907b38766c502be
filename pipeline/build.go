package pipeline

import (
	"go/build/constraint"
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// A BuildConfig is what decides which files of a package are compiled and
// how: the platform, the build tags, and the settings of the build that
// change generated code. The fingerprinter uses it to read only the files
// this binary was built from; the engine puts its settings into every key, so
// that two binaries built differently never share results.
type BuildConfig struct {
	GOOS, GOARCH string
	Tags         []string // -tags, plus cgo when CGO_ENABLED=1, plus the GOAMD64 (or GOARM64, ...) level tags
	// Settings are the build settings that can change generated code,
	// "key=value" sorted: everything debug.ReadBuildInfo reports except the
	// version-control stamps, and -ldflags without its -X assignments.
	Settings []string
	// X holds the linker's -X assignments: variable id ("pkg.name") ->
	// value. They count only in the keys of stages that reach the variable.
	X map[string]string `json:",omitempty"`
}

// CurrentBuild describes the running binary, from runtime and its build info.
func CurrentBuild() BuildConfig {
	bc := BuildConfig{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		settings = bi.Settings
	}
	return bc.withSettings(settings)
}

// BuildFromSettings describes a build of goos/goarch with the given build
// settings (as debug.BuildInfo lists them); for tests.
func BuildFromSettings(goos, goarch string, settings []debug.BuildSetting) BuildConfig {
	return BuildConfig{GOOS: goos, GOARCH: goarch}.withSettings(settings)
}

func (bc BuildConfig) withSettings(settings []debug.BuildSetting) BuildConfig {
	for _, s := range settings {
		switch {
		case strings.HasPrefix(s.Key, "vcs"), s.Key == "-trimpath":
			continue // the commit, a dirty tree and file names in stack traces do not change what a stage computes
		case strings.HasPrefix(s.Key, "CGO_") && strings.HasSuffix(s.Key, "FLAGS") && s.Value == "":
			continue // the default, which a -trimpath build does not record
		case s.Key == "-ldflags":
			// Stripping the symbol table or DWARF (-s, -w) changes no
			// generated code; -X sets one variable (counted where it is
			// reached, see X); the rest may change anything.
			var keep []string
			fields := strings.Fields(s.Value)
			for i := 0; i < len(fields); i++ {
				f := fields[i]
				assign, isX := strings.CutPrefix(f, "-X=")
				if f == "-X" && i+1 < len(fields) {
					assign, isX = fields[i+1], true
					i++
				}
				if isX {
					if name, value, ok := strings.Cut(assign, "="); ok {
						if bc.X == nil {
							bc.X = map[string]string{}
						}
						bc.X[name] = value
						continue
					}
					keep = append(keep, "-X", assign)
					continue
				}
				if f != "-s" && f != "-w" {
					keep = append(keep, f)
				}
			}
			if s.Value = strings.Join(keep, " "); s.Value == "" {
				continue
			}
		}
		bc.Settings = append(bc.Settings, s.Key+"="+s.Value)
		switch s.Key {
		case "-tags":
			for _, t := range strings.Split(s.Value, ",") {
				if t != "" {
					bc.Tags = append(bc.Tags, t)
				}
			}
		case "CGO_ENABLED":
			if s.Value == "1" {
				bc.Tags = append(bc.Tags, "cgo")
			}
		case "GOAMD64", "GOARM64", "GO386", "GOARM", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM":
			bc.Tags = append(bc.Tags, levelTags(bc.GOARCH, s.Value)...)
		case "GOEXPERIMENT":
			for _, x := range strings.Split(s.Value, ",") {
				if x != "" && !strings.HasPrefix(x, "no") {
					bc.Tags = append(bc.Tags, "goexperiment."+x)
				}
			}
		}
	}
	slices.Sort(bc.Settings)
	return bc
}

// levelTags are the feature tags a microarchitecture level sets: GOAMD64=v3
// sets amd64.v1, amd64.v2 and amd64.v3.
func levelTags(goarch, level string) []string {
	n, err := strconv.Atoi(strings.TrimPrefix(level, "v"))
	if err != nil || !strings.HasPrefix(level, "v") {
		return nil
	}
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, goarch+".v"+strconv.Itoa(i))
	}
	return out
}

// String is the key line of the build: the settings, quoted where needed,
// space-separated.
func (bc BuildConfig) String() string {
	q := make([]string, len(bc.Settings))
	for i, s := range bc.Settings {
		q[i] = s
		if strings.ContainsAny(s, " \t\"\\") {
			q[i] = strconv.Quote(s)
		}
	}
	return strings.Join(q, " ")
}

var knownOS = map[string]bool{"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true, "hurd": true, "illumos": true, "ios": true, "js": true, "linux": true, "nacl": true, "netbsd": true, "openbsd": true, "plan9": true, "solaris": true, "wasip1": true, "windows": true, "zos": true}

var knownArch = map[string]bool{"386": true, "amd64": true, "amd64p32": true, "arm": true, "armbe": true, "arm64": true, "arm64be": true, "loong64": true, "mips": true, "mipsle": true, "mips64": true, "mips64le": true, "mips64p32": true, "mips64p32le": true, "ppc": true, "ppc64": true, "ppc64le": true, "riscv": true, "riscv64": true, "s390": true, "s390x": true, "sparc": true, "sparc64": true, "wasm": true}

var unixOS = map[string]bool{"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true, "hurd": true, "illumos": true, "ios": true, "linux": true, "netbsd": true, "openbsd": true, "solaris": true}

// tag reports whether a build tag is satisfied.
func (bc BuildConfig) tag(t string) bool {
	switch {
	case t == bc.GOOS || t == bc.GOARCH || t == "gc":
		return true
	case t == "unix":
		return unixOS[bc.GOOS]
	case bc.GOOS == "android" && t == "linux", bc.GOOS == "illumos" && t == "solaris", bc.GOOS == "ios" && t == "darwin":
		return true
	case strings.HasPrefix(t, "go1."):
		minor, err := strconv.Atoi(strings.TrimPrefix(t, "go1."))
		return err == nil && minor <= goMinor()
	}
	return slices.Contains(bc.Tags, t)
}

func goMinor() int {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	if i := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		v = v[:i]
	}
	n, _ := strconv.Atoi(v)
	return n
}

// Matches reports whether the file named name (a .go or .s file) with
// source src is part of this build: its _GOOS/_GOARCH name suffixes and its
// //go:build line (or // +build lines) must hold, as go/build decides.
func (bc BuildConfig) Matches(name string, src []byte) bool {
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	parts := strings.Split(base, "_")
	if n := len(parts); n >= 2 {
		last := parts[n-1]
		switch {
		case n >= 3 && knownOS[parts[n-2]] && knownArch[last]:
			if !bc.tag(parts[n-2]) || !bc.tag(last) {
				return false
			}
		case knownOS[last] || knownArch[last]:
			if !bc.tag(last) {
				return false
			}
		}
	}
	for _, line := range headerLines(src) {
		if !constraint.IsGoBuild(line) && !constraint.IsPlusBuild(line) {
			continue
		}
		expr, err := constraint.Parse(line)
		if err != nil {
			continue // the compiler rejects it; so will type checking
		}
		if !expr.Eval(bc.tag) {
			return false
		}
		if constraint.IsGoBuild(line) {
			return true // a //go:build line supersedes // +build lines
		}
	}
	return true
}

// headerLines returns the comment lines before the first line of code (the
// package clause, or the first instruction of an assembly file), where build
// constraints live.
func headerLines(src []byte) []string {
	var out []string
	inBlock := false
	for _, line := range strings.Split(string(src), "\n") {
		l := strings.TrimSpace(line)
		switch {
		case inBlock:
			if strings.Contains(l, "*/") {
				inBlock = false
			}
		case l == "":
		case strings.HasPrefix(l, "//"):
			out = append(out, l)
		case strings.HasPrefix(l, "/*"):
			inBlock = !strings.Contains(l, "*/")
		default:
			return out
		}
	}
	return out
}
