package revdiff

import (
	"bytes"
	"html/template"

	"github.com/repro-dev/repro/pipeline"
)

// The page of `repro diff --html` (issue 27, item 8): what a reviewer
// looks for first. A summary (the counts, the rules, the metrics that moved
// beyond their noise), then the changed figures side by side, then the
// report of B with its changed numbers marked, and the stages last, folded:
// a grid of hundreds of stages is there to look up, not to read.

// metricRow is one changed metric as the page shows it.
type metricRow struct {
	Name, A, B, Change, Relative, Noise string
	Beyond                              bool
}

// stageRow is one stage of the folded table.
type stageRow struct {
	Stage, Kind string
	Reasons     []string
}

func metricRows(ms []pipeline.MetricChange) (beyond, other []metricRow) {
	for _, m := range ms {
		rel := diffRel(m.Relative, m.A)
		if s := metricStatus(m); s != "" {
			rel = s
		}
		r := metricRow{Name: m.Name, A: diffNumPtr(m.A), B: diffNumPtr(m.B), Change: diffChange(m.Change), Relative: rel, Noise: diffNoise(m.Noise)}
		// Folded: only what is known to be within its noise. A metric
		// without a spread (or that one side lacks) cannot be told apart
		// from a real change, so it is shown.
		if m.Noise == nil || m.Noise.Verdict != "within" {
			r.Beyond = true
			beyond = append(beyond, r)
		} else {
			other = append(other, r)
		}
	}
	return beyond, other
}

func stageRows(d *pipeline.LockDiff) []stageRow {
	var rows []stageRow
	for _, n := range d.Added {
		rows = append(rows, stageRow{Stage: n, Kind: "added", Reasons: []string{"new: not in A"}})
	}
	for _, n := range d.Removed {
		rows = append(rows, stageRow{Stage: n, Kind: "removed", Reasons: []string{"removed: not in B"}})
	}
	for _, c := range d.Changed {
		if c.Direct() {
			rows = append(rows, stageRow{Stage: c.Stage, Kind: "changed", Reasons: c.Reasons})
		}
	}
	for _, c := range d.Changed {
		if !c.Direct() {
			rows = append(rows, stageRow{Stage: c.Stage, Kind: "through its inputs", Reasons: c.Reasons})
		}
	}
	return rows
}

// renderPage renders index.html.
func renderPage(d *pipeline.LockDiff, figs []figure, rep reportSection) ([]byte, error) {
	shown := NumericallyIdentical(d)
	beyond, other := metricRows(shown.Metrics)
	direct, downstream := diffCounts(d)
	var violations []string
	for _, v := range d.Violations {
		violations = append(violations, v.String())
	}
	var page bytes.Buffer
	err := pageTemplate.Execute(&page, map[string]any{
		"A": d.A.Label, "B": d.B.Label, "Profile": d.B.Profile,
		"Notes": shown.Notes, "Trust": d.Trust, "Rules": d.Rules, "Violations": violations,
		"Empty": d.Empty(), "Summary": Summary(shown),
		"Beyond": beyond, "Other": other, "OtherCount": diffPlural(len(other), "other changed metric", "other changed metrics"), "Unchanged": shown.Unchanged, "Changed": len(shown.Metrics),
		"Figures": figs, "Report": rep,
		"Stages": stageRows(d), "Direct": direct, "Downstream": downstream,
	})
	return page.Bytes(), err
}

var pageTemplate = template.Must(template.New("diff").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>repro diff: {{.A}} → {{.B}}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 90%; }
.summary { font-size: 110%; }
.warn { border-left: 4px solid #c60; background: #fff4e5; padding: .5rem 1rem; }
.fail { color: #a11; font-weight: 600; }
.ok { color: #161; }
.beyond { font-weight: 600; }
details { margin: 1rem 0; }
summary { cursor: pointer; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.pair figure { margin: 0; border: 1px solid #ddd; padding: .5rem; background: #fff; }
.pair img { width: 100%; height: auto; }
.pair figcaption { font-weight: 600; margin-bottom: .3rem; }
.missing { color: #777; font-style: italic; padding: 2rem 0; text-align: center; }
iframe.report { width: 100%; height: 85vh; border: 1px solid #ccc; }
del { background: #fde2e2; color: #8a1f1f; }
ins { background: #dcf5dc; color: #135c13; text-decoration: none; font-weight: 600; }
</style>
</head>
<body>
<h1>repro diff</h1>
<p><strong>A</strong> {{.A}} → <strong>B</strong> {{.B}}{{if .Profile}} · profile <code>{{.Profile}}</code>{{end}}</p>
{{range .Notes}}<p class="note">Note: {{.}}</p>
{{end}}
{{- if .Trust}}<div class="warn"><p><strong>Trust changed</strong>: which results are accepted from a shared store (the <code>store</code> settings of the parameter files) differs between A and B. Review this before anything else:</p><ul>
{{range .Trust}}<li>{{.}}</li>
{{end}}</ul></div>
{{end}}
<h2 id="summary">Summary</h2>
{{if .Empty}}<p class="summary">No differences: both locks record the same stages, metrics and figures.</p>
{{else}}<p class="summary">{{.Summary}}{{if .Report.Legend}}; {{.Report.Legend}}{{end}}.</p>
{{end}}
{{- if .Violations}}<p class="fail">Rules violated:</p><ul>
{{range .Violations}}<li class="fail">{{.}}</li>
{{end}}</ul>
{{else if .Rules}}<p class="ok">✅ no metric violates {{range $i, $r := .Rules}}{{if $i}}, {{end}}<code>{{$r}}</code>{{end}}</p>
{{end}}
<h3 id="metrics">Metrics that moved beyond their noise</h3>
{{if .Beyond}}<p>And those without a spread over seeds to tell (noise "-"), or that one side lacks.</p>
<table>
<tr><th>metric</th><th>A</th><th>B</th><th>change</th><th>relative</th><th>noise</th></tr>
{{range .Beyond}}<tr class="beyond"><td><code>{{.Name}}</code></td><td class="n">{{.A}}</td><td class="n">{{.B}}</td><td class="n">{{.Change}}</td><td class="n">{{.Relative}}</td><td>{{.Noise}}</td></tr>
{{end}}</table>
{{else if .Changed}}<p>No metric moved beyond its noise.</p>
{{else}}<p>No metric changed ({{.Unchanged}} unchanged).</p>
{{end}}
{{- if .Other}}<details><summary>{{.OtherCount}} within their noise; {{.Unchanged}} unchanged</summary>
<table>
<tr><th>metric</th><th>A</th><th>B</th><th>change</th><th>relative</th><th>noise</th></tr>
{{range .Other}}<tr><td><code>{{.Name}}</code></td><td class="n">{{.A}}</td><td class="n">{{.B}}</td><td class="n">{{.Change}}</td><td class="n">{{.Relative}}</td><td>{{.Noise}}</td></tr>
{{end}}</table>
</details>
{{end}}
<h2 id="figures">Changed figures, side by side</h2>
{{if not .Figures}}<p>No figure changed.</p>{{end}}
{{range .Figures}}
<section>
<h3><code>{{.Name}}</code></h3>
<div class="pair">
<figure><figcaption>A: {{$.A}}</figcaption>{{if .A}}<img src="{{.A}}" alt="{{.Name}} at A">{{else}}<div class="missing">{{.NoA}}</div>{{end}}</figure>
<figure><figcaption>B: {{$.B}}</figcaption>{{if .B}}<img src="{{.B}}" alt="{{.Name}} at B">{{else}}<div class="missing">{{.NoB}}</div>{{end}}</figure>
</div>
</section>
{{end}}
<h2 id="report">The report of B, its changed numbers marked</h2>
{{with .Report}}{{if .File}}<p>{{.Legend}}. Each changed number shows as <del>A</del> <ins>B</ins> in place, in the prose and the tables; hover or focus a number for its provenance. <a href="{{.File}}">Open the marked report on its own page</a>.</p>
{{if .Changed}}<details><summary>The {{len .Changed}} changed numbers</summary>
<table>
<tr><th>where</th><th>A</th><th>B</th><th>id in B</th></tr>
{{range .Changed}}<tr><td>{{if .Section}}<code>#{{.Section}}</code>: {{end}}{{.Where}}</td><td class="n"><del>{{.A}}</del></td><td class="n"><ins>{{.B}}</ins></td><td><code>{{.ID}}</code></td></tr>
{{end}}</table>
</details>
{{end}}<iframe class="report" src="{{.File}}" title="the report of B with its changed numbers marked"></iframe>
{{else}}<p class="note">{{.Note}}</p>
{{end}}{{end}}
<h2 id="stages">Stages</h2>
{{if .Stages}}<details><summary>{{len .Stages}} stages changed, added or removed ({{.Direct}} changed directly, {{.Downstream}} through their inputs): the table</summary>
<table>
<tr><th>stage</th><th>how</th><th>why</th></tr>
{{range .Stages}}<tr><td><code>{{.Stage}}</code></td><td>{{.Kind}}</td><td>{{range $i, $r := .Reasons}}{{if $i}}<br>{{end}}{{$r}}{{end}}</td></tr>
{{end}}</table>
</details>
{{else}}<p>No stage changed.</p>
{{end}}
</body>
</html>
`))
