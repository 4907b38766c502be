package serve

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// The debouncer makes one batch of a burst, cuts a burst that never pauses

// at max, and lets events that arrive while a batch waits join it.

// Only content counts: a touch, a chmod or a save of the same bytes is no

// change; a change, a change back, a removal and a re-creation are.

// The guard maps request paths to the report's exported files and nothing

// else.

func TestServeReportFileGuard(t *testing.T) {
	ex := reportExports{files: map[string]bool{"report.html": true}, dirs: []string{"report/"}}
	ok := map[string]string{
		"/":                     "report.html",
		"/report.html":          "report.html",
		"/report/split.csv":     "report/split.csv",
		"/report/sub/table.csv": "report/sub/table.csv",
	}
	for p, want := range ok {
		if got, served := reportFile(p, ex); !served || got != want {
			t.Errorf("%q: got %q, %v; want %q", p, got, served, want)
		}
	}
	for _, p := range []string{
		"", "report.html", "/report", "/report/", "/report//split.csv",
		"/../params.yaml", "/report/../params.yaml", "/report/../../etc/passwd", "/./report.html",
		"/report/./split.csv", "/report/..", "/report.html/..", "//etc/passwd", "/etc/passwd",
		"/params.yaml", "/params.quick.yaml", "/repro.lock", "/templates/report.md", "/go.mod",
		"/state/quick.json", "/objects/ab/cdef", "/runs/12/key", "/artifacts/report.html",
		"/report/.hidden", "/.git/config", "/report\\..\\params.yaml", "/report/a\x00.csv",
		"/REPORT.HTML", "/report.html/", "/report/split.csv/",
	} {
		if got, served := reportFile(p, ex); served {
			t.Errorf("%q is served (as %q)", p, got)
		}
	}
}

func TestServeLoopbackHost(t *testing.T) {
	for h, want := range map[string]bool{
		"localhost:8765": true, "LOCALHOST": true, "127.0.0.1:1": true, "127.1.2.3": true, "[::1]:8765": true, "::1": true,
		"example.com": false, "evil.localhost.example:8765": false, "10.0.0.1:8765": false, "0.0.0.0:8765": false, "": false,
	} {
		if got := loopbackHost(h); got != want {
			t.Errorf("loopbackHost(%q) = %v, want %v", h, got, want)
		}
	}
}

// Through the handler: the report and its tables are served, the rest of

// the store (and anything a symbolic link points to) is not, from any

// spelling of the path, and only to a loopback Host.

func TestServeHandlerServesOnlyTheReport(t *testing.T) {
	store := t.TempDir()
	files := map[string]string{
		"report.html":      "<html><body><p>the report</p></body></html>",
		"report/split.csv": "a,b\n1,2\n",
		"state/quick.json": "{}",
		"objects/ab/cd":    "secret",
		"secret.txt":       "secret",
	}
	for p, c := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(store, p)), 0o755)
		if err := os.WriteFile(filepath.Join(store, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink(filepath.Join(store, "secret.txt"), filepath.Join(store, "report", "link.csv"))
	os.Symlink("../objects/ab/cd", filepath.Join(store, "report", "up.csv"))
	os.Symlink("/etc/passwd", filepath.Join(store, "report", "passwd.csv"))

	g := pipeline.NewGraph()
	if err := g.Add(pipeline.Stage{Name: "report", Run: pipeline.Func(serveTestStage),
		Exports: map[string]string{"report.html": "report.html", "tables/": "report/"}}); err != nil {
		t.Fatal(err)
	}
	s := &serveSession{storeDir: store, hub: newHub(), quit: make(chan struct{}), p: &project.Project{Graph: g}}
	srv := httptest.NewServer(s.handler(nil))
	defer srv.Close()

	// Raw requests, so that no client cleans the path first.
	raw := func(target, host string) (int, string) {
		t.Helper()
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, host)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	host := srv.Listener.Addr().String()
	if code, body := raw("/", host); code != 200 || !strings.Contains(body, "the report") || !strings.Contains(body, `src="/_repro/live.js"`) {
		t.Errorf("/: %d %q", code, body)
	}
	if code, body := raw("/report/split.csv", host); code != 200 || body != files["report/split.csv"] {
		t.Errorf("/report/split.csv: %d %q", code, body)
	}
	for _, p := range []string{
		"/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/report/..%2f..%2fsecret.txt", "/report/%2e%2e/secret.txt",
		"/secret.txt", "/state/quick.json", "/objects/ab/cd", "/report/link.csv", "/report/up.csv", "/report/passwd.csv",
		"/report/../state/quick.json", "//secret.txt", "/report%2f..%2fsecret.txt", "/report/missing.csv",
	} {
		if code, body := raw(p, host); code != http.StatusNotFound || strings.Contains(body, "secret") || strings.Contains(body, "root:") {
			t.Errorf("%s: %d %q, want 404", p, code, body)
		}
	}
	for _, h := range []string{"evil.example", "evil.example:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:]} {
		if code, _ := raw("/", h); code != http.StatusForbidden {
			t.Errorf("Host %s: %d, want 403", h, code)
		}
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("no content security policy: %q", csp)
	}
}

func TestServeInjectLive(t *testing.T) {
	got := string(injectLive([]byte("<html><body><p>x</p></body></html>"), "abc"))
	want := `<html><body><p>x</p><script src="/_repro/live.js" data-version="abc"></script></body></html>`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if got := string(injectLive([]byte("<p>no body"), "v")); !strings.HasSuffix(got, `data-version="v"></script>`) {
		t.Errorf("without </body>: %s", got)
	}
}

// The source digest changes with any byte of a file the build reads, and

// not with tests or files of other platforms.

// The hub hands every stream the newest view, never an older one last.

func TestServeHub(t *testing.T) {
	h := newHub()
	ch, cancel := h.subscribe()
	for i := 0; i < 100; i++ {
		h.publish([]byte(fmt.Sprint(i)))
	}
	if got := string(<-ch); got != "99" {
		t.Errorf("got %s, want the newest (99)", got)
	}
	cancel()
	h.publish([]byte("x")) // no subscriber: does not block
	if h.count() != 0 {
		t.Errorf("%d streams after cancel", h.count())
	}
}
