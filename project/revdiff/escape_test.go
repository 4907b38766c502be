package revdiff

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/repro-dev/repro/pipeline"
)

// A hostile lock and parameter file, end to end: a stage name that tries
// to forge an annotation and clear the screen, a parameter value with a
// link and an image, a metric named like a workflow command. The text diff
// holds no line that GitHub Actions reads as a command and no escape
// character; the Markdown diff renders no link, image or raw HTML.
func TestDiffHostileTextEscaped(t *testing.T) {
	h := pipeline.HashBytes([]byte("x"))
	evil := "fit\n::error file=repro.lock,line=1::forged\x1b[2J"
	param := json.RawMessage(`{"title": "[win](https://evil.example) ![p](https://evil.example/p.png) <img src=x>"}`)
	a := &pipeline.Lock{Stages: map[string]*pipeline.LockStage{evil: {Key: h, Params: json.RawMessage(`{"title": "ok"}`), Outputs: map[string]string{"value": h},
		Metrics: map[string]float64{"::warning::m": 1}}}}
	b := &pipeline.Lock{Stages: map[string]*pipeline.LockStage{evil: {Key: pipeline.HashBytes([]byte("y")), Params: param, Outputs: map[string]string{"value": h},
		Metrics: map[string]float64{"::warning::m": 2}}}}
	a.Toolchain = "go1\n::error::tool"
	d := pipeline.DiffLocks(a, b)
	d.A.Label, d.B.Label = "A\x1b]0;title\x07", "B"
	d.SetTrust(map[string]string{"store.remote": `""`}, map[string]string{"store.remote": `"file:///x\n::error::y"`})
	for _, out := range []string{Text(d), TextGrouped(TermSafe(d), true)} {
		if strings.ContainsAny(out, "\x1b\x07\r") {
			t.Errorf("text diff holds a control character:\n%q", out)
		}
		for _, line := range strings.Split(out, "\n") {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "::") || strings.HasPrefix(l, "##[") {
				t.Errorf("text diff line reads as a workflow command: %q", line)
			}
		}
		if !strings.Contains(out, "TRUST CHANGED: store.remote") {
			t.Errorf("no trust line:\n%s", out)
		}
	}
	var rendered bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(Markdown(d)), &rendered); err != nil {
		t.Fatal(err)
	}
	html := rendered.String()
	for _, bad := range []string{"<a ", "<img", "\x1b"} {
		if strings.Contains(html, bad) {
			t.Errorf("Markdown diff renders %q:\n%s", bad, html)
		}
	}
	if !strings.Contains(html, "Trust changed") {
		t.Errorf("no trust warning in the Markdown:\n%s", html)
	}
}
