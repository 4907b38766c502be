package pipeline

import (
	"go/ast"
	"strings"
)

// The allowlist of outside code a stage may call.
//
// A stage's key records its code, parameters and inputs; code that reads
// anything else (the environment, files not declared as inputs, the clock,
// the scheduler, global random numbers, the network, other processes)
// could give another output under the same key. So every function,
// variable and method of a package outside the module that reached code
// uses must be on this list, reviewed as reading none of those; anything
// else is refused, naming the use. Constants and types are always allowed:
// they compute nothing.
//
// A package is listed with the rule for its names: all of them except
// some, or only some. Methods are named "Type.Method". A prefix entry (a
// path ending in "/...") covers the packages below it.
//
// The way out, for a use the list refuses, is a declared input or a
// parameter; or, where the reviewer agrees the use cannot change an
// output (a progress bar reading the clock, say), a line
//
//	//repro:allow pkg.Name why
//
// in the doc comment of the declaration that uses it, which a reviewer sees
// in the diff.
type allowRule struct {
	only   bool            // only the names listed are allowed (else all but them)
	names  map[string]bool // the exceptions, or the allowed names
	reason string          // why the listed names are refused (all-but rules)
}

func allBut(reason string, names ...string) allowRule {
	return allowRule{names: set(names), reason: reason}
}

func only(reason string, names ...string) allowRule {
	return allowRule{only: true, names: set(names), reason: reason}
}

func set(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var all = allowRule{}

// allowed lists the outside packages reviewed for stage code.
var allowed = map[string]allowRule{
	// Computation on values.
	"math": all, "math/bits": all, "math/cmplx": all, "math/big": all,
	"sort": all, "slices": all, "maps": all, "cmp": all, "iter": all,
	"strconv": all, "strings": all, "bytes": all, "unicode": all, "unicode/utf8": all, "unicode/utf16": all,
	"errors": all, "container/heap": all, "container/list": all, "container/ring": all,
	"hash": all, "hash/fnv": all, "hash/crc32": all, "hash/crc64": all, "hash/adler32": all,
	"crypto/sha256": all, "crypto/sha512": all, "crypto/sha1": all, "crypto/md5": all, "crypto/subtle": all,
	"encoding": all, "encoding/json": all, "encoding/binary": all, "encoding/base64": all, "encoding/hex": all,
	"encoding/csv": all, "encoding/xml": all, "compress/flate": all, "compress/gzip": all, "compress/zlib": all,
	"archive/zip": allBut("it opens files by name", "OpenReader"),
	"io":          all, "bufio": all, "context": all, "sync": all, "sync/atomic": all, "unsafe": all, "reflect": all,
	"path": all, "regexp": all, "regexp/syntax": all, "html": all, "net/url": all,
	"unicode/norm": all, "embed": all, "io/fs": all,
	"image": all, "image/color": all, "image/color/palette": all, "image/draw": all, "image/png": all,
	"image/jpeg": all, "image/gif": all,
	"fmt":                 allBut("it reads standard input", "Scan", "Scanf", "Scanln"),
	"path/filepath":       allBut("it reads the file system or the working directory", "Abs", "EvalSymlinks", "Glob", "Walk", "WalkDir"),
	"text/template":       allBut("it reads files by name", "ParseFiles", "ParseGlob", "Template.ParseFiles", "Template.ParseGlob"),
	"html/template":       allBut("it reads files by name", "ParseFiles", "ParseGlob", "Template.ParseFiles", "Template.ParseGlob"),
	"text/template/parse": all, "text/tabwriter": all,
	"net/http": only("it reaches the network", "DetectContentType", "StatusText", "CanonicalHeaderKey"),
	// The clock and the local time zone: only durations and fixed zones.
	"time": allBut("it reads the clock or the local time zone", "Now", "Since", "Until", "Sleep", "After", "Tick",
		"NewTimer", "NewTicker", "AfterFunc", "Unix", "UnixMilli", "UnixMicro", "Local", "LoadLocation",
		"Parse", "Time.Local", "Time.Zone", "Time.String", "Time.Format", "Time.AppendFormat"),
	// Random numbers from a seed: generators, never the global source.
	"math/rand": allBut("it draws from the global, self-seeded source", "Int", "Intn", "Int31", "Int31n", "Int63",
		"Int63n", "Uint32", "Uint64", "Float32", "Float64", "Perm", "Shuffle", "NormFloat64", "ExpFloat64", "Read", "Seed"),
	"math/rand/v2": allBut("it draws from the global, self-seeded source", "Int", "IntN", "Int32", "Int32N", "Int64",
		"Int64N", "Uint", "UintN", "Uint32", "Uint32N", "Uint64", "Uint64N", "Float32", "Float64", "Perm", "Shuffle",
		"NormFloat64", "ExpFloat64", "N"),
	// The process and the machine: only the errors it defines.
	"os": only("it reads the environment, files, the process or the machine", "IsNotExist", "IsExist", "IsPermission",
		"IsTimeout", "IsPathSeparator", "ErrNotExist", "ErrExist", "ErrPermission", "ErrClosed", "ErrInvalid",
		"ErrDeadlineExceeded", "ErrProcessDone", "NewSyscallError"),
	"runtime": only("it reads the machine or the scheduler (GOMAXPROCS, the number of CPUs, memory)", "KeepAlive",
		"Gosched", "Caller", "Callers", "CallersFrames", "FuncForPC", "Func.Name", "Frames.Next", "SetFinalizer", "GC",
		"Error.Error", "TypeAssertionError.Error"),
	"runtime/debug": only("it reads the machine or the process", "Stack", "PrintStack", "ReadBuildInfo"),
	// Reviewed outside modules: numerics, figures, Markdown, HTML.
	"gonum.org/v1/gonum/...":         all,
	"gonum.org/v1/plot/...":          all,
	"github.com/yuin/goldmark/...":   all,
	"golang.org/x/net/html/...":      all,
	"golang.org/x/image/...":         all,
	"golang.org/x/sync/errgroup":     all,
	"golang.org/x/text/...":          all,
	"github.com/dop251/goja/...":     all, // KaTeX runs in it, over the declared KaTeX files
	"github.com/go-sourcemap/...":    all,
	"github.com/go-latex/...":        all,
	"github.com/go-fonts/...":        all,
	"codeberg.org/go-fonts/...":      all,
	"codeberg.org/go-latex/...":      all,
	"github.com/golang/freetype/...": all,
	"codeberg.org/go-pdf/...":        all,
	"github.com/ajstarks/svgo":       all,
}

// allowDirective marks, in a declaration's doc comment, an outside use the
// reviewer accepts: //repro:allow pkg.Name why.
const allowDirective = "//repro:allow"

// ruleFor finds the rule of package pkg, or false if it is not listed.
func ruleFor(pkg string) (allowRule, bool) {
	if r, ok := allowed[pkg]; ok {
		return r, true
	}
	for p := pkg; ; {
		if r, ok := allowed[p+"/..."]; ok {
			return r, true
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			return allowRule{}, false
		}
		p = p[:i]
	}
}

// refusal says why stage code may not use name (a function, variable or
// "Type.Method") of outside package pkg, or "" if it may.
func refusal(pkg, name string) string {
	r, ok := ruleFor(pkg)
	if !ok {
		return "package " + pkg + " is not on the allowlist of outside code a stage may call (pipeline/allow.go)"
	}
	if r.only == r.names[name] {
		return "" // listed under only, or not listed under all-but
	}
	return r.reason
}

// allowedByDirective reports whether d's doc comment accepts the use of
// pkg.name (written with the package's last element, as in code).
func allowedByDirective(doc *ast.CommentGroup, pkg, name string) bool {
	if doc == nil {
		return false
	}
	short := pkg[strings.LastIndex(pkg, "/")+1:]
	for _, c := range doc.List {
		rest, ok := strings.CutPrefix(c.Text, allowDirective+" ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) > 0 && (f[0] == pkg+"."+name || f[0] == short+"."+name) {
			return true
		}
	}
	return false
}
