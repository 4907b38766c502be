package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Table is a table of the report: the caller builds one from its results
// and gets both the GFM for the Markdown template (Markdown) and the CSV
// file exported next to the report (CSV).
type Table struct {
	Name    string // cross-reference name (@tbl:Name); "" for none
	Caption string // Markdown; "" for no caption (the table is then not numbered)
	Header  []string
	Rows    [][]string
	// Align holds one entry per column: "left", "right", "center" (or
	// "l", "r", "c"), or "" for automatic: right when every non-empty body
	// cell is a number (e.g. "0.0123", "-1.5e-3", "98.2%", "0.12 ± 0.01",
	// "NaN", "—"), left otherwise. Missing entries are automatic.
	Align []string
}

var (
	numCell   = `[-+−]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+−]?\d+)?\s*%?`
	numericRE = regexp.MustCompile(`^\(?` + numCell + `(?:\s*±\s*` + numCell + `)?\)?(?:[eE][-+−]?\d+)?$`)
	emphRE    = regexp.MustCompile(`^(?:\*\*(.+)\*\*|__(.+)__|\*(.+)\*|_(.+)_)$`)
)

// isNumeric reports whether a cell holds a number (emphasis markers aside).
func isNumeric(cell string) bool {
	cell = stripEmphasis(strings.TrimSpace(cell))
	switch cell {
	case "NaN", "Inf", "-Inf", "+Inf", "∞", "-∞", "—", "–", "-", "n/a", "NA":
		return true
	}
	return numericRE.MatchString(cell)
}

func stripEmphasis(s string) string {
	m := emphRE.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	return m[1] + m[2] + m[3] + m[4]
}

func (t Table) check() {
	if t.Name != "" && !nameRE.MatchString(t.Name) {
		panic(fmt.Sprintf("report: Table name %q: use letters, digits, '_' and '-'", t.Name))
	}
	if len(t.Header) == 0 {
		panic(fmt.Sprintf("report: Table %q has no header", t.Name))
	}
	for i, r := range t.Rows {
		if len(r) != len(t.Header) {
			panic(fmt.Sprintf("report: Table %q: row %d has %d cells, the header has %d", t.Name, i, len(r), len(t.Header)))
		}
	}
	if len(t.Align) > len(t.Header) {
		panic(fmt.Sprintf("report: Table %q: %d alignments for %d columns", t.Name, len(t.Align), len(t.Header)))
	}
}

// alignments resolves Align: 'l', 'r' or 'c' per column.
func (t Table) alignments() []byte {
	out := make([]byte, len(t.Header))
	for j := range t.Header {
		a := ""
		if j < len(t.Align) {
			a = t.Align[j]
		}
		switch a {
		case "left", "l":
			out[j] = 'l'
		case "right", "r":
			out[j] = 'r'
		case "center", "c":
			out[j] = 'c'
		case "":
			out[j] = 'l'
			numeric, any := true, false
			for _, r := range t.Rows {
				if strings.TrimSpace(r[j]) == "" {
					continue
				}
				any = true
				numeric = numeric && isNumeric(r[j])
			}
			if numeric && any {
				out[j] = 'r'
			}
		default:
			panic(fmt.Sprintf("report: Table %q: column %d: alignment %q (want left, right, center or \"\")", t.Name, j, a))
		}
	}
	return out
}

// escapeCell makes a cell safe inside a GFM table row: a | becomes \| (in
// math too: Render turns \| back into | inside table cells, as GFM does)
// and line breaks become spaces.
func escapeCell(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '|' && (i == 0 || s[i-1] != '\\') {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Markdown returns the table as GFM, preceded by its caption line
// "Table: Caption {#tbl:Name}" and a blank line, columns padded so that the
// source reads as a table. It panics if a row's length differs from the
// header's, if Name is not a valid name or an alignment is unknown.
func (t Table) Markdown() string {
	t.check()
	align := t.alignments()
	cells := make([][]string, 0, len(t.Rows)+1)
	for _, r := range append([][]string{t.Header}, t.Rows...) {
		row := make([]string, len(r))
		for j, c := range r {
			row[j] = escapeCell(c)
		}
		cells = append(cells, row)
	}
	width := make([]int, len(t.Header))
	for j := range width {
		width[j] = 3
		for _, r := range cells {
			width[j] = max(width[j], utf8.RuneCountInString(r[j]))
		}
	}
	var b strings.Builder
	if t.Caption != "" || t.Name != "" {
		b.WriteString("Table:")
		if c := strings.Join(strings.Fields(t.Caption), " "); c != "" {
			b.WriteString(" " + c)
		}
		if t.Name != "" {
			b.WriteString(" {#tbl:" + t.Name + "}")
		}
		b.WriteString("\n\n")
	}
	writeRow := func(r []string) {
		b.WriteString("|")
		for j, c := range r {
			pad := width[j] - utf8.RuneCountInString(c)
			left := 0
			switch align[j] {
			case 'r':
				left = pad
			case 'c':
				left = pad / 2
			}
			b.WriteString(" " + strings.Repeat(" ", left) + c + strings.Repeat(" ", pad-left) + " |")
		}
		b.WriteString("\n")
	}
	writeRow(cells[0])
	b.WriteString("|")
	for j, a := range align {
		d := strings.Repeat("-", width[j])
		switch a {
		case 'l':
			d = ":" + d[1:]
		case 'r':
			d = d[1:] + ":"
		case 'c':
			d = ":" + d[2:] + ":"
		}
		b.WriteString(" " + d + " |")
	}
	b.WriteString("\n")
	for _, r := range cells[1:] {
		writeRow(r)
	}
	return b.String()
}

// CSV returns the table as CSV (RFC 4180, "\n" line ends): the header, then
// the rows, cells as given except that a cell wholly in emphasis (**0.5**)
// loses the markers. It panics like Markdown.
func (t Table) CSV() []byte {
	t.check()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(t.Header)
	for _, r := range t.Rows {
		row := make([]string, len(r))
		for j, c := range r {
			row[j] = stripEmphasis(strings.TrimSpace(c))
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}
