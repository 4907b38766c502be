package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns a headless chromium, or skips the test (as
// cmd/repro's browser test finds it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("REPRO_BROWSER"); p != "" {
		return p
	}
	if st, err := os.Stat("/usr/lib/chromium/chromium-headless-shell"); err == nil && st.Mode()&0o111 != 0 {
		return "/usr/lib/chromium/chromium-headless-shell"
	}
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium found (apt-get install chromium-headless-shell, or set REPRO_BROWSER)")
	return ""
}

// TestProvenancePopoverInBrowser renders marked numbers with the project's
// layout and style sheet in headless chromium, offline, and checks that a
// reader sees each number's provenance: hovering a number in the prose,
// tapping a number in a table (it stays until tapped again), and focusing a
// figure's caption link from the keyboard.
func TestProvenancePopoverInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := chromium(t)
	d := provFixture(t)
	d.Layout = readFile(t, "../templates/layout.html")
	d.CSS = readFile(t, "../templates/style.css")
	page, _, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(420, 800), // a phone's width
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"), chromedp.Flag("proxy-server", "http://127.0.0.1:9"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()

	centerOf := func(sel string) [2]float64 {
		t.Helper()
		c, err := chromedp.Run(ctx, chromedp.Evaluate[[2]float64](`(() => { const e = document.querySelector('`+sel+`'); e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2]; })()`))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	popover := func() (hidden bool, text string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Sleep(50*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		st, err := chromedp.Run(ctx, chromedp.Evaluate[[2]any](`[document.getElementById("prov-pop").hidden, document.getElementById("prov-pop").textContent]`))
		if err != nil {
			t.Fatal(err)
		}
		return st[0].(bool), st[1].(string)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	// Hover a number in the prose.
	c := centerOf(`[data-prov="n1"]`)
	if err := chromedp.Do(ctx, chromedp.MouseEvent("mouseMoved", c[0], c[1])); err != nil {
		t.Fatal(err)
	}
	if hidden, shown := popover(); hidden || !strings.Contains(shown, "stage a") || !strings.Contains(shown, "field B") {
		t.Errorf("hovering n1: popover hidden=%v text %q, want its provenance", hidden, shown)
	}
	// Tap a number in a table, while another is pinned: shown, and still
	// shown after the pointer moves away; a second tap hides it.
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(c[0], c[1])); err != nil {
		t.Fatal(err)
	}
	if hidden, shown := popover(); hidden || !strings.Contains(shown, "stage a") {
		t.Errorf("tapping n1: popover hidden=%v text %q, want its provenance", hidden, shown)
	}
	c = centerOf(`[data-prov="n4"]`)
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(c[0], c[1]), chromedp.MouseEvent("mouseMoved", 1, 1)); err != nil {
		t.Fatal(err)
	}
	if hidden, shown := popover(); hidden || shown != "stage d" {
		t.Errorf("tapping n4: popover hidden=%v text %q, want stage d, pinned", hidden, shown)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(c[0], c[1])); err != nil {
		t.Fatal(err)
	}
	if hidden, _ := popover(); !hidden {
		t.Errorf("a second tap on n4 leaves the popover shown")
	}
	// Focus the figure's caption link from the keyboard.
	if err := chromedp.Do(ctx, chromedp.Focus(`a[data-prov="fig:loss"]`)); err != nil {
		t.Fatal(err)
	}
	if hidden, shown := popover(); hidden || !strings.Contains(shown, "stage figures/loss") {
		t.Errorf("focusing the figure link: popover hidden=%v text %q, want the figure's provenance", hidden, shown)
	}
	// The native tooltip does not double the popover: the title moved to
	// data-title once shown.
	titles, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-prov="n1"][title]').length`))
	if err != nil {
		t.Fatal(err)
	}
	if titles != 0 {
		t.Errorf("n1 keeps its title after its popover was shown")
	}
}
