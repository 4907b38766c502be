package report

import (
	"html"
	"strings"
)

// Provenance of numbers. The caller marks each number it inserts in the
// Markdown with Mark(id, text), which wraps the text in three characters of
// Unicode's private use area (never typed in prose, untouched by goldmark),
// and gives Document.Provenance[id], the plain text a reader sees when
// hovering, focusing or tapping the number. Render turns each mark into
//
//	<span class="num" data-prov="id" tabindex="0" title="...">text</span>
//
// in the prose, tables and captions. In math the marks are removed before
// KaTeX sees the TeX and the whole expression is wrapped instead
// (data-prov lists its ids); in attributes and inside an inline SVG (a
// figure's <title> and aria-label repeat its caption) they are removed.
// A figure whose name has an entry "fig:name" in Document.Provenance gets
// it on the download link of its caption. The visible text never changes.
const (
	markOpen  = '\uE000' // then the id
	markStart = '\uE001' // then the number's text
	markClose = '\uE002'
)

// Mark wraps text, a number as shown, with the provenance id id (letters,
// digits, '-', '_', ':' and '.').
func Mark(id, text string) string {
	return string(markOpen) + id + string(markStart) + text + string(markClose)
}

// StripMarks returns s without the marks of Mark (the text as shown) and the
// ids it held, in order.
func StripMarks(s string) (string, []string) {
	if !strings.ContainsAny(s, string([]rune{markOpen, markStart, markClose})) {
		return s, nil
	}
	var b strings.Builder
	var ids []string
	for {
		i := strings.IndexRune(s, markOpen)
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		s = s[i+len(string(markOpen)):]
		j := strings.IndexRune(s, markStart)
		if j < 0 {
			break
		}
		ids = append(ids, s[:j])
		s = s[j+len(string(markStart)):]
	}
	b.WriteString(s)
	return strings.ReplaceAll(b.String(), string(markClose), ""), ids
}

func stripMarkBytes(b []byte) ([]byte, []string) {
	s, ids := StripMarks(string(b))
	if ids == nil {
		return b, nil
	}
	return []byte(s), ids
}

// provSpan opens the span of the numbers with ids ids.
func (st *state) provSpan(ids []string) string {
	var title []string
	for _, id := range ids {
		if t := st.doc.Provenance[id]; t != "" {
			title = append(title, t)
		}
	}
	return `<span class="num" data-prov="` + html.EscapeString(strings.Join(ids, " ")) + `" tabindex="0"` + titleAttr(strings.Join(title, "\n\n")) + `>`
}

func titleAttr(t string) string {
	if t == "" {
		return ""
	}
	return ` title="` + strings.ReplaceAll(html.EscapeString(t), "\n", "&#10;") + `"`
}

// applyMarks turns the marks left in the rendered body into spans (in text)
// or removes them (inside a tag, an inline SVG, a <script> or <style>).
func (st *state) applyMarks(body string) string {
	if !strings.ContainsAny(body, string([]rune{markOpen, markStart, markClose})) {
		return body
	}
	var b strings.Builder
	b.Grow(len(body) + len(body)/8)
	hidden := 0 // depth of <svg>, <script>, <style>
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '<':
			end := strings.IndexByte(body[i:], '>')
			if end < 0 {
				end = len(body) - i - 1
			}
			tag := body[i : i+end+1]
			clean, _ := StripMarks(tag)
			b.WriteString(clean)
			name := strings.ToLower(strings.TrimLeft(tagName(tag), "/"))
			if name == "svg" || name == "script" || name == "style" {
				switch {
				case strings.HasPrefix(tag, "</"):
					hidden = max(0, hidden-1)
				case !strings.HasSuffix(tag, "/>"):
					hidden++
				}
			}
			i += end + 1
		case strings.HasPrefix(body[i:], string(markOpen)):
			rest := body[i+len(string(markOpen)):]
			j := strings.IndexRune(rest, markStart)
			if j < 0 {
				i += len(string(markOpen))
				continue
			}
			if hidden == 0 {
				b.WriteString(st.provSpan([]string{rest[:j]}))
			}
			i += len(string(markOpen)) + j + len(string(markStart))
		case strings.HasPrefix(body[i:], string(markClose)):
			if hidden == 0 {
				b.WriteString("</span>")
			}
			i += len(string(markClose))
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func tagName(tag string) string {
	s := strings.TrimPrefix(tag, "<")
	end := strings.IndexAny(s, " \t\r\n/>")
	if strings.HasPrefix(s, "/") {
		end = strings.IndexAny(s[1:], " \t\r\n/>")
		if end >= 0 {
			end++
		}
	}
	if end < 0 {
		return s
	}
	return s[:end]
}
