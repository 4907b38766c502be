package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Document is everything Render needs. Render reads nothing else: no file,
// no clock, no environment.
type Document struct {
	Markdown []byte // the filled report (GFM plus the conventions of the package doc)
	Layout   []byte // an html/template executed with a LayoutData
	CSS      []byte // the report's style sheet, inlined
	Title    string
	// Meta is the title block (commit, date of the commit, profile, ...).
	// Keys listed in MetaOrder come first, in that order; the others follow
	// sorted by key.
	Meta      map[string]string
	MetaOrder []string
	// Figures maps a name to SVG, PNG, JPEG, GIF or WebP bytes, placed by
	// ![caption](fig:name).
	Figures map[string][]byte
	// TableCSV maps a table name to a (relative) link to its CSV export,
	// shown in the table's caption.
	TableCSV map[string]string
	// FigureData maps a figure name to the CSV of the data it draws. The
	// caption of every figure links its SVG (or image) and, when given,
	// this CSV as downloads embedded in the page (data: URIs), so the
	// single file needs nothing beside it.
	FigureData map[string][]byte
	// KaTeX renders the math. Nil: math is shown as TeX source in
	// <code class="math"> and Render returns a warning.
	KaTeX *KaTeX
	// Provenance maps the id of a number marked with Mark to what the
	// reader sees on hovering or tapping it (plain text, lines separated
	// by '\n'), and "fig:name" to the same for figure name, shown on its
	// caption's download link (see Mark).
	Provenance map[string]string
}

// LayoutData is what Document.Layout is executed with.
type LayoutData struct {
	Title   string
	Meta    []MetaField
	TOC     template.HTML // <ol> of the sections (h2 and h3), empty if no heading
	Body    template.HTML
	CSS     template.CSS
	MathCSS template.CSS // KaTeX's CSS with its fonts inlined; empty if no math was rendered
}

// MetaField is one line of the title block.
type MetaField struct{ Key, Value string }

// Render turns a Document into one self-contained HTML file. Warnings are
// problems that do not stop the report (no KaTeX, a figure never referenced,
// a table without caption, ...), sorted. The error joins every problem found
// (unknown cross-reference, bad TeX, missing figure, ...), each naming its
// line in the Markdown. The same Document always gives the same bytes.
func Render(d Document) (out []byte, warnings []string, err error) {
	st := &state{doc: &d, src: d.Markdown, figs: map[string]*figure{}, tbls: map[string]*tableCaption{},
		secs: map[string]string{}, cited: map[string]bool{}, warn: map[string]bool{}}
	md := newMarkdown(st)
	root := md.Parser().Parse(text.NewReader(d.Markdown))
	st.transform(root)
	if len(st.errs) > 0 {
		return nil, st.warnings(), st.err()
	}
	var body bytes.Buffer
	if err := md.Renderer().Render(&body, d.Markdown, root); err != nil {
		return nil, st.warnings(), fmt.Errorf("report: rendering: %w", err)
	}
	data := LayoutData{
		Title: d.Title,
		Meta:  metaFields(d.Meta, d.MetaOrder),
		TOC:   template.HTML(st.toc()),
		Body:  template.HTML(st.applyMarks(body.String())),
		CSS:   template.CSS(d.CSS),
	}
	if st.usedKaTeX {
		css, err := inlineKaTeXCSS(d.KaTeX.CSS, d.KaTeX.Fonts)
		if err != nil {
			return nil, st.warnings(), fmt.Errorf("report: %w", err)
		}
		data.MathCSS = template.CSS(css)
	}
	if len(bytes.TrimSpace(d.Layout)) == 0 {
		return nil, st.warnings(), errors.New("report: Document.Layout is empty (pass templates/layout.html)")
	}
	tmpl, err := template.New("layout").Parse(string(d.Layout))
	if err != nil {
		return nil, st.warnings(), fmt.Errorf("report: layout: %w", err)
	}
	var page bytes.Buffer
	if err := tmpl.Execute(&page, data); err != nil {
		return nil, st.warnings(), fmt.Errorf("report: layout: %w", err)
	}
	if bad := externalRefs(page.Bytes()); len(bad) > 0 {
		return nil, st.warnings(), fmt.Errorf("report: the page would fetch from outside itself: %s (raw HTML in the Markdown or the layout?)", strings.Join(bad, ", "))
	}
	return page.Bytes(), st.warnings(), nil
}

func metaFields(meta map[string]string, order []string) []MetaField {
	var out []MetaField
	done := map[string]bool{}
	for _, k := range order {
		if v, ok := meta[k]; ok && !done[k] {
			out = append(out, MetaField{k, v})
			done[k] = true
		}
	}
	var rest []string
	for k := range meta {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, MetaField{k, meta[k]})
	}
	return out
}

func newMarkdown(st *state) goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.Strikethrough,
			extension.TaskList,
			extension.Footnote,
			extension.Typographer,
			mathExtension{},
			xrefExtension{},
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithAttribute(),
			parser.WithParagraphTransformers(util.Prioritized(extension.NewTableParagraphTransformer(), 200)),
			parser.WithASTTransformers(util.Prioritized(extension.NewTableASTTransformer(), 0)),
		),
		goldmark.WithRendererOptions(
			ghtml.WithUnsafe(),
			renderer.WithNodeRenderers(util.Prioritized(&nodeRenderer{st: st, table: extension.NewTableHTMLRenderer()}, 100)),
		),
	)
}

// state is one Render call's bookkeeping, shared by the AST pass and the
// node renderers.
type state struct {
	doc   *Document
	src   []byte
	figs  map[string]*figure
	tbls  map[string]*tableCaption
	secs  map[string]string // heading id -> cross-reference text
	cited map[string]bool   // "fig:x" -> referenced
	tocs  []tocEntry

	usedKaTeX bool // some math was rendered by KaTeX

	errs []lineError
	warn map[string]bool
}

type lineError struct {
	line int
	msg  string
}

type tocEntry struct {
	depth      int // 0: section, 1: subsection
	id, number string
	heading    *ast.Heading
}

func (st *state) line(offset int) int {
	if offset < 0 || offset > len(st.src) {
		return 0
	}
	return bytes.Count(st.src[:offset], []byte("\n")) + 1
}

func (st *state) errorf(offset int, format string, args ...any) {
	st.errs = append(st.errs, lineError{st.line(offset), fmt.Sprintf(format, args...)})
}

func (st *state) warnf(format string, args ...any) {
	st.warn["report: "+fmt.Sprintf(format, args...)] = true
}

func (st *state) warnings() []string {
	var w []string
	for s := range st.warn {
		w = append(w, s)
	}
	sort.Strings(w)
	return w
}

func (st *state) err() error {
	sort.SliceStable(st.errs, func(i, j int) bool { return st.errs[i].line < st.errs[j].line })
	errs := make([]error, len(st.errs))
	for i, e := range st.errs {
		errs[i] = fmt.Errorf("report: line %d: %s", e.line, e.msg)
	}
	return errors.Join(errs...)
}

func nodeOffset(n ast.Node) int {
	for ; n != nil; n = n.Parent() {
		switch v := n.(type) {
		case *mathInline:
			return v.Offset
		case *xref:
			return v.Offset
		case *ast.Text:
			return v.Segment.Start
		}
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return n.Lines().At(0).Start
		}
		if p := n.Pos(); p >= 0 {
			return p
		}
		if c := n.FirstChild(); c != nil {
			if off := nodeOffset(c); off >= 0 {
				return off
			}
		}
	}
	return -1
}

// transform numbers sections, figures and tables, resolves cross-references
// and renders the math, collecting every error.
func (st *state) transform(root ast.Node) {
	var (
		headings []*ast.Heading
		images   []*ast.Image
		captions []*tableCaption
		tables   []*east.Table
		xrefs    []*xref
		maths    []ast.Node
	)
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch v := n.(type) {
		case *ast.Heading:
			if v.Parent() == root {
				headings = append(headings, v)
			}
		case *ast.Image:
			images = append(images, v)
		case *tableCaption:
			captions = append(captions, v)
		case *east.Table:
			tables = append(tables, v)
		case *xref:
			xrefs = append(xrefs, v)
		case *mathInline, *mathBlock:
			maths = append(maths, v)
		}
		return ast.WalkContinue, nil
	})

	figs := st.makeFigures(images)
	st.numberTables(captions, tables)
	st.numberSections(headings)
	st.resolve(xrefs)
	st.renderMath(maths)
	st.placeFigures(figs)

	for _, f := range figs {
		if !st.cited["fig:"+f.Name] {
			st.warnf("figure fig:%s (Figure %d) is never referenced (write @fig:%s in the prose)", f.Name, f.number, f.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.tbls)) {
		if !st.cited["tbl:"+name] {
			st.warnf("table tbl:%s (Table %d) is never referenced (write @tbl:%s in the prose)", name, st.tbls[name].number, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.doc.Figures)) {
		if st.figs[name] == nil {
			st.warnf("Document.Figures[%q] is not placed in the Markdown (write ![caption](fig:%s))", name, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.doc.TableCSV)) {
		if st.tbls[name] == nil {
			st.warnf("Document.TableCSV[%q]: the Markdown has no table {#tbl:%s}", name, name)
		}
	}
}

// makeFigures turns each paragraph holding only ![caption](fig:name) into a
// Figure, numbered in document order.
func (st *state) makeFigures(images []*ast.Image) []*figure {
	var figs []*figure
	for _, img := range images {
		dest := string(img.Destination)
		off := nodeOffset(img)
		if strings.HasPrefix(dest, "data:") || strings.HasPrefix(dest, "#") {
			continue
		}
		name, ok := strings.CutPrefix(dest, "fig:")
		if !ok {
			st.errorf(off, "image %q: the report must be self-contained: put the image in Document.Figures and write ![caption](fig:name)", dest)
			continue
		}
		para, isPara := img.Parent().(*ast.Paragraph)
		if !isPara || para.ChildCount() != 1 {
			st.errorf(off, "figure fig:%s must stand alone in its own paragraph", name)
			continue
		}
		if !nameRE.MatchString(name) {
			st.errorf(off, "figure name %q: use letters, digits, '_' and '-'", name)
			continue
		}
		if st.figs[name] != nil {
			st.errorf(off, "figure fig:%s is placed twice", name)
			continue
		}
		f := &figure{Name: name, Offset: off, number: len(figs) + 1}
		for c := img.FirstChild(); c != nil; {
			next := c.NextSibling()
			f.AppendChild(f, c)
			c = next
		}
		para.Parent().ReplaceChild(para.Parent(), para, f)
		st.figs[name] = f
		figs = append(figs, f)
	}
	return figs
}

// placeFigures prepares each figure's SVG or image, once the captions'
// cross-references and math are resolved (the alt text is the caption).
func (st *state) placeFigures(figs []*figure) {
	for _, f := range figs {
		data, ok := st.doc.Figures[f.Name]
		if !ok {
			st.errorf(f.Offset, "figure fig:%s is not provided (Document.Figures has: %s)", f.Name, strings.Join(slices.Sorted(maps.Keys(st.doc.Figures)), ", "))
			continue
		}
		alt := strings.TrimSpace(plainText(f, st.src))
		if alt == "" {
			st.warnf("figure fig:%s has no caption (write ![caption](fig:%s))", f.Name, f.Name)
		}
		media, aspect, err := figureMedia("fig-"+f.Name, data, alt)
		if err != nil {
			st.errorf(f.Offset, "figure fig:%s: %v", f.Name, err)
			continue
		}
		f.media, f.wide = media, aspect >= wideAspect
		f.downloads = figureDownloads(f.Name, data, st.doc.FigureData[f.Name], st.doc.Provenance["fig:"+f.Name])
		if w := svgWidth(data); w > 0 {
			// Never drawn smaller than one pixel per SVG unit (a 9 pt tick
			// label stays at least 9 px): a narrow screen scrolls instead.
			f.minWidth = int(math.Ceil(w))
			f.wide = f.wide || w > proseWidthPx
		}
	}
}

// numberTables moves each caption into the table that follows it and
// numbers the captioned tables in document order.
func (st *state) numberTables(captions []*tableCaption, tables []*east.Table) {
	for _, c := range captions {
		t, ok := c.NextSibling().(*east.Table)
		if !ok {
			st.errorf(c.Offset, "table caption (\"Table: ...\") is not directly followed by a table")
			c.Parent().RemoveChild(c.Parent(), c)
			continue
		}
		if c.Name != "" {
			if st.tbls[c.Name] != nil {
				st.errorf(c.Offset, "table tbl:%s is defined twice", c.Name)
			}
			st.tbls[c.Name] = c
			t.SetAttributeString("id", []byte("tbl-"+c.Name))
			c.csv = st.doc.TableCSV[c.Name]
		}
		c.Parent().RemoveChild(c.Parent(), c)
		t.InsertBefore(t, t.FirstChild(), c)
	}
	n := 0
	for _, t := range tables {
		if c, ok := t.FirstChild().(*tableCaption); ok {
			n++
			c.number = n
		} else {
			st.warnf("the table at line %d has no caption (write \"Table: caption {#tbl:name}\" above it)", st.line(nodeOffset(t)))
		}
	}
}

// numberSections numbers the headings: the highest level used in the
// Markdown becomes h2 (the title is the h1), sections "1", subsections
// "1.1", sub-subsections "1.1.1"; {.unnumbered} headings and everything
// under them are not numbered.
func (st *state) numberSections(headings []*ast.Heading) {
	if len(headings) == 0 {
		return
	}
	top := 6
	for _, h := range headings {
		top = min(top, h.Level)
	}
	var counters [3]int
	var unnumbered [3]bool
	for _, h := range headings {
		rel := h.Level - top
		h.Level = min(rel+2, 6)
		skip := hasClass(h, "unnumbered")
		for i := 0; i < rel && i < 3; i++ {
			skip = skip || unnumbered[i]
		}
		if rel < 3 {
			unnumbered[rel] = skip
		}
		var number string
		if !skip && rel < 3 {
			counters[rel]++
			for i := rel + 1; i < 3; i++ {
				counters[i] = 0
			}
			parts := make([]string, rel+1)
			for i := range parts {
				parts[i] = strconv.Itoa(counters[i])
			}
			number = strings.Join(parts, ".")
			h.InsertBefore(h, h.FirstChild(), &secNum{number: number})
		}
		idv, _ := h.AttributeString("id")
		id, _ := idv.([]byte)
		if number != "" {
			st.secs[string(id)] = "Section " + number
		} else {
			st.secs[string(id)] = "“" + strings.TrimSpace(plainText(h, st.src)) + "”"
		}
		if rel <= 1 {
			st.tocs = append(st.tocs, tocEntry{depth: rel, id: string(id), number: number, heading: h})
		}
	}
}

func hasClass(n ast.Node, class string) bool {
	v, ok := n.AttributeString("class")
	if !ok {
		return false
	}
	var s string
	switch v := v.(type) {
	case []byte:
		s = string(v)
	case string:
		s = v
	}
	for _, c := range strings.Fields(s) {
		if c == class {
			return true
		}
	}
	return false
}

// resolve gives every cross-reference its target and text.
func (st *state) resolve(xrefs []*xref) {
	for _, x := range xrefs {
		key := x.Prefix + ":" + x.Name
		st.cited[key] = true
		switch x.Prefix {
		case "fig":
			if f := st.figs[x.Name]; f != nil {
				x.target, x.label = "fig-"+x.Name, "Figure "+strconv.Itoa(f.number)
				continue
			}
			st.errorf(x.Offset, "unknown cross-reference @%s: no figure ![...](fig:%s) in the Markdown (figures: %s)", key, x.Name, strings.Join(slices.Sorted(maps.Keys(st.figs)), ", "))
		case "tbl":
			if t := st.tbls[x.Name]; t != nil {
				x.target, x.label = "tbl-"+x.Name, "Table "+strconv.Itoa(t.number)
				continue
			}
			st.errorf(x.Offset, "unknown cross-reference @%s: no table caption {#tbl:%s} in the Markdown (tables: %s)", key, x.Name, strings.Join(slices.Sorted(maps.Keys(st.tbls)), ", "))
		case "sec":
			if label, ok := st.secs[x.Name]; ok {
				x.target, x.label = x.Name, label
				continue
			}
			st.errorf(x.Offset, "unknown cross-reference @%s: no heading with id %q (headings: %s)", key, x.Name, strings.Join(slices.Sorted(maps.Keys(st.secs)), ", "))
		}
	}
}

// renderMath renders every math node with KaTeX, or marks it for the
// TeX-source fallback.
func (st *state) renderMath(nodes []ast.Node) {
	if len(nodes) == 0 {
		return
	}
	for _, n := range nodes {
		if b, ok := n.(*mathBlock); ok && !b.closed {
			st.warnf("the $$ display math at line %d is not closed: it runs to the end of its block", st.line(b.Offset))
		}
	}
	if st.doc.KaTeX == nil {
		st.warnf("KaTeX not available (run `npm ci` at the repository root): %d math expressions shown as TeX source", len(nodes))
		for _, n := range nodes {
			if m, ok := n.(*mathInline); ok && inTableCell(m) {
				m.TeX = bytes.ReplaceAll(m.TeX, []byte(`\|`), []byte("|"))
			}
		}
		return
	}
	keys := make([]mathKey, len(nodes))
	for i, n := range nodes {
		switch v := n.(type) {
		case *mathInline:
			if inTableCell(v) {
				// GFM: \| in a table cell is a | (the cell splitter saw it).
				v.TeX = bytes.ReplaceAll(v.TeX, []byte(`\|`), []byte("|"))
			}
			v.TeX, v.prov = stripMarkBytes(v.TeX)
			keys[i] = mathKey{string(v.TeX), v.Display}
		case *mathBlock:
			tex, ids := stripMarkBytes(v.TeX(st.src))
			keys[i], v.prov = mathKey{string(tex), true}, ids
		}
	}
	results, err := renderKaTeX(st.doc.KaTeX.JS, keys)
	if err != nil {
		st.errorf(0, "KaTeX: %v", err)
		return
	}
	for i, n := range nodes {
		r := results[i]
		for _, w := range r.warnings {
			st.warnf("%s", w)
		}
		off := 0
		switch v := n.(type) {
		case *mathInline:
			v.html, off = r.html, v.Offset
		case *mathBlock:
			v.html, off = r.html, v.Offset
		}
		if r.err != "" {
			st.errorf(off, "math %q: %s", keys[i].tex, r.err)
			continue
		}
		st.usedKaTeX = true
	}
}

func inTableCell(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == east.KindTableCell {
			return true
		}
	}
	return false
}

// toc renders the table of contents: sections with their subsections
// nested.
func (st *state) toc() string {
	if len(st.tocs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<ol>\n")
	inSub := false
	for i, e := range st.tocs {
		b.WriteString(`<li><a href="#` + html.EscapeString(e.id) + `">`)
		if e.number != "" {
			b.WriteString(`<span class="secnum">` + e.number + `</span> `)
		}
		b.WriteString(strings.TrimSpace(inlineHTML(e.heading, st.src)))
		b.WriteString("</a>")
		next := -1
		if i+1 < len(st.tocs) {
			next = st.tocs[i+1].depth
		}
		switch {
		case e.depth == 0 && next == 1:
			b.WriteString("\n<ol>\n")
			inSub = true
		case inSub && next != 1:
			b.WriteString("</li>\n</ol>\n</li>\n")
			inSub = false
		default:
			b.WriteString("</li>\n")
		}
	}
	b.WriteString("</ol>\n")
	return b.String()
}
