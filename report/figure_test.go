package report

import (
	"strings"
	"testing"
)

func TestInlineSVG(t *testing.T) {
	tests := []struct {
		name, svg   string
		want, avoid []string
		err         string
	}{
		{
			name: "prolog, doctype, comments and size go; viewBox from pt",
			svg:  "\ufeff<?xml version=\"1.0\"?>\n<!DOCTYPE svg [ <!ENTITY x \"y\"> ]>\n<!-- c -->\n<svg width=\"288pt\" height=\"216pt\" xmlns=\"http://www.w3.org/2000/svg\"><!-- inner --><g/></svg>\n",
			want: []string{`<svg viewBox="0 0 384 288" class="figure-svg" role="img" aria-label="A &lt;caption&gt; &amp; &#34;more&#34;"><title>A &lt;caption&gt; &amp; &#34;more&#34;</title><g/></svg>`},
		},
		{
			name: "gonum/plot style: viewBox kept",
			svg:  `<svg width="288pt" height="216pt" viewBox="0 0 288 216" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><path d="M0,0"/></svg>`,
			want: []string{`<svg viewBox="0 0 288 216" class="figure-svg"`},
		},
		{
			name: "units",
			svg:  `<svg width="1in" height="2.54cm"><g/></svg>`,
			want: []string{`viewBox="0 0 96 96"`},
		},
		{
			name: "unitless",
			svg:  `<svg width="100" height="50.5"><g/></svg>`,
			want: []string{`viewBox="0 0 100 50.5"`},
		},
		{
			name:  "ids and references renamed",
			svg:   `<svg viewBox="0 0 1 1"><defs><clipPath id="c"><rect/></clipPath><style><![CDATA[ .a { fill: url(#g) } ]]></style><linearGradient id='g'/></defs><g clip-path="url(#c)" mask="url(#other)"><use xlink:href="#c"/><a href="#c">x</a><rect style="fill: url( '#g' )"/></g></svg>`,
			want:  []string{`id="f-c"`, `id='f-g'`, `clip-path="url(#f-c)"`, `xlink:href="#f-c"`, `href="#f-c"`, `fill: url(#f-g)`, `mask="url(#other)"`, `<![CDATA[ .a { fill: url(#f-g) } ]]>`},
			avoid: []string{`"#c"`, `url(#c)`},
		},
		{
			name: "existing class kept",
			svg:  `<svg class="plot" viewBox="0 0 1 1" role="presentation"><g/></svg>`,
			want: []string{`<svg viewBox="0 0 1 1" class="plot figure-svg" role="img"`},
		},
		{
			name: "> inside attribute values",
			svg:  `<svg viewBox="0 0 1 1"><text data-x="a>b">1 &lt; 2</text></svg>`,
			want: []string{`<text data-x="a>b">1 &lt; 2</text>`},
		},
		{name: "malformed", svg: `<svg viewBox="0 0 1 1"><g></svg>`, err: "malformed SVG"},
		{name: "not svg", svg: `<html><body/></html>`, err: "no <svg> root"},
		{name: "no size", svg: `<svg width="100%"><g/></svg>`, err: "no viewBox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := figureMedia("f", []byte(tt.svg), `A <caption> & "more"`)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %s:\n%s", w, got)
				}
			}
			for _, a := range append(tt.avoid, "<?xml", "DOCTYPE", "<!--", "xmlns", "width=\"288pt\"") {
				if strings.Contains(got, a) {
					t.Errorf("output has %s:\n%s", a, got)
				}
			}
		})
	}
}

// Two figures with the same ids inside do not clash.
func TestFigureIDsUnique(t *testing.T) {
	svg := []byte(`<svg viewBox="0 0 1 1"><clipPath id="clip"><rect/></clipPath><g clip-path="url(#clip)"/></svg>`)
	out, _, err := Render(Document{
		Markdown: []byte("![One](fig:a)\n\n![Two](fig:b)\n\n@fig:a @fig:b\n"),
		Layout:   []byte("{{.Body}}"),
		Figures:  map[string][]byte{"a": svg, "b": svg},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{`id="fig-a-clip"`, `url(#fig-a-clip)`, `id="fig-b-clip"`, `url(#fig-b-clip)`, `<span class="label">Figure 2:</span> Two`} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

func TestFigureRaster(t *testing.T) {
	png := readFile(t, "testdata/digits.png")
	got, _, err := figureMedia("fig-x", png, `8x8 "digits"`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, `<img class="figure-img" src="data:image/png;base64,iVBOR`) || !strings.HasSuffix(got, `alt="8x8 &#34;digits&#34;" width="8" height="8">`) {
		t.Errorf("got %s", got)
	}
	if _, _, err := figureMedia("fig-x", png[:20], ""); err == nil {
		t.Error("a truncated PNG was accepted")
	}
	if _, _, err := figureMedia("fig-x", []byte("%PDF-1.4"), ""); err == nil || !strings.Contains(err.Error(), "neither SVG") {
		t.Errorf("PDF: err = %v", err)
	}
}
