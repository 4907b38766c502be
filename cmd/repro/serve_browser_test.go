package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// serveRecorderJS runs in every document of the test's tab before the
// page's own scripts: it records, in sessionStorage (which survives the
// reloads), each change of what the live script shows: the phase, whether
// the progress bar is visible, and the running stages.
const serveRecorderJS = `(() => {
	const key = 'repro-test-seen';
	const seen = () => { try { return JSON.parse(sessionStorage.getItem(key) || '[]'); } catch (e) { return []; } };
	setInterval(() => {
		const h = document.getElementById('repro-live');
		if (!h || !h.shadowRoot) return;
		const bar = h.shadowRoot.querySelector('.bar');
		const s = [h.dataset.phase, bar && bar.classList.contains('on') && getComputedStyle(bar).display !== 'none' ? 'bar' : '', h.dataset.running || ''].join('|');
		const a = seen();
		if (a[a.length - 1] !== s) { a.push(s); sessionStorage.setItem(key, JSON.stringify(a)); }
	}, 5);
})()`

// TestServeBrowser drives repro serve of the quick profile in a real
// headless chromium, offline: a template edit shows its new sentence
// without the reader losing their place; a parameter edit shows the
// progress bar and the running stages, then the new number; a broken
// template shows the error over the last good report, and the fix takes it
// away; paths outside the report are 404; /status shows the stages by
// family and the session's runs. Screenshots go to $REPRO_TEST_ARTIFACTS
// (default artifacts/test/).
func TestServeBrowser(t *testing.T) {
	exe := findChromium(t)
	shots := artifactDir(t, moduleRoot(t))
	dir := warmProject(t)
	sp := startServe(t, dir, "--profile", "quick")
	sp.waitRuns(t, 1, 2*time.Minute)

	ev := &pageEvents{}
	// Offline but for the server's address.
	ctx, chromeOut := offlineBrowser(t, exe, ev, 6*time.Minute, "127.0.0.1")
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", exe, err, chromeOut.String())
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: serveRecorderJS}); err != nil {
		t.Fatalf("Page.addScriptToEvaluateOnNewDocument: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(sp.url)); err != nil {
		t.Fatalf("opening %s: %v", sp.url, err)
	}

	eval := func(js string, out any) {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if out != nil {
			if err := json.Unmarshal(v, out); err != nil {
				t.Fatalf("%s: %s: %v", js, v, err)
			}
		}
	}
	// waitJS polls a page expression until it is true; the page may
	// reload meanwhile.
	waitJS := func(what, js string, limit time.Duration) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+js+`); } catch (e) { return false; } })()`)); err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				phase, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById('repro-live') || {dataset: {}}).dataset.phase || 'none'`))
				t.Fatalf("%s: not after %v (page phase %q)", what, limit, phase)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		p := filepath.Join(shots, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	const live = `document.getElementById('repro-live')`
	waitJS("the live script connected", live+`.dataset.phase === 'idle'`, 30*time.Second)
	sessionReset := `sessionStorage.setItem('repro-test-seen', '[]')`

	// 1. A template edit: the new sentence appears, at the same place.
	// The report's own script (the provenance popover) runs in the page:
	// hovering a number shows the popover, which the update must keep
	// (the script holds the element) and the script go on working.
	var hovered bool
	eval(`(() => { const n = document.querySelector('main [data-prov]'); if (!n) return false; n.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); const p = document.getElementById('prov-pop'); return !!p && !p.hidden && p.textContent !== ''; })()`, &hovered)
	if !hovered {
		t.Error("before the edit: hovering a number does not show its provenance popover")
	}
	var anchorTop float64
	eval(`(() => { const h = document.getElementById('sec-data'); h.scrollIntoView(); window.scrollBy(0, -120); window.__beforeEdit = true; return h.getBoundingClientRect().top; })()`, &anchorTop)
	t0 := time.Now()
	editFile(t, dir, "templates/report.md", "This report regenerates, checks and extends", "This report, edited while served, regenerates, checks and extends")
	waitJS("the edited sentence", `document.querySelector('main').innerText.includes('edited while served')`, time.Minute)
	t.Logf("template edit to new sentence in the browser: %v", time.Since(t0).Round(time.Millisecond))
	var inPlace bool
	eval(`window.__beforeEdit === true && `+live+`.dataset.updates === '1'`, &inPlace)
	if !inPlace {
		t.Error("the page was not updated in place (it reloaded, or updated more than once)")
	}
	eval(`(() => { const ns = document.querySelectorAll('main [data-prov]'), n = ns[ns.length - 1]; n.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); const p = document.getElementById('prov-pop'); return !p.hidden && p.textContent !== '' && document.querySelectorAll('#prov-pop').length === 1; })()`, &hovered)
	if !hovered {
		t.Error("after the update in place: hovering a number does not show its provenance popover")
	}
	waitJS("the scroll position kept", `Math.abs(document.getElementById('sec-data').getBoundingClientRect().top - (`+jsNum(anchorTop)+`)) < 40`, 10*time.Second)

	// 1b. A style sheet edit changes the page's head: it reloads, at the
	// same place.
	eval(`(() => { document.getElementById('sec-data').scrollIntoView(); window.scrollBy(0, -120); window.__beforeCSS = true; return document.getElementById('sec-data').getBoundingClientRect().top; })()`, &anchorTop)
	appendFile(t, dir, "templates/style.css", "\n.repro-test-edit { color: inherit; }\n")
	waitJS("the new style sheet", `window.__beforeCSS === undefined && [...document.querySelectorAll('style')].some(s => s.textContent.includes('.repro-test-edit'))`, time.Minute)
	waitJS("the scroll position restored", `Math.abs(document.getElementById('sec-data').getBoundingClientRect().top - (`+jsNum(anchorTop)+`)) < 40`, 10*time.Second)

	// 2. A parameter edit: the progress bar and the running stages, then
	// the new number.
	eval(sessionReset+`, true`, nil)
	editFile(t, dir, "params.quick.yaml", "  degree: 5\n", "  degree: 4\n")
	waitJS("the new degree", `[...document.querySelectorAll('annotation')].some(a => a.textContent.replace(/\s+/g, '') === 'p=4')`, 3*time.Minute)
	var seen []string
	eval(`JSON.parse(sessionStorage.getItem('repro-test-seen') || '[]')`, &seen)
	sawBar, sawStage := false, false
	for _, s := range seen {
		f := strings.SplitN(s, "|", 3)
		if len(f) == 3 && f[0] == "running" && f[1] == "bar" {
			sawBar = true
			if f[2] != "" {
				sawStage = true
			}
		}
	}
	if !sawBar || !sawStage {
		t.Errorf("during the parameter run the page showed %q; want the progress bar with running stages", seen)
	}

	// 3. A broken template: the error over the last good report.
	editFile(t, dir, "templates/report.md", "This report, edited while served,", "This report, {{.NoSuchField}} edited while served,")
	waitJS("the error overlay", live+`.dataset.error === 'report' && getComputedStyle(`+live+`.shadowRoot.querySelector('.overlay')).display !== 'none'`, time.Minute)
	var overlay string
	eval(live+`.shadowRoot.querySelector('.overlay').innerText`, &overlay)
	if !strings.Contains(overlay, "NoSuchField") || !strings.Contains(overlay, "report") {
		t.Errorf("the overlay reads %q; want the stage and its error", overlay)
	}
	var readable bool
	eval(`document.querySelector('main').innerText.includes('edited while served') && `+live+`.shadowRoot.querySelector('.overlay').getBoundingClientRect().height < innerHeight * 0.5`, &readable)
	if !readable {
		t.Error("the last good report is not readable under the overlay")
	}
	shot("serve-overlay.png")
	editFile(t, dir, "templates/report.md", "This report, {{.NoSuchField}} edited while served,", "This report, edited while served,")
	waitJS("the overlay gone", live+`.dataset.error === '' && getComputedStyle(`+live+`.shadowRoot.querySelector('.overlay')).display === 'none'`, time.Minute)
	waitJS("the report still there", `document.querySelector('main').innerText.includes('edited while served')`, 10*time.Second)

	// 4. /status: the stages by family, coloured by state, with their
	// reasons, and this session's runs.
	if err := chromedp.Do(ctx, chromedp.Navigate(sp.url+"status")); err != nil {
		t.Fatal(err)
	}
	waitJS("the status page", `document.querySelectorAll('section.family').length >= 5 && document.querySelectorAll('#history tbody tr').length >= 4`, 30*time.Second)
	var st struct {
		Families []string
		States   map[string]int
		Titled   bool
		Colours  int
		Runs     int
		Failed   bool
	}
	eval(`(() => {
		const chips = [...document.querySelectorAll('.st[data-stage]')];
		const states = {};
		chips.forEach(c => states[c.dataset.state] = (states[c.dataset.state] || 0) + 1);
		const colours = new Set(['fresh', 'may-rerun', 'stale', 'running', 'failed'].map(s => { const e = document.querySelector('.legend .st.' + s); return getComputedStyle(e).backgroundColor; }));
		return {families: [...document.querySelectorAll('section.family')].map(s => s.dataset.family), states,
			titled: chips.every(c => c.title.startsWith(c.dataset.stage + ': ' + c.dataset.state)),
			colours: colours.size, runs: document.querySelectorAll('#history tbody tr').length,
			failed: [...document.querySelectorAll('#history tbody td')].some(td => td.textContent.includes('report'))};
	})()`, &st)
	for _, f := range []string{"terrain", "digits", "linear", "neural", "figures", "report"} {
		if !strings.Contains(strings.Join(st.Families, " "), f) {
			t.Errorf("/status: no family %s (families %v)", f, st.Families)
		}
	}
	if !st.Titled || st.Colours != 5 || st.Runs < 4 || st.States["fresh"] == 0 {
		t.Errorf("/status: %+v", st)
	}
	shot("serve-status.png")

	for _, m := range ev.messages() {
		t.Errorf("console: %s", m)
	}

	// 5. Nothing outside the report: the project's files, the rest of the
	// store, however the path is spelled.
	codes, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](`(async () => {
		const out = {};
		for (const p of ['/params.quick.yaml', '/templates/report.md', '/repro.quick.lock', '/state/quick.json', '/objects', '/report/../params.yaml', '/%2e%2e/params.yaml', '/report/%2e%2e/%2e%2e/go.mod', '/report/split.csv', '/report.html']) {
			out[p] = (await fetch(p)).status;
		}
		return out;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for p, code := range codes {
		want := 404
		if p == "/report/split.csv" || p == "/report.html" {
			want = 200
		}
		if code != want {
			t.Errorf("GET %s: %d, want %d", p, code, want)
		}
	}
	b, _ := json.Marshal(codes)
	t.Logf("status codes: %s", b)
}

func jsNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
