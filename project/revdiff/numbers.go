package revdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// The numbers of the report that changed between A and B, marked in place
// in B's report (issue 26 §2).
//
// The report stage marks every number it inserts (report.Mark, see
// stages/provenance.go): in the page a <span class="num" data-prov="n12">,
// in tables/provenance.json an entry with the id, the text shown, the
// template action that printed it and, in a table, its row and column.
//
// How numbers of A and B are matched. The ids are not an identity: they are
// positional ("n" and the number's rank in the order the template printed
// them), so one number inserted early in the template shifts every later id,
// and two reports of the same template agree on them only while every action
// prints as many numbers as before. The template line is no better (a line
// added above shifts it). What stays put is the action as written
// ("{{sig .Terrain.OLS.TestMSE 3}}", without its line) and, for a table, the
// table, row and column of the cell. So numbers are matched in three passes,
// each over what the previous left unmatched, in the order each side printed
// them:
//
//  1. by action, table, row and column: the k-th number that key printed
//     in A with the k-th it printed in B (an action inside a range, or a
//     sentence of several numbers, prints several);
//  2. by action, table and column, in order: a row named by a number that
//     changed (a table of λ values when λ changed) still pairs its cells;
//  3. by order within the section of the page (the heading before the
//     number), only where both sides left as many numbers in that section:
//     an action rewritten between A and B.
//
// The entries' fields are not part of the identity: a number is traced to
// its fields by value, so a changed value may be traced elsewhere.

// provFile is the report stage's output listing its numbers.
const provFile = "tables/provenance.json"

// reportOutput is the report stage's page.
const reportOutput = "report.html"

// provEntry is what the diff reads of an entry of provenance.json.
type provEntry struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Text     string `json:"text"`
	Template string `json:"template"`
	Table    string `json:"table"`
	Row      string `json:"row"`
	Column   string `json:"column"`
	section  string
}

// action is the template action that printed the number, without its line:
// "templates/report.md:123 {{.X}}" is "templates/report.md {{.X}}".
func (e provEntry) action() string {
	file, rest, ok := strings.Cut(e.Template, " ")
	if !ok {
		return e.Template
	}
	if i := strings.LastIndexByte(file, ':'); i >= 0 {
		file = file[:i]
	}
	return file + " " + rest
}

// A NumberChange is a number of B's report whose text differs from its
// counterpart's in A.
type NumberChange struct {
	ID      string // in B's report
	A, B    string // as shown
	Section string // the id of the heading above it in B, "" before any
	Where   string // the table cell, or the template action
}

// Numbers is the comparison of the numbers of two reports.
type Numbers struct {
	Changed   []NumberChange
	Unchanged int
	New       []string // ids of B's numbers with no counterpart in A
	Removed   int      // A's numbers with no counterpart in B
}

// parseProvenance reads the number entries of provenance.json.
func parseProvenance(b []byte) ([]provEntry, error) {
	var p struct {
		Entries []provEntry `json:"entries"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", provFile, err)
	}
	var out []provEntry
	for _, e := range p.Entries {
		if e.Kind == "number" || e.Kind == "" {
			out = append(out, e)
		}
	}
	return out, nil
}

var (
	headingRE = regexp.MustCompile(`<h[1-6][^>]*\sid="([^"]*)"`)
	numSpanRE = regexp.MustCompile(`<span class="num" data-prov="([^"]*)"[^>]*>`)
)

// sections maps each number's id to the id of the last heading before its
// span in the page.
func sections(page []byte) map[string]string {
	out := map[string]string{}
	hs := headingRE.FindAllSubmatchIndex(page, -1)
	hi, cur := 0, ""
	for _, m := range numSpanRE.FindAllSubmatchIndex(page, -1) {
		for hi < len(hs) && hs[hi][0] < m[0] {
			cur = string(page[hs[hi][2]:hs[hi][3]])
			hi++
		}
		for _, id := range strings.Fields(html.UnescapeString(string(page[m[2]:m[3]]))) {
			out[id] = cur
		}
	}
	return out
}

// CompareNumbers matches the numbers of report A with those of report B
// (see the comment at the top of this file) and returns those whose text
// changed, in B's order.
func CompareNumbers(pageA, provA, pageB, provB []byte) (*Numbers, error) {
	ea, err := parseProvenance(provA)
	if err != nil {
		return nil, fmt.Errorf("report of A: %w", err)
	}
	eb, err := parseProvenance(provB)
	if err != nil {
		return nil, fmt.Errorf("report of B: %w", err)
	}
	sa, sb := sections(pageA), sections(pageB)
	for i := range ea {
		ea[i].section = sa[ea[i].ID]
	}
	for i := range eb {
		eb[i].section = sb[eb[i].ID]
	}
	match := make([]int, len(eb)) // index in ea, or -1
	for i := range match {
		match[i] = -1
	}
	usedA := make([]bool, len(ea))
	pass := func(key func(provEntry) string, sameCount bool) {
		// The unmatched numbers of each side by key, in order.
		byA, byB := map[string][]int{}, map[string][]int{}
		var keys []string
		for i, e := range ea {
			if !usedA[i] {
				byA[key(e)] = append(byA[key(e)], i)
			}
		}
		for i, e := range eb {
			if match[i] < 0 {
				k := key(e)
				if _, seen := byB[k]; !seen {
					keys = append(keys, k)
				}
				byB[k] = append(byB[k], i)
			}
		}
		for _, k := range keys {
			as, bs := byA[k], byB[k]
			if sameCount && len(as) != len(bs) {
				continue
			}
			for j := 0; j < len(as) && j < len(bs); j++ {
				match[bs[j]] = as[j]
				usedA[as[j]] = true
			}
		}
	}
	pass(func(e provEntry) string { return e.action() + "\x00" + e.Table + "\x00" + e.Row + "\x00" + e.Column }, false)
	pass(func(e provEntry) string { return e.action() + "\x00" + e.Table + "\x00" + e.Column }, false)
	pass(func(e provEntry) string { return e.section }, true)

	n := &Numbers{}
	for i, e := range eb {
		if match[i] < 0 {
			n.New = append(n.New, e.ID)
			continue
		}
		a := ea[match[i]]
		if a.Text == e.Text {
			n.Unchanged++
			continue
		}
		where := e.action()
		if _, src, ok := strings.Cut(where, " "); ok {
			where = src
		}
		if e.Table != "" {
			where = "table " + e.Table + ", row " + e.Row + ", column " + e.Column
		}
		n.Changed = append(n.Changed, NumberChange{ID: e.ID, A: a.Text, B: e.Text, Section: e.section, Where: where})
	}
	for _, u := range usedA {
		if !u {
			n.Removed++
		}
	}
	return n, nil
}

// Legend is one sentence of counts: how many numbers changed.
func (n *Numbers) Legend() string {
	s := diffPlural(len(n.Changed), "number", "numbers") + " of the report changed from A, " + fmt.Sprint(n.Unchanged) + " unchanged"
	if len(n.New) > 0 {
		s += fmt.Sprintf(", %d new in B", len(n.New))
	}
	if n.Removed > 0 {
		s += fmt.Sprintf(", %d of A not in B", n.Removed)
	}
	return s
}

// markedStyle is the style of the marks, added to the report's head.
const markedStyle = `<style id="repro-diff">
.repro-diff-legend { position: sticky; top: 0; z-index: 10; background: #fffbe6; border-bottom: 1px solid #e0c97f; padding: .4rem 1rem; font: 14px/1.4 system-ui, sans-serif; color: #222; }
.repro-diff-legend del, del.repro-was { background: #fde2e2; color: #8a1f1f; text-decoration: line-through; }
.repro-diff-legend ins, .num.repro-changed ins, .num.repro-changed.repro-math { background: #dcf5dc; color: #135c13; text-decoration: none; font-weight: 600; }
.num.repro-new { outline: 1px dashed #6a9; }
</style>
`

// MarkReport returns page B with every changed number of n marked old →
// new in place, a legend at the top of the body with the counts, and the
// style of the marks in the head. A number shown as plain text becomes
// <del>old</del> <ins>new</ins> (its span, and so its provenance popover,
// kept around the new); a number inside an expression (its span holds the
// rendered mathematics) gets <del>old</del> before it and the span is
// highlighted. labelA and labelB name the sides in the legend.
func MarkReport(pageB []byte, n *Numbers, labelA, labelB string) []byte {
	changed := map[string]NumberChange{}
	for _, c := range n.Changed {
		changed[c.ID] = c
	}
	isNew := map[string]bool{}
	for _, id := range n.New {
		isNew[id] = true
	}
	var out bytes.Buffer
	out.Grow(len(pageB) + len(pageB)/16)
	last := 0
	for _, m := range numSpanRE.FindAllSubmatchIndex(pageB, -1) {
		ids := strings.Fields(html.UnescapeString(string(pageB[m[2]:m[3]])))
		var olds []string
		for _, id := range ids {
			if c, ok := changed[id]; ok {
				olds = append(olds, c.A)
			}
		}
		if len(olds) == 0 {
			if len(ids) == 1 && isNew[ids[0]] {
				out.Write(pageB[last:m[0]])
				out.WriteString(`<span class="num repro-new"`)
				last = m[0] + len(`<span class="num"`)
			}
			continue
		}
		out.Write(pageB[last:m[0]])
		// The span's content, when it is plain text up to its </span>.
		rest := pageB[m[1]:]
		end := bytes.Index(rest, []byte("</span>"))
		plain := len(ids) == 1 && end >= 0 && !bytes.ContainsRune(rest[:end], '<')
		was := html.EscapeString(strings.Join(olds, ", "))
		if plain {
			fmt.Fprintf(&out, `<del class="repro-was" title="A: %s">%s</del> `, was, was)
			out.WriteString(`<span class="num repro-changed"`)
			out.Write(pageB[m[0]+len(`<span class="num"`) : m[1]])
			out.WriteString("<ins>")
			out.Write(rest[:end])
			out.WriteString("</ins>")
			last = m[1] + end
			continue
		}
		fmt.Fprintf(&out, `<del class="repro-was" title="A: %s">%s</del> `, was, was)
		out.WriteString(`<span class="num repro-changed repro-math"`)
		last = m[0] + len(`<span class="num"`)
	}
	out.Write(pageB[last:])
	page := out.Bytes()

	legend := fmt.Sprintf(`<div class="repro-diff-legend" role="note"><strong>repro diff</strong>: the report of B (%s), compared with A (%s): %s. Changed numbers show as <del>A</del> <ins>B</ins>.</div>
`, html.EscapeString(labelB), html.EscapeString(labelA), html.EscapeString(n.Legend()))
	page = insertAfterTag(page, "<body", legend)
	if i := bytes.Index(page, []byte("</head>")); i >= 0 {
		page = append(page[:i:i], append([]byte(markedStyle), page[i:]...)...)
	}
	return page
}

// insertAfterTag inserts s after the first tag named name ("<body"), or at
// the start when there is none.
func insertAfterTag(page []byte, name, s string) []byte {
	i := bytes.Index(page, []byte(name))
	if i >= 0 {
		if j := bytes.IndexByte(page[i:], '>'); j >= 0 {
			at := i + j + 1
			return append(page[:at:at], append([]byte(s), page[at:]...)...)
		}
	}
	return append([]byte(s), page...)
}
