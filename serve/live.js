// The live part of a page served by `repro serve`: it follows the server's
// event stream, shows a thin progress bar and the running stages while a
// run goes on, shows a failed stage's error over the last good report, and
// updates the page in place when the report changed (or reloads it when
// its head changed), at the place the reader was.
(function () {
	'use strict';
	var script = document.currentScript;
	var loaded = script ? script.getAttribute('data-version') || '' : '';
	var key = 'repro-serve-scroll:' + location.pathname;

	// Where the reader is: the last element with an id above the top of
	// the window, and how far above it is. Restoring by element, not by
	// pixels, keeps the place when text above it grew or shrank.
	function place() {
		var anchor = '', offset = 0, els = document.querySelectorAll('main [id], h1[id], h2[id], h3[id]');
		for (var i = 0; i < els.length; i++) {
			var top = els[i].getBoundingClientRect().top;
			if (top > 1) break;
			anchor = els[i].id;
			offset = top;
		}
		return {y: window.scrollY, anchor: anchor, offset: offset};
	}
	function restore(p) {
		var el = p.anchor ? document.getElementById(p.anchor) : null;
		var y = el ? el.getBoundingClientRect().top + window.scrollY - p.offset : p.y;
		window.scrollTo(0, Math.max(0, y));
	}
	try {
		var saved = JSON.parse(sessionStorage.getItem(key) || 'null');
		sessionStorage.removeItem(key);
		if (saved) {
			if ('scrollRestoration' in history) history.scrollRestoration = 'manual';
			restore(saved);
			// Fonts and figures may move things once they are laid out.
			if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { restore(saved); });
			window.addEventListener('load', function () { restore(saved); });
		}
	} catch (e) { /* no storage: reload at the top */ }

	var host = document.createElement('div');
	host.id = 'repro-live';
	host.setAttribute('data-phase', 'idle');
	var root = host.attachShadow ? host.attachShadow({mode: 'open'}) : host;
	root.innerHTML =
		'<style>' +
		':host{all:initial}' +
		'.bar{position:fixed;top:0;left:0;height:3px;width:0;background:#1a73e8;z-index:2147483647;transition:width .2s ease;display:none}' +
		'.bar.on{display:block}' +
		'.bar.busy{width:30%;animation:slide 1.2s ease-in-out infinite}' +
		'@keyframes slide{0%{left:-30%}100%{left:100%}}' +
		'.pill{position:fixed;top:10px;right:10px;max-width:min(32em,80vw);font:13px/1.4 system-ui,sans-serif;color:#fff;background:rgba(20,30,45,.92);' +
		'padding:6px 10px;border-radius:6px;z-index:2147483646;display:none;box-shadow:0 2px 8px rgba(0,0,0,.25)}' +
		'.pill.on{display:block}.pill code{font:12px ui-monospace,monospace;color:#cfe3ff}' +
		'.pill a{color:#cfe3ff}' +
		'.overlay{position:fixed;left:0;right:0;bottom:0;max-height:45vh;overflow:auto;z-index:2147483645;display:none;' +
		'font:14px/1.45 system-ui,sans-serif;background:#fff5f5;color:#3b0a0a;border-top:4px solid #c62828;box-shadow:0 -4px 16px rgba(0,0,0,.2);padding:12px 16px}' +
		'.overlay.on{display:block}' +
		'.overlay h2{font-size:16px;margin:0 0 6px}.overlay code{font-family:ui-monospace,monospace}' +
		'.overlay pre{white-space:pre-wrap;word-break:break-word;font:13px/1.4 ui-monospace,monospace;background:#fff;border:1px solid #f0c0c0;padding:8px;margin:6px 0;max-height:24vh;overflow:auto}' +
		'.overlay p{margin:4px 0}.overlay button{font:inherit;float:right;margin-left:1em;cursor:pointer}' +
		'.overlay.min{max-height:none;padding:6px 16px}.overlay.min pre,.overlay.min p{display:none}.overlay.min h2{font-size:14px;margin:0}' +
		'@media (prefers-color-scheme: dark){.overlay{background:#2a1414;color:#ffdede;border-top-color:#ef5350}.overlay pre{background:#1b0d0d;border-color:#6b2b2b;color:#ffdede}}' +
		'@media print{.bar,.pill,.overlay{display:none!important}}' +
		'</style>' +
		'<div class="bar" part="bar" role="progressbar" aria-label="repro: stages running" aria-valuemin="0" aria-valuemax="100"></div>' +
		'<div class="pill" part="pill" role="status" aria-live="polite"></div>' +
		'<div class="overlay" part="overlay" role="alert"><button type="button" class="toggle">Hide</button><h2></h2><pre></pre>' +
		'<p>The report underneath is the last one that built. Fix the error and save: this page updates by itself.</p></div>';
	var bar = root.querySelector('.bar'), pill = root.querySelector('.pill'), overlay = root.querySelector('.overlay');
	var toggle = overlay.querySelector('.toggle');
	toggle.addEventListener('click', function () {
		var min = overlay.classList.toggle('min');
		toggle.textContent = min ? 'Show' : 'Hide';
	});
	function mount() { document.body.appendChild(host); }
	if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);

	function text(el, s) { el.textContent = s; }
	function code(s) { var c = document.createElement('code'); c.textContent = s; return c; }

	var lastError = '';
	function render(st) {
		var busy = st.phase === 'running' || st.phase === 'rebuilding';
		host.setAttribute('data-phase', st.phase || 'idle');
		bar.classList.toggle('on', busy);
		var determinate = st.phase === 'running' && st.total > 0;
		bar.classList.toggle('busy', busy && !determinate);
		if (determinate) {
			var pct = Math.max(3, Math.round(100 * st.done / st.total));
			bar.style.width = pct + '%';
			bar.setAttribute('aria-valuenow', String(pct));
		} else {
			bar.style.width = '';
			bar.removeAttribute('aria-valuenow');
		}
		pill.textContent = '';
		var running = st.running || [];
		if (st.phase === 'running') {
			pill.appendChild(document.createTextNode(running.length ? 'Running ' : 'Checking stages'));
			running.slice(0, 3).forEach(function (r, i) {
				if (i) pill.appendChild(document.createTextNode(', '));
				pill.appendChild(code(r.stage + (r.total ? ' ' + r.done + '/' + r.total : '')));
			});
			if (running.length > 3) pill.appendChild(document.createTextNode(' and ' + (running.length - 3) + ' more'));
			if (st.total) pill.appendChild(document.createTextNode(' \u00b7 ' + st.done + ' of ' + st.total + ' stages'));
		} else if (st.phase === 'rebuilding' || st.notice) {
			pill.appendChild(document.createTextNode(st.notice || 'Rebuilding repro'));
		}
		if (busy || st.notice) {
			var a = document.createElement('a');
			a.href = '/status';
			a.textContent = 'status';
			pill.appendChild(document.createTextNode(' \u00b7 '));
			pill.appendChild(a);
		}
		pill.classList.toggle('on', pill.childNodes.length > 0);
		host.setAttribute('data-running', running.map(function (r) { return r.stage; }).join(' '));

		var err = st.error;
		host.setAttribute('data-error', err ? (err.stage || 'run') : '');
		overlay.classList.toggle('on', !!err);
		if (err) {
			var h = overlay.querySelector('h2');
			h.textContent = '';
			if (err.stage) {
				h.appendChild(document.createTextNode('Stage '));
				h.appendChild(code(err.stage));
				h.appendChild(document.createTextNode(' failed'));
			} else {
				h.textContent = 'The run failed';
			}
			if (err.message !== lastError) {
				overlay.classList.remove('min');
				toggle.textContent = 'Hide';
			}
			text(overlay.querySelector('pre'), err.message);
			lastError = err.message;
		} else {
			lastError = '';
		}
	}

	var reloading = false;
	function reload() {
		if (reloading) return;
		reloading = true;
		try { sessionStorage.setItem(key, JSON.stringify(place())); } catch (e) { /* reload at the top */ }
		location.reload();
	}

	// update brings the new report into this page in place: only the
	// elements that changed are replaced, so the browser lays out only
	// them, the reader stays where they were and nothing flashes. A change
	// outside the body (the title, the style sheets, the fonts), a body
	// with scripts of its own, or any failure reloads the page instead.
	var updating = false, wanted = '';
	function update(version) {
		wanted = version;
		if (updating || reloading) return;
		if (!window.fetch || !window.DOMParser) { reload(); return; }
		updating = true;
		fetch(location.pathname + location.search, {cache: 'no-store'}).then(function (r) {
			if (!r.ok) throw new Error('HTTP ' + r.status);
			return r.text();
		}).then(function (html) {
			var doc = new DOMParser().parseFromString(html, 'text/html');
			var s = doc.querySelector('script[src="/_repro/live.js"]');
			var got = s ? s.getAttribute('data-version') || '' : '';
			// A script of the report's own (the provenance popover) would
			// not run if put in place: the update keeps the running ones,
			// so a layout whose scripts changed reloads.
			if (!got || !document.head.isEqualNode(doc.head) || !sameAttrs(document.documentElement, doc.documentElement) ||
				!sameAttrs(document.body, doc.body) || !sameNodes(ownScripts(document), ownScripts(doc))) {
				reload();
				return;
			}
			var at = place();
			morph(document.body, doc.body, 4);
			loaded = got;
			if (script) script.setAttribute('data-version', got);
			restore(at);
			host.setAttribute('data-updates', String(+(host.getAttribute('data-updates') || 0) + 1));
			updating = false;
			if (wanted !== loaded) update(wanted); // a newer report came meanwhile
		}).catch(function () { reload(); });
	}
	// The report's own scripts, in document order: not this one.
	function ownScripts(d) {
		return [].filter.call(d.querySelectorAll('script'), function (s) { return s !== script && s.getAttribute('src') !== '/_repro/live.js'; });
	}
	function sameNodes(a, b) {
		if (a.length !== b.length) return false;
		for (var i = 0; i < a.length; i++) if (!a[i].isEqualNode(b[i])) return false;
		return true;
	}
	function sameAttrs(a, b) {
		if (a.attributes.length !== b.attributes.length) return false;
		for (var i = 0; i < a.attributes.length; i++) {
			var at = a.attributes[i];
			if (b.getAttribute(at.name) !== at.value) return false;
		}
		return true;
	}
	// setAttrs makes the attributes of the live element a those of b.
	function setAttrs(a, b) {
		for (var i = a.attributes.length - 1; i >= 0; i--) {
			if (!b.hasAttribute(a.attributes[i].name)) a.removeAttribute(a.attributes[i].name);
		}
		for (var j = 0; j < b.attributes.length; j++) {
			var at = b.attributes[j];
			if (a.getAttribute(at.name) !== at.value) a.setAttribute(at.name, at.value);
		}
	}
	// The nodes of a parent that are the report's: not this script, not
	// its host, and not the report's own scripts, which are equal in both
	// (update checked) and stay as they are: they run once, in the page.
	function reportNodes(parent) {
		var out = [];
		for (var n = parent.firstChild; n; n = n.nextSibling) {
			if (n === host || n.nodeName === 'SCRIPT') continue;
			out.push(n);
		}
		return out;
	}
	// morph makes the children of the live element cur those of next:
	// the equal ones at the start and at the end are kept; in between, an
	// element that kept its name and attributes, or its name and id, is
	// morphed in turn (to depth levels), and the rest is replaced. An
	// element with an id keeps its identity, attributes set from the new
	// one: the report's scripts may hold it (the popover, whose position
	// and hidden state they change).
	function morph(cur, next, depth) {
		var a = reportNodes(cur), b = reportNodes(next);
		var head = 0, tail = 0;
		while (head < a.length && head < b.length && a[head].isEqualNode(b[head])) head++;
		while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail].isEqualNode(b[b.length - 1 - tail])) tail++;
		var olds = a.slice(head, a.length - tail), news = b.slice(head, b.length - tail);
		if (depth > 0 && olds.length === news.length) {
			for (var i = 0; i < olds.length; i++) {
				var o = olds[i], n = news[i];
				if (o.nodeType === 1 && n.nodeType === 1 && o.nodeName === n.nodeName && (sameAttrs(o, n) || (o.id && o.id === n.id))) {
					setAttrs(o, n);
					morph(o, n, depth - 1);
				} else {
					cur.replaceChild(document.adoptNode(n), o);
				}
			}
			return;
		}
		// Before the first equal node at the end, or else after the last
		// of the report's nodes (this script and its host stay last).
		var before = tail > 0 ? a[a.length - tail] : a.length ? a[a.length - 1].nextSibling : cur.firstChild;
		olds.forEach(function (o) { cur.removeChild(o); });
		news.forEach(function (n) { cur.insertBefore(document.adoptNode(n), before); });
	}

	if (!window.EventSource) return;
	var es = new EventSource('/_repro/events');
	es.addEventListener('state', function (ev) {
		var st;
		try { st = JSON.parse(ev.data); } catch (e) { return; }
		render(st);
		if (typeof st.version === 'string' && st.version !== loaded) {
			if (st.version === '') reload(); // no report any more
			else update(st.version);
		}
	});
	es.addEventListener('error', function () {
		if (reloading) return;
		host.setAttribute('data-phase', 'disconnected');
		bar.classList.remove('on');
		pill.textContent = 'repro serve is not answering; reconnecting\u2026';
		pill.classList.add('on');
	});
})();
