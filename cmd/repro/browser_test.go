package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestBrowserReport opens the quick profile's report from disk in a real
// headless chromium, with networking disabled, and checks what a reader
// sees: no console errors, figures and tables numbered, captioned and
// referenced, figures drawn at a non-zero size and within the column,
// mathematics rendered, every in-page link resolving, legible light, dark,
// phone and print renderings. It saves full-page screenshots (light, dark,
// phone) to $REPRO_TEST_ARTIFACTS, by default artifacts/test/ under the
// module root.
func TestBrowserReport(t *testing.T) {
	exe := findChromium(t)
	root := moduleRoot(t)
	shots := artifactDir(t, root)
	dir := warmProject(t) // the reference run's store: its report, by a no-op run
	s := runQuick(t, dir)
	page, err := filepath.Abs(filepath.Join(dir, s.Report))
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	ev := &pageEvents{}
	ctx, chromeOut := offlineBrowser(t, exe, ev, 90*time.Second, "")
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", exe, err, chromeOut.String())
	}
	blockNetwork(ctx, t)
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(page)}).String()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("opening %s: %v", u, err)
	}
	// Wait for the web fonts (KaTeX's, from data: URIs) before measuring.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("waiting for fonts: %v", err)
	}

	check := func(scheme, name, js string) {
		t.Helper()
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string]("(() => {"+jsHelpers+"return "+js+";})()"))
		if err != nil {
			t.Fatalf("%s: %s: %v", scheme, name, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s: %s", scheme, name, p)
		}
	}
	media := func(typ string, features ...string) {
		t.Helper()
		var fs []*emulation.MediaFeature
		for i := 0; i+1 < len(features); i += 2 {
			fs = append(fs, &emulation.MediaFeature{Name: features[i], Value: features[i+1]})
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: typ, Features: fs}); err != nil {
			t.Fatalf("Emulation.setEmulatedMedia: %v", err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		p := filepath.Join(shots, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}

	// Light scheme, desktop width: the structure, then the look.
	media("", "prefers-color-scheme", "light")
	check("light", "structure", jsStructure)
	check("light", "abstract", jsAbstract)
	check("light", "downloads", jsDownloads)
	check("light", "hover", jsHover)
	check("light", "figure numbers", jsFigureNumbers)
	check("light", "figures", jsFigures)
	check("light", "tables", jsTables)
	check("light", "links", jsLinks)
	check("light", "math", jsMathKaTeX) // the repository's copy of KaTeX (third_party/katex)
	check("light", "layout", jsLayout)
	check("light", "column", jsColumn(true))
	check("light", "colours", jsColours(false))
	shot("report-screenshot.png")

	media("", "prefers-color-scheme", "dark")
	check("dark", "colours", jsColours(true))
	check("dark", "figures", jsFigures)
	shot("report-screenshot-dark.png")

	// A phone: 390 CSS pixels wide.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	media("", "prefers-color-scheme", "light")
	check("phone", "layout", jsLayout)
	check("phone", "column", jsColumn(false))
	check("phone", "figures", jsFigures)
	shot("report-screenshot-phone.png")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}

	media("print")
	check("print", "print", jsPrint)
	media("")

	for _, m := range ev.messages() {
		t.Errorf("console: %s", m)
	}
	for _, m := range ev.warningList() {
		t.Logf("console warning: %s", m)
	}
	for _, r := range ev.requests() {
		t.Errorf("the report requested %s: it must be self-contained", r)
	}

	// The guard itself: in a second tab, a page that reaches for the
	// network is seen doing so, and gets nothing.
	canary := &pageEvents{}
	cctx, cancelCanary := chromedp.NewContext(ctx, chromedp.WithListener(canary.record))
	defer cancelCanary()
	if err := chromedp.Do(cctx); err != nil {
		t.Fatal(err)
	}
	blockNetwork(cctx, t)
	cpage := filepath.Join(t.TempDir(), "canary.html")
	if err := os.WriteFile(cpage, []byte(`<img src="http://example.com/a.png" alt="">`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(cctx, chromedp.Navigate((&url.URL{Scheme: "file", Path: filepath.ToSlash(cpage)}).String())); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(cctx, chromedp.Evaluate[string](`fetch("https://example.org/").then(() => "fetched", () => "failed")`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if reqs := canary.requests(); got != "failed" || len(reqs) < 2 {
		t.Errorf("network guard: a fetch %s, requests seen %q; want failed, and both the image and the fetch seen", got, reqs)
	}
	t.Logf("browser checks took %v", time.Since(start).Round(time.Millisecond))
}

// blockNetwork makes the tab of ctx refuse every http(s) and websocket
// address (the flags already leave nothing to resolve or connect to).
func blockNetwork(ctx context.Context, t *testing.T) {
	t.Helper()
	var blocked []*network.BlockPattern
	for _, scheme := range []string{"http", "https", "ws", "wss"} {
		blocked = append(blocked, &network.BlockPattern{URLPattern: scheme + "://*:*/*", Block: true})
	}
	if _, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: blocked}); err != nil {
		t.Fatalf("Network.setBlockedURLs: %v", err)
	}
}

// findChromium returns the path of chromium-headless-shell or chromium, or
// skips the test.
func findChromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("REPRO_BROWSER"); p != "" {
		return p
	}
	// Debian's /usr/bin/chromium-headless-shell is a shell script that does
	// not exec; start the binary itself so that stopping it stops chromium.
	for _, p := range []string{"/usr/lib/chromium/chromium-headless-shell"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium found: install the Debian package chromium-headless-shell (apt-get install chromium-headless-shell) or chromium, or set REPRO_BROWSER to a chromium binary")
	return ""
}

// artifactDir is where the test's screenshots go: $REPRO_TEST_ARTIFACTS, or
// artifacts/test under the module root (ignored by git). The variable is
// hidden from the repro runs of the test, which reject unknown REPRO_
// variables.
func artifactDir(t *testing.T, root string) string {
	d, set := os.LookupEnv("REPRO_TEST_ARTIFACTS")
	if set {
		os.Unsetenv("REPRO_TEST_ARTIFACTS")
		t.Cleanup(func() { os.Setenv("REPRO_TEST_ARTIFACTS", d) })
	}
	if d == "" {
		d = filepath.Join(root, "artifacts", "test")
	}
	d, err := filepath.Abs(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// pageEvents records, from the tab's first event on, every console error,
// uncaught exception, error in the browser log and request to an address
// that is neither file: nor data:.
type pageEvents struct {
	mu       sync.Mutex
	msgs     []string
	warnings []string // logged, not failed on
	external []string
}

func (e *pageEvents) record(ev any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg := fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			e.msgs = append(e.msgs, msg)
		case runtime.ConsoleAPICalledTypeWarning:
			e.warnings = append(e.warnings, msg)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		e.msgs = append(e.msgs, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *log.EventEntryAdded:
		en := ev.Entry
		msg := fmt.Sprintf("browser log (%s): %s %s", en.Source, en.Text, en.URL)
		switch en.Level {
		case log.EntryLevelError:
			e.msgs = append(e.msgs, msg)
		case log.EntryLevelWarning:
			e.warnings = append(e.warnings, msg)
		}
	case *network.EventRequestWillBeSent:
		if u := ev.Request.URL; !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") && u != "about:blank" {
			e.external = append(e.external, u)
		}
	}
}

func (e *pageEvents) messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.msgs...)
}

func (e *pageEvents) warningList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.warnings...)
}

func (e *pageEvents) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.external...)
}

// lockedWriter keeps chromium's output, written while the test may read it.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The checks run in the page; each evaluates to a list of problems.

const jsHelpers = `
const problems = [];
const say = (...a) => problems.push(a.join(' '));
const short = (s, n = 60) => { s = (s || '').replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n) + '…' : s; };
const rgb = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const v = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return {r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1}; };
const lum = c => { const f = x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const background = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return rgb(getComputedStyle(document.documentElement).backgroundColor) || {r: 255, g: 255, b: 255, a: 1}; };
const refersTo = (id, outside) => [...document.querySelectorAll('a[href="#' + CSS.escape(id) + '"]')].filter(a => !outside.contains(a));
const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
`

// jsStructure: the title block, the numbered sections and the TOC.
const jsStructure = `(() => {
	const h1 = document.querySelectorAll('h1');
	if (h1.length !== 1) say('want one <h1> (the title), got', h1.length);
	const meta = document.querySelector('.title-block .meta');
	const keys = meta ? [...meta.querySelectorAll('dt')].map(d => d.textContent.trim()) : [];
	for (const k of ['commit', 'profile']) if (!keys.some(x => x.includes(k))) say('title block lacks', k);
	const toc = document.querySelectorAll('nav.toc a[href^="#"]');
	if (toc.length < 5) say('table of contents has', toc.length, 'links');
	const secs = [...document.querySelectorAll('main h2 .secnum')].map(s => s.textContent.trim());
	secs.forEach((n, i) => { if (n !== String(i + 1)) say('section', i + 1, 'is numbered', JSON.stringify(n)); });
	if (!document.querySelector('.footnotes, section.footnotes, [role=doc-endnotes]')) say('no footnotes');
	if (!document.getElementById('references')) say('no references section');
	return problems;
})()`

// jsFigureNumbers: every figure numbered in order, captioned and
// referenced from outside itself with the right number.
const jsFigureNumbers = `(() => {
	const figs = [...document.querySelectorAll('figure')];
	if (figs.length === 0) say('no figures');
	figs.forEach((f, i) => {
		const id = f.id || '(figure ' + (i + 1) + ' without id)';
		if (!/^fig-/.test(f.id)) say(id + ': id does not start with fig-');
		const want = 'Figure ' + (i + 1);
		const cap = f.querySelector('figcaption');
		if (!cap || !cap.textContent.trim().startsWith(want + ':')) say(id + ': caption', JSON.stringify(short(cap && cap.textContent)), 'does not start with', JSON.stringify(want + ':'));
		const refs = refersTo(f.id, f);
		if (refs.length === 0) say(id + ': never referenced');
		refs.filter(a => a.textContent.trim() !== want).forEach(a => say(id + ': a reference reads', JSON.stringify(a.textContent.trim()), 'not', JSON.stringify(want)));
	});
	return problems;
})()`

// jsFigures: every figure's SVG/img drawn at a non-zero size inside its
// column, with alt text.
const jsFigures = `(() => {
	document.querySelectorAll('figure').forEach((f, i) => {
		const id = f.id || '(figure ' + (i + 1) + ')';
		const media = [...f.querySelectorAll('img, svg')].filter(m => !m.parentElement.closest('svg'));
		if (media.length === 0) say(id + ': no <img> or <svg>');
		const body = f.querySelector('.figure-body') || f;
		const box = body.getBoundingClientRect();
		// A figure never shrinks below one pixel per SVG unit: where it is
		// wider than the screen, its body scrolls sideways, with a hint.
		const scrolls = ['auto', 'scroll'].includes(getComputedStyle(body).overflowX);
		for (const m of media) {
			const r = m.getBoundingClientRect();
			if (r.width < 1 || r.height < 1) say(id + ': <' + m.localName + '> renders at', r.width + 'x' + r.height);
			if (r.width > 0 && !scrolls && (r.left < box.left - 1 || r.right > box.right + 1)) say(id + ': <' + m.localName + '> (' + Math.round(r.width) + 'px) overflows its figure (' + Math.round(box.width) + 'px)');
			if (scrolls && body.scrollWidth > body.clientWidth + 1) {
				const hint = f.querySelector('.scroll-hint');
				if (!hint || getComputedStyle(hint).display === 'none') say(id + ': scrolls sideways (' + body.scrollWidth + 'px in ' + body.clientWidth + 'px) without a visible hint');
			}
			if (m.localName === 'svg') {
				// No 9-point label (a tick label) drawn under 9 px.
				const vb = m.viewBox && m.viewBox.baseVal;
				const scale = vb && vb.width > 0 ? r.width / vb.width : 1;
				let small = 0, worst = 99;
				for (const t of m.querySelectorAll('text')) {
					const fs = parseFloat((t.getAttribute('style') || '').replace(/.*font-size:\s*([\d.]+)px.*/, '$1'));
					if (fs >= 9 && fs * scale < 8.95) { small++; worst = Math.min(worst, fs * scale); }
				}
				if (small > 0) say(id + ':', small, 'labels of 9 points or more drawn under 9 px (smallest', worst.toFixed(1) + ' px)');
			}
			if (m.localName === 'img' && !(m.complete && m.naturalWidth > 0)) say(id + ': <img> did not decode');
			const alt = m.localName === 'img' ? m.getAttribute('alt') : (m.getAttribute('aria-label') || (m.querySelector('title') || {}).textContent);
			if (!alt || !alt.trim()) say(id + ': no alt text');
		}
	});
	for (const img of document.images) if (!(img.complete && img.naturalWidth > 0)) say('an <img> did not load:', short(img.src, 80));
	return problems;
})()`

// jsAbstract: the report opens with an abstract filled from the results
// and a key-results table beside the study's published numbers.
const jsAbstract = `(() => {
	const h = document.getElementById('abstract');
	if (!h) { say('no #abstract heading'); return problems; }
	const first = [...document.querySelectorAll('main h2')][0];
	if (first !== h) say('the first section is', JSON.stringify(first && first.textContent), 'not the abstract');
	let p = h.nextElementSibling;
	while (p && p.localName !== 'p') p = p.nextElementSibling;
	const text = p ? p.textContent : '';
	if (text.length < 400) say('the abstract is', text.length, 'characters long');
	if ((text.match(/±|\[-?[\d.]+,\s*-?[\d.]+\]/g) || []).length < 3) say('the abstract quotes fewer than three results with their spread or 95 % interval:', short(text, 120));
	if (!/published/.test(text)) say('the abstract does not set the study\'s published numbers beside ours');
	const t = document.getElementById('tbl-key-results');
	if (!t) { say('no key-results table (#tbl-key-results)'); return problems; }
	if (t.compareDocumentPosition(document.getElementById('introduction') || document.body) & Node.DOCUMENT_POSITION_PRECEDING) say('the key-results table comes after the introduction');
	const rows = [...t.querySelectorAll('tbody tr')];
	if (rows.length < 6) say('the key-results table has', rows.length, 'rows');
	const data = new Set(rows.map(r => r.cells[0].textContent.trim()));
	for (const d of ['terrain', 'digits']) if (!data.has(d)) say('the key-results table has no', d, 'row');
	if (!rows.some(r => /published/.test(r.textContent))) say('the key-results table quotes no published number');
	if (!rows.some(r => /±/.test(r.textContent))) say('the key-results table has no mean ± sd');
	return problems;
})()`

// jsDownloads: every figure's caption offers the figure (SVG) and the CSV
// of its data, embedded in the page.
const jsDownloads = `(() => {
	document.querySelectorAll('figure').forEach((f, i) => {
		const id = f.id || '(figure ' + (i + 1) + ')';
		const cap = f.querySelector('figcaption');
		const svg = cap && cap.querySelector('a.dl-figure');
		const csv = cap && cap.querySelector('a.dl-data');
		if (!svg) { say(id + ': no figure download in the caption'); return; }
		if (!csv) say(id + ': no data (CSV) download in the caption');
		const m = /^data:image\/svg\+xml;base64,(.*)$/.exec(svg.getAttribute('href') || '');
		if (!m) say(id + ': the figure download is not an embedded SVG');
		else {
			const doc = new DOMParser().parseFromString(atob(m[1]), 'image/svg+xml');
			if (doc.documentElement.localName !== 'svg' || doc.querySelector('parsererror')) say(id + ': the downloaded SVG does not parse');
		}
		if (!/\.svg$/.test(svg.getAttribute('download') || '')) say(id + ': the figure download is not named .svg');
		if (csv) {
			const c = /^data:text\/csv;charset=utf-8;base64,(.*)$/.exec(csv.getAttribute('href') || '');
			const lines = c ? atob(c[1]).trim().split('\n') : [];
			if (lines.length < 2 || lines[0].split(',').length < 2) say(id + ': the CSV has', lines.length, 'lines; header', JSON.stringify(lines[0]));
			if (!/\.csv$/.test(csv.getAttribute('download') || '')) say(id + ': the data download is not named .csv');
		}
	});
	return problems;
})()`

// jsHover: heat-map cells and curve points carry their values as SVG
// <title> elements (tooltips without a script).
const jsHover = `(() => {
	const titles = (id, sel) => [...document.querySelectorAll('#' + id + ' g.hover ' + sel + ' > title')].map(t => t.textContent);
	for (const id of ['fig-nn-terrain-heat', 'fig-nn-digits-heat-relu', 'fig-confusion']) {
		const ts = titles(id, 'rect');
		if (ts.length < 4) say(id + ':', ts.length, 'heat-map cells with a hover title');
		else if (!ts.some(t => /\d/.test(t))) say(id + ': hover titles hold no value:', JSON.stringify(ts[0]));
	}
	for (const id of ['fig-sgd-grid', 'fig-nn-terrain-curves', 'fig-digits-curves']) {
		const ts = titles(id, 'circle');
		if (ts.length < 4) say(id + ':', ts.length, 'curve points with a hover title');
		else if (!ts.some(t => /mean = /.test(t))) say(id + ': hover titles hold no value:', JSON.stringify(ts[0]));
	}
	// The hover shapes must receive the pointer: no fill of none.
	const r = document.querySelector('g.hover rect, g.hover circle');
	if (r && getComputedStyle(r).pointerEvents === 'none') say('hover shapes do not receive the pointer');
	return problems;
})()`

// jsTables: every table numbered in order, captioned, referenced, numbers
// right-aligned in tabular figures.
const jsTables = `(() => {
	// The run's provenance (module versions, stage timings) is filled in
	// at export, after numbering: appendix listings, not numbered tables.
	const tables = [...document.querySelectorAll('main table')].filter(t => !t.closest('#run-provenance'));
	if (tables.length === 0) say('no tables');
	const number = /^[-+−]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+−]?\d+)?(%| ?× ?10\S*)?( ?± ?[\d.,eE+−-]+%?)?$/;
	tables.forEach((tb, i) => {
		const id = tb.id || '(table ' + (i + 1) + ' without id)';
		const want = 'Table ' + (i + 1);
		const cap = tb.querySelector('caption');
		if (!cap || !cap.textContent.trim().startsWith(want + ':')) say(id + ': caption', JSON.stringify(short(cap && cap.textContent)), 'does not start with', JSON.stringify(want + ':'));
		if (!/^tbl-/.test(tb.id)) { say(id + ': no tbl- id, so it cannot be referenced'); return; }
		const refs = refersTo(tb.id, tb);
		if (refs.length === 0) say(id + ': never referenced');
		refs.filter(a => a.textContent.trim() !== want).forEach(a => say(id + ': a reference reads', JSON.stringify(a.textContent.trim()), 'not', JSON.stringify(want)));
		if (!/tabular-nums/.test(getComputedStyle(tb).fontVariantNumeric)) say(id + ': numbers not in tabular figures');
		let bad = 0, first = '';
		for (const td of tb.querySelectorAll('tbody td')) {
			const s = td.textContent.trim();
			if (number.test(s) && !['right', 'end'].includes(getComputedStyle(td).textAlign)) { bad++; first = first || s; }
		}
		if (bad) say(id + ':', bad, 'numeric cells not right-aligned, e.g.', JSON.stringify(first));
	});
	return problems;
})()`

// jsLinks: every in-page link (TOC, cross-references, footnotes) resolves;
// a TOC entry reads like its heading.
const jsLinks = `(() => {
	for (const a of document.querySelectorAll('a[href^="#"]')) {
		const id = decodeURIComponent(a.getAttribute('href').slice(1));
		const el = document.getElementById(id);
		if (!el) { say('link', JSON.stringify(short(a.textContent, 30)), 'to #' + id, 'resolves to nothing'); continue; }
		if (a.closest('nav.toc')) {
			const norm = s => s.replace(/\s+/g, ' ').trim();
			if (!/^H[2-6]$/.test(el.tagName)) say('TOC entry #' + id, 'is a <' + el.localName + '>, not a heading');
			else if (norm(el.textContent) !== norm(a.textContent)) say('TOC entry', JSON.stringify(norm(a.textContent)), 'but the heading reads', JSON.stringify(norm(el.textContent)));
		}
	}
	return problems;
})()`

// jsMathKaTeX: math rendered by KaTeX, fonts loaded, no TeX left over.
const jsMathKaTeX = `(() => {
	const k = document.querySelectorAll('.katex');
	if (k.length === 0) say('no KaTeX output in the page');
	document.querySelectorAll('.katex-error').forEach(e => say('KaTeX error:', short(e.getAttribute('title') || e.textContent)));
	document.querySelectorAll('code.math, pre.math').forEach(e => say('math shown as TeX source:', short(e.textContent)));
	let zero = 0;
	for (const e of k) if (!e.closest('.katex-display') && !visible(e.querySelector('.katex-html') || e)) zero++;
	for (const e of document.querySelectorAll('.katex-display')) if (!visible(e)) zero++;
	if (zero) say(zero, 'formulas render at zero size');
	const fonts = [...document.fonts].filter(f => /KaTeX/.test(f.family));
	if (!fonts.some(f => f.status === 'loaded' && /KaTeX_(Main|Math)/.test(f.family))) say('KaTeX fonts not loaded (statuses:', [...new Set(fonts.map(f => f.status))].join(','), ')');
	fonts.filter(f => f.status === 'error').forEach(f => say('font failed to load:', f.family));
	const text = document.querySelector('main').innerText;
	if (text.includes('$$')) say('raw $$ in the text near', JSON.stringify(short(text.slice(Math.max(0, text.indexOf('$$') - 30)), 80)));
	const inline = text.match(/\$[^\s$][^$\n]{0,80}[^\s$\\]\$(?!\d)/);
	if (inline) say('raw inline math in the text:', JSON.stringify(inline[0]));
	return problems;
})()`

// jsLayout: nothing makes the page scroll sideways; prose keeps a readable
// measure; figures stay within the viewport.
const jsLayout = `(() => {
	const vw = document.documentElement.clientWidth;
	const sw = document.documentElement.scrollWidth;
	if (sw > vw + 1) {
		const out = e => e.getBoundingClientRect().right > vw + 1;
		const name = e => e.localName + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '');
		const clipped = e => { for (let a = e.parentElement; a; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return a !== document.documentElement && a !== document.body; return false; };
		const wide = [...document.body.querySelectorAll('*')].filter(e => out(e) && !clipped(e) && !e.closest('svg')).map(e => name(e.parentElement) + ' > ' + name(e) + ' ' + JSON.stringify(short(e.textContent, 30)));
		say('the page scrolls sideways:', sw, '>', vw, 'px; too wide:', wide.slice(0, 5).join(', '));
	}
	const p = document.querySelector('main > p');
	if (p) {
		const fs = parseFloat(getComputedStyle(p).fontSize);
		const chars = p.getBoundingClientRect().width / (fs * 0.5);
		if (chars > 95) say('prose lines are about', Math.round(chars), 'characters long');
		if (fs < 15) say('body text is', fs, 'px');
	}
	for (const f of document.querySelectorAll('figure')) {
		const r = f.getBoundingClientRect();
		if (r.right > vw + 1) say(f.id + ': figure extends past the viewport');
	}
	// A caption must not be cut off by the scrolling box of a wide table.
	for (const c of document.querySelectorAll('caption')) {
		const box = c.closest('.table-wrap, details, section, main');
		const cr = c.getBoundingClientRect(), br = box.getBoundingClientRect();
		if (getComputedStyle(box).overflowX !== 'visible' && cr.right > br.right + 1) say('caption', JSON.stringify(short(c.textContent, 30)), 'is cut off on the right (' + Math.round(cr.width) + 'px in', Math.round(br.width) + 'px)');
	}
	return problems;
})()`

// jsColumn: on a desktop screen (1280 px), no figure, table, listing or
// equation spills past the text column (main), not even inside a box that
// scrolls; at any width, an equation wider than its box wraps or scrolls
// inside it, with nothing cut off.
func jsColumn(desktop bool) string {
	return fmt.Sprintf(`(() => {
	const desktop = %t;
	const col = document.querySelector('main').getBoundingClientRect();
	const name = e => e.localName + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '');
	const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
	// The nearest ancestor (or e) that clips sideways, below main.
	const clipper = e => { for (let a = e; a && a.localName !== 'main'; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return a; return null; };
	for (const e of desktop ? document.querySelectorAll('main figure, main .table-wrap, main table, main details, main pre, main .math-display, main .katex-display, main img, main svg.figure-svg, main p, main ul, main ol') : []) {
		const r = e.getBoundingClientRect();
		if (r.width === 0) continue;
		if (r.right > col.right + 1 || r.left < col.left - 1) say(name(e), JSON.stringify(short(e.textContent, 30)), 'spills past the text column:', Math.round(r.left), '-', Math.round(r.right), 'px, column', Math.round(col.left), '-', Math.round(col.right));
	}
	for (const k of document.querySelectorAll('main .katex')) {
		const box = clipper(k.parentElement);
		const r = k.getBoundingClientRect();
		if (!box) {
			if (r.right > col.right + 1) say('formula', JSON.stringify(short(k.textContent, 30)), 'spills past the text column by', Math.round(r.right - col.right), 'px');
			continue;
		}
		const b = box.getBoundingClientRect();
		if (r.right > b.right + 1 && !scrolls(box)) say('formula', JSON.stringify(short(k.textContent, 30)), 'is cut off by', name(box), '(' + Math.round(r.right - b.right) + 'px hidden, overflow-x', getComputedStyle(box).overflowX + ')');
	}
	for (const m of document.querySelectorAll('main .math-display')) {
		if (m.scrollWidth > m.clientWidth + 1 && !scrolls(m)) say('display formula', JSON.stringify(short(m.textContent, 30)), 'is wider than its box and does not scroll');
		if (desktop && m.scrollWidth > m.clientWidth + 1) say('display formula', JSON.stringify(short(m.textContent, 30)), 'needs scrolling at this width (' + m.scrollWidth + ' px in ' + m.clientWidth + ')');
	}
	return problems;
})()`, desktop)
}

// jsColours: text is legible and, in the dark scheme, the page is dark but
// figures keep a light background.
func jsColours(dark bool) string {
	return fmt.Sprintf(`(() => {
	const dark = %t;
	if (matchMedia('(prefers-color-scheme: dark)').matches !== dark) say('prefers-color-scheme emulation did not apply');
	const page = background(document.body);
	if (dark !== (lum(page) < 0.2)) say('page background', getComputedStyle(document.documentElement).backgroundColor, dark ? 'is not dark' : 'is dark');
	const sel = ['main > p', 'figcaption', 'caption', 'tbody td', 'thead th', 'nav.toc a', '.meta dd', 'h2', 'h3', 'a.xref', '.footnotes li', 'code'];
	for (const s of sel) {
		const els = [...document.querySelectorAll(s)].slice(0, 20);
		for (const e of els) {
			const c = contrast(rgb(getComputedStyle(e).color), background(e));
			if (c < 4.5) { say(s, JSON.stringify(short(e.textContent, 30)), 'contrast', c.toFixed(2), '< 4.5'); break; }
		}
	}
	for (const f of document.querySelectorAll('figure')) {
		const body = f.querySelector('.figure-body') || f;
		const bg = background(body);
		if (lum(bg) < 0.8) say(f.id + ': figure background', getComputedStyle(body).backgroundColor, 'is not light: the plot would be illegible');
	}
	for (const k of [...document.querySelectorAll('.katex')].slice(0, 20)) {
		const c = contrast(rgb(getComputedStyle(k).color), background(k));
		if (c < 4.5) { say('math contrast', c.toFixed(2)); break; }
	}
	return problems;
})()`, dark)
}

// jsPrint: the print stylesheet applies: no TOC, dark text on white,
// figures still drawn.
const jsPrint = `(() => {
	if (!matchMedia('print').matches) say('print emulation did not apply');
	const toc = document.querySelector('nav.toc');
	if (toc && getComputedStyle(toc).display !== 'none') say('the table of contents is printed');
	const c = rgb(getComputedStyle(document.querySelector('main p')).color);
	if (lum(c) > 0.1) say('printed text is not dark:', getComputedStyle(document.querySelector('main p')).color);
	if (lum(background(document.body)) < 0.9) say('printed page background is not white');
	for (const d of document.querySelectorAll('details:not([open])')) {
		const body = d.querySelector('summary ~ *');
		if (body && !body.checkVisibility()) say('collapsed', JSON.stringify(short(d.querySelector('summary').textContent, 40)), 'is not printed');
	}
	for (const f of document.querySelectorAll('figure')) for (const m of f.querySelectorAll('img, svg')) {
		if (!m.parentElement.closest('svg') && !visible(m)) say(f.id + ': not drawn in print');
	}
	return problems;
})()`

// offlineBrowser starts exe headless at 1280 x 900 with no network: no name
// resolves (but allow, if set, an address the test serves on), everything
// else goes to a proxy that does not exist, and the browser's own
// background traffic is off. It records page events in ev; the browser
// stops when the test ends or after timeout.
func offlineBrowser(t testing.TB, exe string, ev *pageEvents, timeout time.Duration, allow string) (context.Context, *lockedWriter) {
	t.Helper()
	chromeOut := &lockedWriter{}
	resolver, bypass := "MAP * ~NOTFOUND", "<-loopback>"
	if allow != "" {
		resolver, bypass = "MAP * ~NOTFOUND, EXCLUDE "+allow, allow
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(chromeOut),
		chromedp.Flag("host-resolver-rules", resolver),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", bypass),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithListener(ev.record))
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx, chromeOut
}
