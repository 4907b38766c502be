package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// hostileServe serves a store holding a report, with the report stage
// exporting report.html and the directory report/.
func hostileServe(t *testing.T, hosts hostAllow) (*serveSession, *httptest.Server, string) {
	t.Helper()
	store := t.TempDir()
	os.WriteFile(filepath.Join(store, "report.html"), []byte("<html><body><p>the report</p></body></html>"), 0o644)
	g := pipeline.NewGraph()
	if err := g.Add(pipeline.Stage{Name: "report", Run: pipeline.Func(serveTestStage),
		Exports: map[string]string{"report.html": "report.html", "tables/": "report/"}}); err != nil {
		t.Fatal(err)
	}
	s := &serveSession{storeDir: store, hub: newHub(), quit: make(chan struct{}), p: &project.Project{Graph: g}}
	srv := httptest.NewServer(s.handler(hosts))
	t.Cleanup(srv.Close)
	return s, srv, store
}

// rawGet sends one request with the given Host header, so that no client
// rewrites it.
func rawGet(t *testing.T, addr, target, host string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, host)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// With --addr 0.0.0.0 the Host check stays on: the machine's own names and
// addresses are served, any other name (a page that rebinds its own name to
// this machine) is refused.
func TestServeHostAllowlistOnAllInterfaces(t *testing.T) {
	hosts := allowedHosts(&net.TCPAddr{IP: net.IPv4zero, Port: 8765}, "0.0.0.0")
	name, _ := os.Hostname()
	_, srv, _ := hostileServe(t, hosts)
	addr := srv.Listener.Addr().String()
	allowed := []string{"localhost:8765", "127.0.0.1:8765", "[::1]:8765"}
	if name != "" {
		allowed = append(allowed, name+":8765", strings.ToUpper(name))
	}
	if ifs, _ := net.InterfaceAddrs(); len(ifs) > 0 {
		for _, ia := range ifs {
			if n, ok := ia.(*net.IPNet); ok && !n.IP.IsLoopback() {
				allowed = append(allowed, net.JoinHostPort(n.IP.String(), "8765"))
			}
		}
	}
	for _, h := range allowed {
		if code, body := rawGet(t, addr, "/", h); code != 200 || !strings.Contains(body, "the report") {
			t.Errorf("Host %s: %d, want 200", h, code)
		}
	}
	for _, h := range []string{"evil.example", "evil.example:8765", "0.0.0.0:8765", "localhost.evil.example", name + ".evil.example", "203.0.113.9"} {
		if code, body := rawGet(t, addr, "/", h); code != http.StatusForbidden || strings.Contains(body, "the report") {
			t.Errorf("Host %s: %d, want 403", h, code)
		}
	}
	// A name given to --addr is allowed; the zero allowlist is loopback only.
	if !allowedHosts(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}, "preview.lan").ok("PREVIEW.LAN.:1") {
		t.Error("the host named by --addr is refused")
	}
	if !allowedHosts(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}, "192.0.2.1").ok("192.0.2.1:1") {
		t.Error("the listening address is refused")
	}
	if hostAllow(nil).ok("192.0.2.1") || !hostAllow(nil).ok("localhost") {
		t.Error("the zero allowlist is not loopback only")
	}
}

// artifacts/report itself a symbolic link (to /etc, or elsewhere in the
// store) is not served; a named pipe in it is a 404 at once, not a handler
// that waits for a writer.
func TestServeExportedDirectoryGuards(t *testing.T) {
	_, srv, store := hostileServe(t, nil)
	addr := srv.Listener.Addr().String()
	host := "localhost"
	os.MkdirAll(filepath.Join(store, "objects", "ab"), 0o755)
	os.WriteFile(filepath.Join(store, "objects", "ab", "secret.csv"), []byte("secret"), 0o644)
	for _, target := range []string{"/etc", filepath.Join(store, "objects", "ab"), "objects/ab"} {
		os.Remove(filepath.Join(store, "report"))
		if err := os.Symlink(target, filepath.Join(store, "report")); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/report/passwd", "/report/hostname", "/report/secret.csv"} {
			if code, body := rawGet(t, addr, p, host); code != http.StatusNotFound || strings.Contains(body, "secret") || strings.Contains(body, "root:") {
				t.Errorf("report -> %s: %s: %d %q, want 404", target, p, code, body)
			}
		}
	}
	os.Remove(filepath.Join(store, "report"))
	os.MkdirAll(filepath.Join(store, "report"), 0o755)
	os.WriteFile(filepath.Join(store, "report", "split.csv"), []byte("a,b\n"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(store, "report", "fifo.csv"), 0o644); err != nil {
		t.Skip(err)
	}
	done := make(chan int, 1)
	go func() { code, _ := rawGet(t, addr, "/report/fifo.csv", host); done <- code }()
	select {
	case code := <-done:
		if code != http.StatusNotFound {
			t.Errorf("a named pipe: %d, want 404", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a named pipe in report/: the handler still waits after 5 s")
	}
	if code, body := rawGet(t, addr, "/report/split.csv", host); code != 200 || body != "a,b\n" {
		t.Errorf("a regular file of report/: %d %q", code, body)
	}
}

// The report is read once per version and every request serves the same
// bytes (a slow reader pins no copy of its own); a new version is read
// again.
func TestServeReportReadOncePerVersion(t *testing.T) {
	s, srv, store := hostileServe(t, nil)
	addr := srv.Listener.Addr().String()
	rawGet(t, addr, "/", "localhost")
	first := s.pages.body
	for i := 0; i < 5; i++ {
		if code, body := rawGet(t, addr, "/", "localhost"); code != 200 || !strings.Contains(body, "the report") {
			t.Fatalf("%d %q", code, body)
		}
	}
	if len(first) == 0 || &s.pages.body[0] != &first[0] {
		t.Error("the report was read (and copied) again for a request of the same version")
	}
	p := filepath.Join(store, "report.html")
	os.WriteFile(p+".new", []byte("<html><body><p>the new report</p></body></html>"), 0o644)
	os.Rename(p+".new", p)
	if code, body := rawGet(t, addr, "/", "localhost"); code != 200 || !strings.Contains(body, "the new report") {
		t.Errorf("after a new report: %d %q", code, body)
	}
}

// At most serveMaxStreams pages follow the server at once: the next stream
// gets 503 at once; a closed stream frees its place.
func TestServeEventStreamCap(t *testing.T) {
	_, srv, _ := hostileServe(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bodies []io.Closer
	defer func() {
		for _, b := range bodies {
			b.Close()
		}
	}()
	open := func() *http.Response {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/_repro/events", nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for i := 0; i < serveMaxStreams; i++ {
		resp := open()
		if resp.StatusCode != 200 {
			t.Fatalf("stream %d: %d", i, resp.StatusCode)
		}
		bodies = append(bodies, resp.Body)
		bufio.NewReader(resp.Body).ReadString('\n') // the stream has started
	}
	resp := open()
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("stream %d: %d, want 503", serveMaxStreams+1, resp.StatusCode)
	}
	bodies[0].Close()
	bodies = bodies[1:]
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp := open()
		if resp.StatusCode == 200 {
			bodies = append(bodies, resp.Body)
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("a closed stream did not free its place")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The server has write, idle and header timeouts, so that slow and idle
// clients are dropped.
func TestServeServerTimeouts(t *testing.T) {
	srv := newServeServer(http.NotFoundHandler())
	if srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 || srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("server limits: %+v", srv)
	}
}

// FuzzServeHost checks the Host check on any header: it never panics, and
// it allows a name only if it is a loopback name or address or one of the
// allowlist's (in any case, with any port).
func FuzzServeHost(f *testing.F) {
	for _, h := range []string{"localhost:8765", "127.0.0.1", "[::1]:1", "preview.lan", "PREVIEW.LAN.:80", "evil.example", "[", "::ffff:192.0.2.1", "192.0.2.1:99999", ""} {
		f.Add(h)
	}
	allow := hostAllow{"preview.lan": true, "192.0.2.1": true}
	f.Fuzz(func(t *testing.T, h string) {
		if !allow.ok(h) {
			return
		}
		host := hostOnly(h)
		if ip := net.ParseIP(host); ip != nil {
			host = ip.String()
		}
		if !loopbackHost(h) && host != "preview.lan" && host != "192.0.2.1" {
			t.Fatalf("Host %q allowed (as %q)", h, host)
		}
	})
}
