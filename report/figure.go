package report

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"image"
	_ "image/gif" // DecodeConfig of GIF figures
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// kindFigure is the node kind of a numbered figure.
var kindFigure = ast.NewNodeKind("Figure")

// figure is a numbered figure made from a paragraph holding only
// ![caption](fig:name). Its children are the caption's inline content.
type figure struct {
	ast.BaseBlock
	Name   string
	Offset int

	number int
	media  string // the SVG or <img> HTML
	wide   bool   // aspect ratio >= wideAspect: may use the full width
	// downloads is the caption's download links; minWidth the width in
	// CSS pixels below which the figure scrolls instead of shrinking.
	downloads string
	minWidth  int
}

// proseWidthPx is the prose column's width in CSS pixels (--prose in
// style.css at 16 px per rem): a figure wider than that, drawn at one pixel
// per SVG unit, uses the wide column.
const proseWidthPx = 38 * 16

// wideInnerPx is the width inside a wide figure's frame (--wide, 60 rem,
// less the frame's padding and border): a figure wider than that scrolls
// on every screen.
const wideInnerPx = 930 // 60 rem less the frame and margins, measured

// figureDownloads returns the links of a figure's caption: the figure
// itself (SVG or image) and the CSV of its data, as data: URIs. prov, if
// not empty, is the figure's provenance, shown on its first link.
func figureDownloads(name string, data, csv []byte, prov string) string {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	mime, ext := "image/svg+xml", "svg"
	if !bytes.HasPrefix(trimmed, []byte("<")) {
		mime = http.DetectContentType(data)
		ext = strings.TrimPrefix(mime, "image/")
	}
	var b strings.Builder
	b.WriteString(`<span class="downloads">`)
	attrs := ""
	if prov != "" {
		attrs = ` data-prov="fig:` + html.EscapeString(name) + `"` + titleAttr(prov)
	}
	fmt.Fprintf(&b, `<a class="download dl-figure" href="data:%s;base64,%s" download="%s.%s"%s>%s</a>`,
		mime, base64.StdEncoding.EncodeToString(data), html.EscapeString(name), ext, attrs, strings.ToUpper(ext))
	if len(csv) > 0 {
		fmt.Fprintf(&b, ` <a class="download dl-data" href="data:text/csv;charset=utf-8;base64,%s" download="%s.csv">data (CSV)</a>`,
			base64.StdEncoding.EncodeToString(csv), html.EscapeString(name))
	}
	b.WriteString(`</span>`)
	return b.String()
}

// svgWidth is the width of an SVG document's viewBox (or its width
// attribute in pixels), 0 if it is not an SVG or has none.
func svgWidth(data []byte) float64 {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte("<")) {
		return 0
	}
	toks, err := tokenizeSVG(trimmed)
	if err != nil {
		return 0
	}
	for i := range toks {
		t := &toks[i]
		if t.kind != tokStart || t.name != "svg" {
			continue
		}
		if vb, ok := t.attr("viewBox"); ok {
			f := strings.Fields(strings.ReplaceAll(vb, ",", " "))
			if len(f) == 4 {
				if w, err := strconv.ParseFloat(f[2], 64); err == nil && w > 0 {
					return w
				}
			}
		}
		if w, ok := t.attr("width"); ok {
			if px, ok := lengthPx(w); ok {
				return px
			}
		}
		return 0
	}
	return 0
}

// wideAspect is the width/height ratio from which a figure is "wide": it
// may extend beyond the prose column (class "figure wide"). Others are
// scaled to the prose width.
const wideAspect = 1.8

// Kind implements ast.Node.
func (n *figure) Kind() ast.NodeKind { return kindFigure }

// Dump implements ast.Node.
func (n *figure) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Name": n.Name}, nil)
}

// figureMedia returns the HTML for one figure's bytes: inline SVG, or an
// <img> with a data: URI for raster images; and the figure's aspect ratio
// (width / height, 0 if unknown). id is the figure's element id, used to
// make ids inside an SVG unique; alt is the caption as plain text.
func figureMedia(id string, data []byte, alt string) (string, float64, error) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("<")) {
		return inlineSVG(id, trimmed, alt)
	}
	mime := http.DetectContentType(data)
	switch mime {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return "", 0, fmt.Errorf("neither SVG nor PNG/JPEG/GIF/WebP (detected %s)", mime)
	}
	var size string
	var aspect float64
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		size = fmt.Sprintf(` width="%d" height="%d"`, cfg.Width, cfg.Height)
		if cfg.Height > 0 {
			aspect = float64(cfg.Width) / float64(cfg.Height)
		}
	} else if mime != "image/webp" {
		return "", 0, fmt.Errorf("%s: %v", mime, err)
	}
	return fmt.Sprintf(`<img class="figure-img" src="data:%s;base64,%s" alt="%s"%s>`,
		mime, base64.StdEncoding.EncodeToString(data), html.EscapeString(alt), size), aspect, nil
}

// svgToken is one piece of an SVG document.
type svgToken struct {
	kind  int // tokText, tokStart, tokEnd, tokDrop (comment, PI, doctype), tokCDATA
	raw   []byte
	name  string
	attrs []svgAttr
	empty bool // <x/>
}

type svgAttr struct {
	name, value string
	quote       byte
}

const (
	tokText = iota
	tokStart
	tokEnd
	tokDrop
	tokCDATA
)

var errSVG = errors.New("malformed SVG")

// tokenizeSVG splits an XML document into tokens. It is not a validating
// parser (encoding/xml checks well-formedness first); it keeps the bytes it
// does not need to change.
func tokenizeSVG(b []byte) ([]svgToken, error) {
	var toks []svgToken
	for len(b) > 0 {
		if b[0] != '<' {
			i := bytes.IndexByte(b, '<')
			if i < 0 {
				i = len(b)
			}
			toks = append(toks, svgToken{kind: tokText, raw: b[:i]})
			b = b[i:]
			continue
		}
		var end int
		switch {
		case bytes.HasPrefix(b, []byte("<!--")):
			end = bytes.Index(b, []byte("-->"))
			if end < 0 {
				return nil, errSVG
			}
			toks = append(toks, svgToken{kind: tokDrop, raw: b[:end+3]})
			b = b[end+3:]
		case bytes.HasPrefix(b, []byte("<![CDATA[")):
			end = bytes.Index(b, []byte("]]>"))
			if end < 0 {
				return nil, errSVG
			}
			toks = append(toks, svgToken{kind: tokCDATA, raw: b[:end+3]})
			b = b[end+3:]
		case bytes.HasPrefix(b, []byte("<?")):
			end = bytes.Index(b, []byte("?>"))
			if end < 0 {
				return nil, errSVG
			}
			toks = append(toks, svgToken{kind: tokDrop, raw: b[:end+2]})
			b = b[end+2:]
		case bytes.HasPrefix(b, []byte("<!")):
			// DOCTYPE, possibly with an internal subset [...].
			depth, i := 0, 2
			for ; i < len(b); i++ {
				if b[i] == '[' {
					depth++
				} else if b[i] == ']' {
					depth--
				} else if b[i] == '>' && depth <= 0 {
					break
				}
			}
			if i >= len(b) {
				return nil, errSVG
			}
			toks = append(toks, svgToken{kind: tokDrop, raw: b[:i+1]})
			b = b[i+1:]
		case bytes.HasPrefix(b, []byte("</")):
			end = bytes.IndexByte(b, '>')
			if end < 0 {
				return nil, errSVG
			}
			toks = append(toks, svgToken{kind: tokEnd, raw: b[:end+1]})
			b = b[end+1:]
		default:
			t, n, err := parseStartTag(b)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			b = b[n:]
		}
	}
	return toks, nil
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// parseStartTag parses "<name attr="v" ...>" or ".../>" at the start of b.
func parseStartTag(b []byte) (svgToken, int, error) {
	t := svgToken{kind: tokStart}
	i := 1
	for i < len(b) && !isXMLSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	t.name = string(b[1:i])
	if t.name == "" {
		return t, 0, errSVG
	}
	for {
		for i < len(b) && isXMLSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return t, 0, errSVG
		}
		if b[i] == '>' {
			t.raw = b[:i+1]
			return t, i + 1, nil
		}
		if b[i] == '/' {
			if i+1 < len(b) && b[i+1] == '>' {
				t.empty = true
				t.raw = b[:i+2]
				return t, i + 2, nil
			}
			return t, 0, errSVG
		}
		j := i
		for j < len(b) && !isXMLSpace(b[j]) && b[j] != '=' && b[j] != '>' && b[j] != '/' {
			j++
		}
		name := string(b[i:j])
		for j < len(b) && isXMLSpace(b[j]) {
			j++
		}
		if name == "" || j >= len(b) || b[j] != '=' {
			return t, 0, errSVG
		}
		j++
		for j < len(b) && isXMLSpace(b[j]) {
			j++
		}
		if j >= len(b) || (b[j] != '"' && b[j] != '\'') {
			return t, 0, errSVG
		}
		q := b[j]
		k := bytes.IndexByte(b[j+1:], q)
		if k < 0 {
			return t, 0, errSVG
		}
		t.attrs = append(t.attrs, svgAttr{name: name, value: string(b[j+1 : j+1+k]), quote: q})
		i = j + 1 + k + 1
	}
}

func (t svgToken) write(w *bytes.Buffer) {
	if t.kind != tokStart {
		w.Write(t.raw)
		return
	}
	w.WriteByte('<')
	w.WriteString(t.name)
	for _, a := range t.attrs {
		q := a.quote
		if q == 0 {
			q = '"'
		}
		w.WriteByte(' ')
		w.WriteString(a.name)
		w.WriteByte('=')
		w.WriteByte(q)
		w.WriteString(a.value)
		w.WriteByte(q)
	}
	if t.empty {
		w.WriteString("/>")
	} else {
		w.WriteByte('>')
	}
}

func (t *svgToken) attr(name string) (string, bool) {
	for _, a := range t.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

func (t *svgToken) removeAttr(keep func(name string) bool) {
	out := t.attrs[:0]
	for _, a := range t.attrs {
		if keep(a.name) {
			out = append(out, a)
		}
	}
	t.attrs = out
}

var urlRefRE = regexp.MustCompile(`url\(\s*['"]?#([^'")\s]+)['"]?\s*\)`)

// lengthRE parses an SVG length: number and unit.
var lengthRE = regexp.MustCompile(`^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|in|cm|mm)?\s*$`)

// pxPerUnit converts absolute CSS units to px (user units).
var pxPerUnit = map[string]float64{"": 1, "px": 1, "pt": 4.0 / 3, "pc": 16, "in": 96, "cm": 96 / 2.54, "mm": 96 / 25.4}

func lengthPx(s string) (float64, bool) {
	m := lengthRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v * pxPerUnit[m[2]], true
}

// inlineSVG prepares an SVG document for inlining into HTML:
//   - the XML prolog, doctype, comments and processing instructions go;
//   - every id gets the prefix id+"-" and so do the references to it
//     (href="#x", xlink:href="#x", url(#x) in attributes, style text and
//     CDATA), so that two figures never clash;
//   - the root loses width, height and the xmlns attributes (meaningless in
//     HTML) and gains a viewBox if it had none (computed from width and
//     height in absolute units), role="img", aria-label and a <title>, so
//     CSS can scale it to the column (width: 100%; height: auto).
func inlineSVG(id string, data []byte, alt string) (string, float64, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			return "", 0, fmt.Errorf("malformed SVG: %v", err)
		}
	}
	toks, err := tokenizeSVG(data)
	if err != nil {
		return "", 0, err
	}
	root := -1
	ids := map[string]bool{}
	for i := range toks {
		t := &toks[i]
		if t.kind != tokStart {
			continue
		}
		if root < 0 {
			root = i
		}
		if v, ok := t.attr("id"); ok {
			ids[v] = true
		}
	}
	if root < 0 || toks[root].name != "svg" || toks[root].empty {
		return "", 0, errors.New("not an SVG document (no <svg> root element)")
	}
	prefix := id + "-"
	fixURLs := func(s string) string {
		return urlRefRE.ReplaceAllStringFunc(s, func(m string) string {
			sub := urlRefRE.FindStringSubmatch(m)
			if !ids[sub[1]] {
				return m
			}
			return "url(#" + prefix + sub[1] + ")"
		})
	}
	for i := range toks {
		t := &toks[i]
		switch t.kind {
		case tokText, tokCDATA:
			if bytes.Contains(t.raw, []byte("url(")) {
				t.raw = []byte(fixURLs(string(t.raw)))
			}
		case tokStart:
			for k := range t.attrs {
				a := &t.attrs[k]
				switch {
				case a.name == "id":
					a.value = prefix + a.value
				case (a.name == "href" || a.name == "xlink:href") && strings.HasPrefix(a.value, "#") && ids[a.value[1:]]:
					a.value = "#" + prefix + a.value[1:]
				case strings.Contains(a.value, "url("):
					a.value = fixURLs(a.value)
				}
			}
		}
	}

	r := &toks[root]
	w, hasW := r.attr("width")
	h, hasH := r.attr("height")
	if _, ok := r.attr("viewBox"); !ok {
		wp, okW := lengthPx(w)
		hp, okH := lengthPx(h)
		if !hasW || !hasH || !okW || !okH {
			return "", 0, fmt.Errorf("SVG has no viewBox and no absolute width and height (width=%q height=%q): cannot scale it", w, h)
		}
		r.attrs = append(r.attrs, svgAttr{name: "viewBox", value: "0 0 " + fmtNum(wp) + " " + fmtNum(hp)})
	}
	r.removeAttr(func(name string) bool {
		return name != "width" && name != "height" && name != "xmlns" &&
			!strings.HasPrefix(name, "xmlns:") && name != "role" && name != "aria-label"
	})
	class := "figure-svg"
	if c, ok := r.attr("class"); ok {
		class = c + " " + class
		r.removeAttr(func(name string) bool { return name != "class" })
	}
	escAlt := html.EscapeString(alt)
	r.attrs = append(r.attrs,
		svgAttr{name: "class", value: class},
		svgAttr{name: "role", value: "img"},
		svgAttr{name: "aria-label", value: escAlt})

	var out bytes.Buffer
	for i := root; i < len(toks); i++ {
		t := toks[i]
		if t.kind == tokDrop {
			continue
		}
		t.write(&out)
		if i == root {
			out.WriteString("<title>" + escAlt + "</title>")
		}
	}
	return string(bytes.TrimSpace(out.Bytes())), viewBoxAspect(r), nil
}

// viewBoxAspect is the width / height of an <svg>'s viewBox, 0 if unknown.
func viewBoxAspect(t *svgToken) float64 {
	vb, _ := t.attr("viewBox")
	f := strings.FieldsFunc(vb, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == '\r' })
	if len(f) != 4 {
		return 0
	}
	w, err1 := strconv.ParseFloat(f[2], 64)
	h, err2 := strconv.ParseFloat(f[3], 64)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0
	}
	return w / h
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
