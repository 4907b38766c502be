package serve

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReportCSP: the served report may run its own inline scripts (the
// number-provenance popover of templates/layout.html), each allowed by the
// hash of its text, and nothing else inline.
func TestReportCSP(t *testing.T) {
	layout, err := os.ReadFile("../templates/layout.html")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindSubmatch(layout)
	if m == nil {
		t.Skip("the layout has no inline script")
	}
	sum := sha256.Sum256(m[1])
	want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	csp := reportCSP(layout)
	if !strings.Contains(csp, "script-src 'self' "+want) {
		t.Errorf("CSP %q does not allow the layout's script (%s)", csp, want)
	}
	if strings.Contains(csp, "unsafe-inline'; connect") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("CSP %q allows any inline script", csp)
	}
	if got := reportCSP([]byte(`<p>no script</p><script src="/_repro/live.js"></script>`)); got != serveCSP {
		t.Errorf("a page without inline scripts: %q, want serveCSP", got)
	}
}
