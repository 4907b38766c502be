package main

// The HTTP half of `repro serve`: the report and its exported files (and
// nothing else of the store or the project), the live script it gets, the
// status page, and the event stream every page follows.

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

var (
	//go:embed serve_live.js
	serveLiveJS []byte
	//go:embed serve_status.js
	serveStatusJS []byte
	//go:embed serve_status.html
	serveStatusHTML []byte
)

// serveCSP keeps the served pages to this server: the report is
// self-contained (styles, fonts and figures inline), the live script and the
// event stream come from here, and nothing may load from elsewhere.
const serveCSP = "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// reportExports are the paths, relative to the store, that the report stage
// exports: files ("report.html") and directories ("report/", the tables).
type reportExports struct {
	files map[string]bool
	dirs  []string // each ends in "/"
}

// exportsOf reads the report stage's exports from the graph.
func exportsOf(g *pipeline.Graph) reportExports {
	ex := reportExports{files: map[string]bool{"report.html": true}}
	s := g.Stage("report")
	if s == nil {
		return ex
	}
	for name, dst := range s.Exports {
		dst = strings.TrimPrefix(path.Clean("/"+dst), "/")
		if dst == "" || dst == "." {
			continue
		}
		if strings.HasSuffix(name, "/") {
			ex.dirs = append(ex.dirs, dst+"/")
		} else {
			ex.files[dst] = true
		}
	}
	return ex
}

// reportFile maps a request path to an exported file, relative to the
// store: "/" is the report, then the exported files and what lies inside
// the exported directories. Anything else, and any path with a "..", "."
// or empty segment, a hidden name, a backslash or a NUL, is not served.
func reportFile(urlPath string, ex reportExports) (string, bool) {
	if urlPath == "/" {
		return "report.html", ex.files["report.html"]
	}
	if !strings.HasPrefix(urlPath, "/") || strings.ContainsAny(urlPath, "\\\x00") {
		return "", false
	}
	rel := urlPath[1:]
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	if ex.files[rel] {
		return rel, true
	}
	for _, d := range ex.dirs {
		if rest, ok := strings.CutPrefix(rel, d); ok && rest != "" {
			return rel, true
		}
	}
	return "", false
}

// loopbackHost reports whether a Host header names this machine's loopback
// interface: with the server bound to loopback, any other name is a page
// elsewhere reaching it through DNS rebinding.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handler serves the session.
func (s *serveSession) handler(loopback bool) http.Handler {
	ex := exportsOf(s.p.graph)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", serveCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if loopback && !loopbackHost(r.Host) {
			http.Error(w, "repro serve answers only to localhost", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		switch r.URL.Path {
		case "/_repro/events":
			s.serveEvents(w, r)
		case "/_repro/live.js":
			serveBytes(w, r, "text/javascript; charset=utf-8", serveLiveJS)
		case "/_repro/status.js":
			serveBytes(w, r, "text/javascript; charset=utf-8", serveStatusJS)
		case "/_repro/status.json":
			serveBytes(w, r, "application/json", s.statusJSON())
		case "/status":
			serveBytes(w, r, "text/html; charset=utf-8", serveStatusHTML)
		case "/favicon.ico":
			w.WriteHeader(http.StatusNoContent)
		default:
			rel, ok := reportFile(r.URL.Path, ex)
			if !ok {
				http.NotFound(w, r)
				return
			}
			s.serveExport(w, r, rel, ex)
		}
	})
}

func serveBytes(w http.ResponseWriter, r *http.Request, ctype string, b []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// serveExport serves one exported file, opened inside the store so that a
// symbolic link cannot lead out of it: an exported file must be a regular
// file itself, a file of an exported directory must stay inside that
// directory.
func (s *serveSession) serveExport(w http.ResponseWriter, r *http.Request, rel string, ex reportExports) {
	dir, name := s.storeDir, rel
	for _, d := range ex.dirs {
		if rest, ok := strings.CutPrefix(rel, d); ok {
			dir, name = s.storeDir+"/"+strings.TrimSuffix(d, "/"), rest
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		s.serveMissing(w, r, rel)
		return
	}
	defer root.Close()
	if ex.files[rel] {
		if fi, err := root.Lstat(name); err != nil || !fi.Mode().IsRegular() {
			s.serveMissing(w, r, rel)
			return
		}
	}
	f, err := root.Open(name)
	if err != nil {
		s.serveMissing(w, r, rel)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if rel != "report.html" {
		http.ServeContent(w, r, name, fi.ModTime(), f)
		return
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(f); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	page := injectLive(b.Bytes(), versionOf(b.Bytes()))
	serveBytes(w, r, "text/html; charset=utf-8", page)
}

// serveMissing answers for an exported file that does not exist (yet): the
// report gets a page that waits for the first run, anything else a 404.
func (s *serveSession) serveMissing(w http.ResponseWriter, r *http.Request, rel string) {
	if rel != "report.html" {
		http.NotFound(w, r)
		return
	}
	page := `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<title>repro serve</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}</style></head>` +
		`<body><h1>The report is being built</h1><p>This page shows it as soon as the first run has exported it. ` +
		`<a href="/status">Stages and runs</a>.</p></body></html>`
	serveBytes(w, r, "text/html; charset=utf-8", injectLive([]byte(page), ""))
}

// injectLive adds the live script to a page, before </body>.
func injectLive(page []byte, version string) []byte {
	tag := []byte(`<script src="/_repro/live.js" data-version="` + version + `"></script>`)
	i := bytes.LastIndex(page, []byte("</body>"))
	if i < 0 {
		return append(append([]byte{}, page...), tag...)
	}
	out := make([]byte, 0, len(page)+len(tag))
	out = append(out, page[:i]...)
	out = append(out, tag...)
	return append(out, page[i:]...)
}

// serveEvents is the event stream of a page: the current view at once, then
// every change ("state" events), and a comment every 15 s that keeps idle
// connections open through proxies.
func (s *serveSession) serveEvents(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	ch, cancel := s.hub.subscribe()
	defer cancel()
	s.mu.Lock()
	quit := s.quit
	s.mu.Unlock()
	send := func(b []byte) bool {
		if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if _, err := fmt.Fprint(w, "retry: 500\n\n"); err != nil {
		return
	}
	if !send(s.viewJSON()) {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case b := <-ch:
			if !send(b) {
				return
			}
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-quit:
			return
		}
	}
}

// viewJSON is the current view.
func (s *serveSession) viewJSON() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.view)
	return b
}

// A hub hands the latest view to every subscribed stream. A stream that has
// not sent the previous view yet gets only the newest: views replace each
// other, so nothing is lost by skipping one.
type hub struct {
	mu      sync.Mutex
	clients map[chan []byte]bool
}

func newHub() *hub { return &hub{clients: map[chan []byte]bool{}} }

func (h *hub) subscribe() (<-chan []byte, func()) {
	ch := make(chan []byte, 1)
	h.mu.Lock()
	h.clients[ch] = true
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.clients, ch)
		h.mu.Unlock()
	}
}

func (h *hub) publish(b []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		select {
		case <-ch: // not sent yet: replaced by the newer view
		default:
		}
		ch <- b
	}
}

// clients counts the open streams.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}
