package serve

// The HTTP half of `repro serve`: the report and its exported files (and
// nothing else of the store or the project), the live script it gets, the
// status page, and the event stream every page follows.

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

var (
	//go:embed live.js
	serveLiveJS []byte
	//go:embed status.js
	serveStatusJS []byte
	//go:embed status.html
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

// Limits of the server: anyone who can reach it can open connections and
// event streams, and read slowly.
const (
	// serveMaxConns caps the connections open at once (further ones wait
	// in the kernel's queue until one closes), far below the usual limit of
	// 1024 open files, which the stages' runs need too.
	serveMaxConns = 256
	// serveMaxStreams caps the event streams (one per open page); more
	// get 503.
	serveMaxStreams = 64
	// serveWriteTimeout bounds writing one response (the report is a few
	// MB; a reader slower than that is dropped); an event stream extends
	// its own deadline by serveStreamWrite at each write instead.
	serveWriteTimeout = 2 * time.Minute
	serveStreamWrite  = 30 * time.Second
	// serveIdleTimeout closes a kept-alive connection no request uses.
	serveIdleTimeout = 60 * time.Second
)

// newServeServer is the HTTP server of a session, with its timeouts.
func newServeServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: serveWriteTimeout, IdleTimeout: serveIdleTimeout, MaxHeaderBytes: 64 << 10,
		ErrorLog: log.New(io.Discard, "", 0)}
}

// hostOnly is the host of a Host header (no port, no brackets, no final
// dot), in lower case.
func hostOnly(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// loopbackHost reports whether a Host header names this machine's loopback
// interface.
func loopbackHost(hostport string) bool {
	host := hostOnly(hostport)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostAllow is the Host names the server answers to, beyond localhost and
// the loopback addresses (always): a page elsewhere whose own name resolves
// to this machine (DNS rebinding) must not read the report, whatever the
// server listens on. The zero value allows loopback names only.
type hostAllow map[string]bool

// ok reports whether a request's Host header is allowed.
func (a hostAllow) ok(hostport string) bool {
	if loopbackHost(hostport) {
		return true
	}
	host := hostOnly(hostport)
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String() // one spelling of each address
	}
	return host != "" && a[host]
}

// allowedHosts is what a server listening on addr (its actual address) and
// started with --addr host answers to: the listening address, the host
// named, this machine's host name, and, when it listens on every interface
// (0.0.0.0 or ::), every address of this machine's interfaces.
func allowedHosts(addr net.Addr, host string) hostAllow {
	a := hostAllow{}
	add := func(h string) {
		h = hostOnly(h)
		if ip := net.ParseIP(h); ip != nil {
			if ip.IsUnspecified() {
				return
			}
			h = ip.String()
		}
		if h != "" {
			a[h] = true
		}
	}
	add(host)
	if name, err := os.Hostname(); err == nil {
		add(name)
	}
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return a
	}
	add(ta.IP.String())
	if ta.IP.IsUnspecified() {
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, ia := range addrs {
				if n, ok := ia.(*net.IPNet); ok {
					add(n.IP.String())
				}
			}
		}
	}
	return a
}

// handler serves the session to the Host names of hosts.
func (s *serveSession) handler(hosts hostAllow) http.Handler {
	ex := exportsOf(s.p.Graph)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", serveCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if !hosts.ok(r.Host) {
			http.Error(w, "repro serve answers only to this machine's names and addresses (localhost, its host name, the address it listens on), not to "+hostOnly(r.Host), http.StatusForbidden)
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
// file itself, an exported directory must be a directory itself (not a
// link, to /etc or elsewhere in the store), a file of an exported directory
// must stay inside that directory. Files are opened non-blocking and must be
// regular files: a named pipe is a 404 at once, not a handler that waits.
func (s *serveSession) serveExport(w http.ResponseWriter, r *http.Request, rel string, ex reportExports) {
	store, err := os.OpenRoot(s.storeDir)
	if err != nil {
		s.serveMissing(w, r, rel)
		return
	}
	defer store.Close()
	root, name := store, rel
	for _, d := range ex.dirs {
		if rest, ok := strings.CutPrefix(rel, d); ok {
			dir := strings.TrimSuffix(d, "/")
			if fi, err := store.Lstat(dir); err != nil || !fi.IsDir() {
				http.NotFound(w, r)
				return
			}
			sub, err := store.OpenRoot(dir)
			if err != nil {
				http.NotFound(w, r)
				return
			}
			defer sub.Close()
			root, name = sub, rest
		}
	}
	if ex.files[rel] {
		if fi, err := root.Lstat(name); err != nil || !fi.Mode().IsRegular() {
			s.serveMissing(w, r, rel)
			return
		}
	}
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
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
	page, csp, err := s.pages.page(f, fi)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", csp)
	serveBytes(w, r, "text/html; charset=utf-8", page)
}

// inlineScript is a <script> element of the report itself (no src): the
// number-provenance popover.
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// reportCSP is serveCSP that also allows the report's own inline scripts,
// each by the sha256 of its text: no other inline script may run.
func reportCSP(page []byte) string {
	var hashes []string
	for _, m := range inlineScript.FindAllSubmatch(page, -1) {
		sum := sha256.Sum256(m[1])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	if len(hashes) == 0 {
		return serveCSP
	}
	return strings.Replace(serveCSP, "script-src 'self'", "script-src 'self' "+strings.Join(hashes, " "), 1)
}

// A pageCache holds the report as served (with the live script), read once
// per version of the file: every request serves the same bytes, not a copy
// of its own, so a thousand slow readers share one report.
type pageCache struct {
	mu   sync.Mutex
	fi   os.FileInfo
	body []byte
	csp  string // its Content-Security-Policy (reportCSP)
}

// page returns the served page of the report f, whose information is fi.
func (c *pageCache) page(f *os.File, fi os.FileInfo) ([]byte, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fi != nil && os.SameFile(c.fi, fi) && c.fi.Size() == fi.Size() && c.fi.ModTime().Equal(fi.ModTime()) {
		return c.body, c.csp, nil
	}
	b := make([]byte, 0, fi.Size()+bytes.MinRead)
	buf := bytes.NewBuffer(b)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, "", err
	}
	c.fi, c.body, c.csp = fi, injectLive(buf.Bytes(), versionOf(buf.Bytes())), reportCSP(buf.Bytes())
	return c.body, c.csp, nil
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
	ch, cancel, ok := s.hub.trySubscribe(serveMaxStreams)
	if !ok {
		h.Set("Retry-After", "10")
		http.Error(w, fmt.Sprintf("too many open pages: at most %d follow this server at once", serveMaxStreams), http.StatusServiceUnavailable)
		return
	}
	defer cancel()
	rc := http.NewResponseController(w)
	// The server's write timeout would end the stream: each write has its
	// own deadline instead, so a page that stops reading is dropped.
	extend := func() bool { return rc.SetWriteDeadline(time.Now().Add(serveStreamWrite)) == nil }
	s.mu.Lock()
	quit := s.quit
	s.mu.Unlock()
	send := func(b []byte) bool {
		if !extend() {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !extend() {
		return
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
			if !extend() {
				return
			}
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
	ch, cancel, _ := h.trySubscribe(0)
	return ch, cancel
}

// trySubscribe subscribes, unless max (> 0) streams already are.
func (h *hub) trySubscribe(max int) (<-chan []byte, func(), bool) {
	ch := make(chan []byte, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if max > 0 && len(h.clients) >= max {
		return nil, nil, false
	}
	h.clients[ch] = true
	return ch, func() {
		h.mu.Lock()
		delete(h.clients, ch)
		h.mu.Unlock()
	}, true
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
