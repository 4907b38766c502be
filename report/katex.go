package report

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// KaTeX holds the files of the KaTeX distribution that Render needs. Fonts
// maps the paths the CSS references ("fonts/KaTeX_Main-Regular.woff2") to
// their bytes; only woff2 fonts are used.
type KaTeX struct {
	JS    []byte // katex.min.js
	CSS   []byte // katex.min.css
	Fonts map[string][]byte
}

// KaTeXPaths returns where the repository keeps its copy of the KaTeX
// distribution (third_party/katex, committed, see its README.md), as
// slash-separated paths relative to the repository root.
func KaTeXPaths() (js, css, fontsDir string) {
	return "third_party/katex/katex.min.js",
		"third_party/katex/katex.min.css",
		"third_party/katex/fonts"
}

// LoadKaTeX reads the KaTeX files named by KaTeXPaths from fsys (for example
// os.DirFS(repoRoot)): the script, the style sheet and the woff2 fonts the
// style sheet references. When KaTeX is not installed the error wraps
// fs.ErrNotExist, so a caller can fall back to Render without KaTeX.
func LoadKaTeX(fsys fs.FS) (*KaTeX, error) {
	return readKaTeX(func(p string) ([]byte, error) { return fs.ReadFile(fsys, p) })
}

// LoadKaTeXFiles is LoadKaTeX from files already read, by the paths
// KaTeXPaths names.
func LoadKaTeXFiles(files map[string][]byte) (*KaTeX, error) {
	return readKaTeX(func(p string) ([]byte, error) {
		b, ok := files[p]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return b, nil
	})
}

func readKaTeX(readFile func(string) ([]byte, error)) (*KaTeX, error) {
	jsPath, cssPath, _ := KaTeXPaths()
	js, err := readFile(jsPath)
	if err != nil {
		return nil, fmt.Errorf("report: KaTeX is missing from the checkout (third_party/katex): %w", err)
	}
	css, err := readFile(cssPath)
	if err != nil {
		return nil, fmt.Errorf("report: KaTeX is missing from the checkout (third_party/katex): %w", err)
	}
	k := &KaTeX{JS: js, CSS: css, Fonts: map[string][]byte{}}
	for _, m := range fontURLRE.FindAllStringSubmatch(string(css), -1) {
		ref := m[1]
		if !strings.HasSuffix(ref, ".woff2") || k.Fonts[ref] != nil {
			continue
		}
		b, err := readFile(path.Join(path.Dir(cssPath), ref))
		if err != nil {
			return nil, fmt.Errorf("report: KaTeX font %s: %w", ref, err)
		}
		k.Fonts[ref] = b
	}
	return k, nil
}

// fontURLRE matches url(...) references in a style sheet.
var fontURLRE = regexp.MustCompile(`url\(\s*['"]?([^'")]+?)['"]?\s*\)`)

var fontFaceRE = regexp.MustCompile(`@font-face\s*\{[^}]*\}`)
var fontSrcRE = regexp.MustCompile(`src\s*:\s*([^;}]*)`)

// inlineKaTeXCSS rewrites KaTeX's style sheet so that it needs no file: each
// @font-face src keeps only its woff2 entry, as a data: URI. Every woff2
// font it references must be in fonts. Any other url() left is an error.
// The last result is kept for the life of the process (a live preview
// renders the report on every save, with the same fonts).
func inlineKaTeXCSS(css []byte, fonts map[string][]byte) (string, error) {
	h := sha256.New()
	h.Write(css)
	for _, name := range slices.Sorted(maps.Keys(fonts)) {
		fmt.Fprintf(h, "\x00%s\x00%d\x00", name, len(fonts[name]))
		h.Write(fonts[name])
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	inlinedCSS.mu.Lock()
	defer inlinedCSS.mu.Unlock()
	if inlinedCSS.key == key && inlinedCSS.css != "" {
		return inlinedCSS.css, nil
	}
	out, err := inlineFonts(css, fonts)
	if err == nil {
		inlinedCSS.key, inlinedCSS.css = key, out
	}
	return out, err
}

// inlinedCSS is the last result of inlineKaTeXCSS.
//
//repro:memo
var inlinedCSS struct {
	mu  sync.Mutex
	key [sha256.Size]byte // of the style sheet and the fonts
	css string
}

func inlineFonts(css []byte, fonts map[string][]byte) (string, error) {
	var firstErr error
	out := fontFaceRE.ReplaceAllStringFunc(string(css), func(face string) string {
		return fontSrcRE.ReplaceAllStringFunc(face, func(src string) string {
			list := fontSrcRE.FindStringSubmatch(src)[1]
			for _, entry := range strings.Split(list, ",") {
				m := fontURLRE.FindStringSubmatch(entry)
				if m == nil || !strings.HasSuffix(m[1], ".woff2") {
					continue
				}
				b, ok := fonts[m[1]]
				if !ok {
					if firstErr == nil {
						firstErr = fmt.Errorf("KaTeX.Fonts has no %q, which the KaTeX CSS references (have %d fonts)", m[1], len(fonts))
					}
					return src
				}
				return `src:url(data:font/woff2;base64,` + base64.StdEncoding.EncodeToString(b) + `) format("woff2")`
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("KaTeX CSS: @font-face without a woff2 source: %s", src)
			}
			return src
		})
	})
	if firstErr != nil {
		return "", firstErr
	}
	for _, m := range fontURLRE.FindAllStringSubmatch(out, -1) {
		if !strings.HasPrefix(m[1], "data:") {
			return "", fmt.Errorf("KaTeX CSS references %q, which would need a file or the network", m[1])
		}
	}
	return out, nil
}

type mathKey struct {
	tex     string
	display bool
}

// A mathResult is what KaTeX made of one expression: its HTML, or the
// message of the TeX error; and the warnings of its strict mode.
type mathResult struct {
	html     string
	err      string
	warnings []string
}

// katexCache keeps what KaTeX made of each expression for the life of the
// process, with the script that made it, and an engine to reuse (starting
// one compiles KaTeX: 20 ms). A live preview renders the report on every
// save, and its math rarely changes. KaTeX is a function of the script and
// the expression alone, so a kept result is the bytes a new one would be.
//
//repro:memo
var katexCache struct {
	mu      sync.Mutex
	script  [sha256.Size]byte // of katex.min.js, for results and idle
	results map[mathKey]mathResult
	idle    *katexEngine
}

// maxKaTeXResults bounds katexCache (a long preview session of a document
// whose math keeps changing); past it, the cache starts again. The study's
// report has about 300 expressions, each a few kilobytes of HTML: the bound
// keeps the cache to tens of megabytes.
const maxKaTeXResults = 1 << 13

// renderKaTeX renders the expressions with the script js, each once. An
// error is one that stops KaTeX itself (the script does not run); a TeX
// error is in its expression's result.
func renderKaTeX(js []byte, exprs []mathKey) ([]mathResult, error) {
	script := sha256.Sum256(js)
	c := &katexCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.script != script || len(c.results) > maxKaTeXResults {
		c.script, c.results, c.idle = script, map[mathKey]mathResult{}, nil
	}
	out := make([]mathResult, len(exprs))
	for i, k := range exprs {
		r, ok := c.results[k]
		if !ok {
			if c.idle == nil {
				eng, err := newKaTeXEngine(js)
				if err != nil {
					return nil, err
				}
				c.idle = eng
			}
			var err error
			r, err = c.idle.Render(k.tex, k.display)
			if err != nil {
				c.idle = nil // not a TeX error: start afresh
				return nil, err
			}
			c.results[k] = r
		}
		out[i] = r
	}
	return out, nil
}

// katexEngine runs katex.renderToString in a goja runtime.
type katexEngine struct {
	vm     *goja.Runtime
	render goja.Callable
	katex  goja.Value
}

func newKaTeXEngine(js []byte) (*katexEngine, error) {
	prog, err := goja.Compile("katex.min.js", string(js), false)
	if err != nil {
		return nil, fmt.Errorf("compiling katex.min.js: %v", err)
	}
	vm := goja.New()
	if _, err := vm.RunProgram(prog); err != nil {
		return nil, fmt.Errorf("running katex.min.js: %v", err)
	}
	k := vm.Get("katex")
	if k == nil || goja.IsUndefined(k) {
		return nil, fmt.Errorf("katex.min.js did not define the global katex")
	}
	render, ok := goja.AssertFunction(k.ToObject(vm).Get("renderToString"))
	if !ok {
		return nil, fmt.Errorf("katex.renderToString is not a function")
	}
	return &katexEngine{vm: vm, render: render, katex: k}, nil
}

// Render renders one expression to HTML (KaTeX's HTML plus MathML for
// assistive technology). A TeX error is in the result, with KaTeX's
// message; the error is for anything else.
func (e *katexEngine) Render(tex string, display bool) (mathResult, error) {
	var r mathResult
	opts := e.vm.NewObject()
	_ = opts.Set("displayMode", display)
	_ = opts.Set("throwOnError", true)
	_ = opts.Set("output", "htmlAndMathml")
	_ = opts.Set("strict", func(call goja.FunctionCall) goja.Value {
		w := fmt.Sprintf("math %q: KaTeX: %s", tex, call.Argument(1).String())
		if !slices.Contains(r.warnings, w) {
			r.warnings = append(r.warnings, w)
		}
		return e.vm.ToValue("ignore")
	})
	v, err := e.render(e.katex, e.vm.ToValue(tex), opts)
	if err != nil {
		if ex, ok := err.(*goja.Exception); ok {
			if obj := ex.Value().ToObject(e.vm); obj != nil {
				if msg := obj.Get("message"); msg != nil && !goja.IsUndefined(msg) {
					r.err = msg.String()
					return r, nil
				}
			}
		}
		return r, err
	}
	r.html = v.String()
	return r, nil
}
