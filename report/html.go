package report

import (
	"html"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// kindSecNum is the node kind of a section number inserted into a heading.
var kindSecNum = ast.NewNodeKind("SecNum")

type secNum struct {
	ast.BaseInline
	number string
}

func (n *secNum) Kind() ast.NodeKind { return kindSecNum }

func (n *secNum) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Number": n.number}, nil)
}

// nodeRenderer renders this package's nodes, and tables (wrapped in a
// scrolling <div>, with their id and caption).
type nodeRenderer struct {
	st    *state
	table renderer.NodeRenderer // goldmark's, for rows and cells
}

// SetOption forwards renderer options (XHTML, ...) to the table renderer.
func (r *nodeRenderer) SetOption(name renderer.OptionName, value any) {
	if so, ok := r.table.(renderer.SetOptioner); ok {
		so.SetOption(name, value)
	}
}

func (r *nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	r.table.RegisterFuncs(reg)
	reg.Register(east.KindTable, r.renderTable)
	reg.Register(kindTableCaption, r.renderCaption)
	reg.Register(kindMath, r.renderMath)
	reg.Register(kindMathBlock, r.renderMathBlock)
	reg.Register(kindFigure, r.renderFigure)
	reg.Register(kindXRef, r.renderXRef)
	reg.Register(kindSecNum, r.renderSecNum)
}

func (r *nodeRenderer) renderTable(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(`<div class="table-wrap">` + "\n<table")
		if id, ok := n.AttributeString("id"); ok {
			_, _ = w.WriteString(` id="` + html.EscapeString(string(id.([]byte))) + `"`)
		}
		_, _ = w.WriteString(">\n")
	} else {
		_, _ = w.WriteString("</table>\n</div>\n")
	}
	return ast.WalkContinue, nil
}

func (r *nodeRenderer) renderCaption(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	c := n.(*tableCaption)
	if entering {
		_, _ = w.WriteString(`<caption><span class="label">Table ` + strconv.Itoa(c.number) + `:</span> `)
	} else {
		if c.csv != "" {
			_, _ = w.WriteString(` <a class="csv" href="` + html.EscapeString(c.csv) + `" download>CSV</a>`)
		}
		_, _ = w.WriteString("</caption>\n")
	}
	return ast.WalkContinue, nil
}

func (r *nodeRenderer) renderMath(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	m := n.(*mathInline)
	if m.html != "" && m.prov != nil {
		_, _ = w.WriteString(r.st.provSpan(m.prov))
		defer func() { _, _ = w.WriteString("</span>") }()
	}
	switch {
	case m.html != "" && m.Display:
		_, _ = w.WriteString(`<span class="math math-display">` + m.html + `</span>`)
	case m.html != "":
		_, _ = w.WriteString(m.html)
	case m.Display:
		_, _ = w.WriteString(`<code class="math math-display">` + html.EscapeString(string(m.TeX)) + `</code>`)
	default:
		_, _ = w.WriteString(`<code class="math math-inline">` + html.EscapeString(string(m.TeX)) + `</code>`)
	}
	return ast.WalkSkipChildren, nil
}

func (r *nodeRenderer) renderMathBlock(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	m := n.(*mathBlock)
	if m.html != "" && m.prov != nil {
		_, _ = w.WriteString(`<div class="math math-display">` + r.st.provSpan(m.prov) + m.html + "</span></div>\n")
	} else if m.html != "" {
		_, _ = w.WriteString(`<div class="math math-display">` + m.html + "</div>\n")
	} else {
		_, _ = w.WriteString(`<pre class="math math-display"><code class="math">` + html.EscapeString(string(m.TeX(source))) + "</code></pre>\n")
	}
	return ast.WalkSkipChildren, nil
}

func (r *nodeRenderer) renderFigure(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	f := n.(*figure)
	if entering {
		class := "figure"
		if f.wide {
			class = "figure wide"
		}
		_, _ = w.WriteString(`<figure id="fig-` + f.Name + `" class="` + class + `">` + "\n")
		if f.minWidth > 0 {
			_, _ = w.WriteString(`<div class="figure-body figure-scroll" tabindex="0"><div class="figure-inner" style="min-width:` + strconv.Itoa(f.minWidth) + `px">` + f.media + "</div></div>\n")
			hint := "scroll-hint"
			switch {
			case f.minWidth > wideInnerPx:
				hint += " always-hint" // wider than the wide column
			case f.minWidth > 700:
				hint += " wide-hint"
			}
			_, _ = w.WriteString(`<div class="` + hint + `" aria-hidden="true">scroll sideways to see the whole figure →</div>` + "\n")
		} else {
			_, _ = w.WriteString(`<div class="figure-body">` + f.media + "</div>\n")
		}
		_, _ = w.WriteString(`<figcaption><span class="label">Figure ` + strconv.Itoa(f.number) + `:</span> `)
	} else {
		if f.downloads != "" {
			_, _ = w.WriteString(" " + f.downloads)
		}
		_, _ = w.WriteString("</figcaption>\n</figure>\n")
	}
	return ast.WalkContinue, nil
}

func (r *nodeRenderer) renderXRef(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		x := n.(*xref)
		_, _ = w.WriteString(`<a class="xref" href="#` + html.EscapeString(x.target) + `">` + html.EscapeString(x.label) + `</a>`)
	}
	return ast.WalkSkipChildren, nil
}

func (r *nodeRenderer) renderSecNum(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(`<span class="secnum">` + n.(*secNum).number + `</span> `)
	}
	return ast.WalkSkipChildren, nil
}

// plainText is the text of n's inline content: what a screen reader or an
// alt attribute gets. Math stays TeX; cross-references become their text.
func plainText(n ast.Node, source []byte) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch v := c.(type) {
			case *ast.Text:
				t, _ := StripMarks(string(util.UnescapePunctuations(v.Segment.Value(source))))
				b.WriteString(html.UnescapeString(t))
				if v.SoftLineBreak() || v.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				if v.IsCode() { // typographer's entities
					b.WriteString(html.UnescapeString(string(v.Value)))
				} else {
					b.Write(v.Value)
				}
			case *mathInline:
				t, _ := StripMarks(string(v.TeX))
				b.WriteString(t)
			case *xref:
				if v.label != "" {
					b.WriteString(v.label)
				} else {
					b.WriteString("@" + v.Prefix + ":" + v.Name)
				}
			case *secNum, *east.FootnoteLink, *ast.RawHTML:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// inlineHTML renders n's inline content for the table of contents: text,
// code, emphasis and math, but no links or footnote references.
func inlineHTML(n ast.Node, source []byte) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch v := c.(type) {
			case *ast.Text:
				b.WriteString(html.EscapeString(html.UnescapeString(string(util.UnescapePunctuations(v.Segment.Value(source))))))
				if v.SoftLineBreak() || v.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				if v.IsCode() {
					b.Write(v.Value)
				} else {
					b.WriteString(html.EscapeString(string(v.Value)))
				}
			case *ast.CodeSpan:
				b.WriteString("<code>" + html.EscapeString(plainText(v, source)) + "</code>")
			case *ast.Emphasis:
				tag := "em"
				if v.Level == 2 {
					tag = "strong"
				}
				b.WriteString("<" + tag + ">")
				walk(v)
				b.WriteString("</" + tag + ">")
			case *mathInline:
				if v.html != "" {
					b.WriteString(v.html)
				} else {
					b.WriteString(`<code class="math math-inline">` + html.EscapeString(string(v.TeX)) + `</code>`)
				}
			case *xref:
				b.WriteString(html.EscapeString(v.label))
			case *secNum, *east.FootnoteLink, *ast.RawHTML:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}
