// The /status page of `repro serve`: the stage graph by family, coloured by
// state, each stage's reasons on hover, and the session's runs. It follows
// the server's event stream and fetches the status again after each change.
(function () {
	'use strict';
	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined) e.textContent = text;
		return e;
	}
	var order = ['failed', 'running', 'stale', 'may rerun', 'fresh'];
	function cls(state) { return state.replace(/ /g, '-'); }

	function render(s) {
		var stages = s.stages || [];
		var fams = [], byFam = {}, famOf = {};
		stages.forEach(function (st) {
			famOf[st.stage] = st.family;
			if (!byFam[st.family]) { byFam[st.family] = []; fams.push(st.family); }
			byFam[st.family].push(st);
		});
		var total = {};
		stages.forEach(function (st) { total[st.state] = (total[st.state] || 0) + 1; });
		var parts = [stages.length + ' stages (profile ' + s.profile + ')'];
		order.forEach(function (k) { if (total[k]) parts.push(total[k] + ' ' + k); });
		document.getElementById('summary').textContent = parts.join(' \u00b7 ');

		var hist = s.history || [], last = document.getElementById('last');
		last.textContent = '';
		if (hist.length) {
			var h = hist[hist.length - 1], ran = (h.ran || []).map(function (x) { return x.stage; });
			last.appendChild(document.createTextNode('Last run (' + h.n + ', ' + (h.trigger || []).join(', ') + '): ' +
				(ran.length ? ran.length + ' ran (' + ran.slice(0, 3).join(', ') + (ran.length > 3 ? ', \u2026' : '') + ')' : 'nothing ran') +
				', ' + h.cached + ' cached' + ((h.failed || []).length ? ', ' + h.failed.length + ' failed' : '') +
				(h.interrupted ? ', interrupted' : '') + ', ' + h.seconds.toFixed(2) + ' s. '));
			var a = el('a', '', 'All runs');
			a.href = '#runs';
			last.appendChild(a);
		}
		last.hidden = !hist.length;

		var v = s.view || {}, ph = document.getElementById('phase');
		ph.textContent = '';
		if (v.phase === 'running') ph.appendChild(el('strong', '', 'Run ' + v.run + ': ' + v.done + ' of ' + v.total + ' stages checked'));
		else if (v.phase === 'rebuilding') ph.appendChild(el('strong', '', 'Rebuilding repro'));
		if (v.notice) ph.appendChild(el('div', '', v.notice));
		if (v.error) {
			ph.appendChild(el('div', '', (v.error.stage ? 'Stage ' + v.error.stage + ' failed:' : 'The run failed:')));
			ph.appendChild(el('pre', '', v.error.message));
		}
		ph.hidden = ph.childNodes.length === 0;

		var box = document.getElementById('families');
		box.textContent = '';
		fams.forEach(function (f) {
			var list = byFam[f], counts = {}, reads = {};
			list.forEach(function (st) {
				counts[st.state] = (counts[st.state] || 0) + 1;
				(st.deps || []).forEach(function (d) { if (famOf[d] && famOf[d] !== f) reads[famOf[d]] = true; });
			});
			var sec = el('section', 'family');
			sec.id = 'family-' + f;
			sec.setAttribute('data-family', f);
			var head = el('header');
			head.appendChild(el('h2', '', f));
			var c = [list.length + (list.length === 1 ? ' stage' : ' stages')];
			order.forEach(function (k) { if (counts[k]) c.push(counts[k] + ' ' + k); });
			head.appendChild(el('span', 'muted', c.join(' \u00b7 ')));
			var r = Object.keys(reads);
			if (r.length) head.appendChild(el('span', 'muted', 'reads ' + r.join(', ')));
			sec.appendChild(head);
			var ul = el('ul', 'stages');
			list.forEach(function (st) {
				var li = el('li');
				var name = st.stage === f ? st.stage : st.stage.slice(f.length + 1);
				var chip = el('span', 'st ' + cls(st.state), name);
				chip.setAttribute('data-stage', st.stage);
				chip.setAttribute('data-state', st.state);
				var tip = st.stage + ': ' + st.state;
				(st.reasons || []).forEach(function (x) { tip += '\n\u2022 ' + x; });
				if (st.seconds) tip += '\nlast ran in ' + st.seconds.toFixed(2) + ' s';
				chip.title = tip;
				li.appendChild(chip);
				ul.appendChild(li);
			});
			sec.appendChild(ul);
			box.appendChild(sec);
		});

		var tb = document.querySelector('#history tbody');
		tb.textContent = '';
		(s.history || []).slice().reverse().forEach(function (h) {
			var tr = el('tr');
			tr.appendChild(el('td', 'num', String(h.n)));
			tr.appendChild(el('td', '', h.started));
			tr.appendChild(el('td', '', (h.trigger || []).join(', ')));
			var ran = el('td');
			var n = (h.ran || []).length;
			if (n === 0) ran.textContent = h.interrupted ? 'interrupted' : (h.error && !n ? '\u2014' : 'nothing');
			else {
				var d = el('details');
				d.appendChild(el('summary', '', n + (n === 1 ? ' stage' : ' stages') + (h.interrupted ? ' (interrupted)' : '')));
				var ul = el('ul');
				h.ran.forEach(function (x) {
					var li = el('li');
					li.appendChild(el('code', '', x.stage));
					li.appendChild(document.createTextNode(' ' + x.seconds.toFixed(2) + ' s'));
					if (x.why && x.why.length) li.appendChild(el('div', 'why', x.why.join('; ')));
					ul.appendChild(li);
				});
				d.appendChild(ul);
				ran.appendChild(d);
			}
			tr.appendChild(ran);
			tr.appendChild(el('td', 'num', String(h.cached)));
			tr.appendChild(el('td', '', (h.failed || []).join(', ') + (h.error && !(h.failed || []).length ? h.error : '')));
			tr.appendChild(el('td', 'num', h.seconds.toFixed(2)));
			tb.appendChild(tr);
		});
	}

	var pending = false, again = false;
	function refresh() {
		if (pending) { again = true; return; }
		pending = true;
		fetch('/_repro/status.json', {cache: 'no-store'}).then(function (r) { return r.json(); }).then(render).catch(function () {}).then(function () {
			pending = false;
			if (again) { again = false; setTimeout(refresh, 150); }
		});
	}
	refresh();
	if (window.EventSource) new EventSource('/_repro/events').addEventListener('state', refresh);
})();
