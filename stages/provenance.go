package stages

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"
	"unicode/utf8"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/report"
)

// The provenance of every number the report's template inserts, and of every
// figure.
//
// Before the template runs, every action that prints ({{.X}}, {{sig .Y 3}},
// {{table "t"}}, {{.Sentence}}) gets a last command "mark N ." appended:
// mark receives what the action printed and the dot it ran with, finds the
// numbers in it (outside code, cross-references, ids and HTML), and wraps
// each with report.Mark, recording an entry: the stages and outputs it
// comes from (by the sha256 of the output, the line the report's key has
// for it), the fields, how it was aggregated, and the template line. A
// number is traced to its fields by value: among the results the action
// reads (its field chains, or for a method of reportData the fields its code
// reaches, provDeps), the values that equal it to the precision shown. A
// number no such value equals is computed (a distance, an interval, a
// count) and names the stages it is computed from.
//
// The entries go into the page (report.Document.Provenance: a title on the
// number, shown by layout.html's popover) and into provenance.json beside
// the tables.

// ProvFile is the report stage's output (exported to report/) listing the
// provenance of every number and figure.
const ProvFile = "tables/provenance.json"

// ProvStage is one stage output a number or figure comes from.
type ProvStage struct {
	Stage  string `json:"stage"`
	Output string `json:"output"`           // "value", "figure.svg", or a file's path
	SHA256 string `json:"sha256,omitempty"` // of the output, as the lock records it
}

// ProvField is one value a number equals, to the precision shown.
type ProvField struct {
	Stage string `json:"stage"`
	Path  string `json:"path"`            // in the stage's output value, e.g. "Best.MeanVal", "Runs[*].TestAcc"
	Agg   string `json:"agg,omitempty"`   // "mean over 5", "sd over 5"; empty for a single value
	Value any    `json:"value,omitempty"` // the value itself
}

// ProvEntry is one number or figure of the report.
type ProvEntry struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"` // "number" or "figure"
	Text   string    `json:"text"` // as shown (a figure: its name)
	Values []float64 `json:"values,omitempty"`
	// Stages are the stages whose outputs the number was found in
	// (Fields) or, when it is computed, whose outputs the code that
	// computes it reads (Provenance.Outputs has their hashes).
	Stages []string    `json:"stages"`
	stages []ProvStage // the same, with their outputs
	Fields []ProvField `json:"fields,omitempty"`
	// Computed is true when no value of the results equals the number: it
	// was computed from them by the template action (an interval, a count,
	// a distance).
	Computed    bool   `json:"computed,omitempty"`
	Aggregation string `json:"aggregation,omitempty"`
	// Template is the template line and the action that inserted the
	// number; Table, Row and Column place a number in a table.
	Template string `json:"template,omitempty"`
	Table    string `json:"table,omitempty"`
	Row      string `json:"row,omitempty"`
	Column   string `json:"column,omitempty"`
}

// Provenance is provenance.json.
type Provenance struct {
	Profile string `json:"profile"`
	Seeds   int    `json:"seeds"`
	// Outputs maps each stage the entries name to the sha256 of each of
	// its outputs they read (a file: its path to its sha256; the report's
	// own parameters: "parameters" to "").
	Outputs map[string]map[string]string `json:"outputs"`
	Entries []ProvEntry                  `json:"entries"`
}

// provRoot is a field of reportData read from the report's inputs.
type provRoot struct {
	name    string
	sources []ProvStage // one per element for a slice of inputs
	slice   bool
}

// provLeaf is one number inside the results.
type provLeaf struct {
	root  int
	elem  int    // element of a slice root, -1 if none
	path  string // inside the element's value
	bare  string // path without indices, for prefix matching
	v     float64
	isInt bool
	agg   string
	elemt bool // an element of a slice or array of numbers (a curve, a matrix, per-seed values)
}

// provAction is an action of the template that prints.
type provAction struct {
	line     int
	src      string   // the action as written
	fn       string   // its first function ("sig", "table", ...), "" for a field or method
	chains   []string // field chains it reads, from the root: "Reg[].BestVal", "SGD.Best"
	methods  []string // methods of reportData it calls
	dotChain string   // the dot's chain ("Reg[]" inside {{range .Reg}})
	skip     bool     // prints no result (parameters' YAML, code, ids)
	cands    *provCands
}

// provenance collects the entries of one report.
type provenance struct {
	d       *reportData
	roots   []provRoot
	byName  map[string]int
	leaves  []provLeaf
	actions []provAction
	entries []ProvEntry
	text    map[string]string // id -> title
	seeds   int
}

// provAlias are fields of reportData made from others.
var provAlias = map[string][]string{"Data": {"Terrain", "Digits", "Pub"}}

// maxLeafSlice bounds the slices whose elements count as results: longer
// ones are data (pixels, per-epoch curves, predictions) and are skipped.
const maxLeafSlice = 64

// newProvenance indexes the results the report reads.
func newProvenance(d *reportData, in ReportInput) *provenance {
	pv := &provenance{d: d, byName: map[string]int{}, text: map[string]string{}, seeds: d.P.Seeds}
	iv := reflect.ValueOf(in)
	dv := reflect.ValueOf(d).Elem()
	for i := 0; i < iv.NumField(); i++ {
		f, name := iv.Field(i), iv.Type().Field(i).Name
		if name == "Published" {
			name = "Pub"
		}
		if !dv.FieldByName(name).IsValid() {
			continue // templates, figures, KaTeX
		}
		r := provRoot{name: name}
		if f.Kind() == reflect.Slice {
			r.slice = true
			for j := 0; j < f.Len(); j++ {
				r.sources = append(r.sources, inputSource(f.Index(j)))
			}
		} else {
			r.sources = []ProvStage{inputSource(f)}
		}
		pv.byName[name] = len(pv.roots)
		pv.roots = append(pv.roots, r)
	}
	pv.byName["P"] = len(pv.roots)
	pv.roots = append(pv.roots, provRoot{name: "P", sources: []ProvStage{{Stage: "report", Output: "parameters"}}})
	for ri, r := range pv.roots {
		v := dv.FieldByName(r.name)
		if r.slice {
			for j := 0; j < v.Len(); j++ {
				pv.walk(ri, j, v.Index(j), "")
			}
		} else {
			pv.walk(ri, -1, v, "")
		}
	}
	return pv
}

// inputSource names an input: a stage's decoded output (In[T]) or a file.
func inputSource(v reflect.Value) ProvStage {
	if f, ok := v.Interface().(pipeline.File); ok {
		name := f.Name
		if name == "" {
			name = f.Path
		}
		return ProvStage{Stage: name, Output: "file", SHA256: pipeline.HashBytes(f.Data)}
	}
	name := v.MethodByName("Name").Call(nil)[0].String()
	// The engine stored json.Marshal of the value and decoded it strictly:
	// encoding it again gives the same bytes, so the same hash.
	b, err := json.Marshal(v.FieldByName("Value").Interface())
	s := ProvStage{Stage: name, Output: "value"}
	if err == nil {
		s.SHA256 = pipeline.HashBytes(b)
	}
	return s
}

func (pv *provenance) add(root, elem int, path string, x float64, isInt bool, agg string) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return
	}
	pv.leaves = append(pv.leaves, provLeaf{root: root, elem: elem, path: path, bare: bareRE.ReplaceAllString(path, ""), v: x, isInt: isInt, agg: agg,
		elemt: agg == "" && strings.HasSuffix(path, "]")})
}

var bareRE = regexp.MustCompile(`\[[^\]]*\]`)

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// walk indexes the numbers of v, and the mean and sd of values over seeds:
// of slices of numbers, and of each numeric field of slices of structs, as
// long as the seeds.
func (pv *provenance) walk(root, elem int, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			pv.walk(root, elem, v.Elem(), path)
		}
	case reflect.Float32, reflect.Float64:
		pv.add(root, elem, path, v.Float(), false, "")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		pv.add(root, elem, path, float64(v.Int()), true, "")
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		pv.add(root, elem, path, float64(v.Uint()), true, "")
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			p := joinPath(path, f.Name)
			if f.Anonymous {
				p = path
			}
			pv.walk(root, elem, v.Field(i), p)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			pv.walk(root, elem, v.MapIndex(k), fmt.Sprintf("%s[%v]", path, k))
		}
	case reflect.Slice, reflect.Array:
		n := v.Len()
		if n > maxLeafSlice || v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < n; i++ {
			pv.walk(root, elem, v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		if n < 2 || n != pv.seeds {
			return // only values over seeds are aggregated
		}
		agg := func(p string, get func(i int) (float64, bool)) {
			xs := make([]float64, 0, n)
			for i := 0; i < n; i++ {
				x, ok := get(i)
				if !ok {
					return
				}
				xs = append(xs, x)
			}
			m, sd := meanSD(xs)
			pv.add(root, elem, p, m, false, fmt.Sprintf("mean over %d", n))
			pv.add(root, elem, p, sd, false, fmt.Sprintf("sd over %d", n))
		}
		et := v.Type().Elem()
		switch {
		case isNumKind(et.Kind()):
			agg(path+"[*]", func(i int) (float64, bool) { return numOf(v.Index(i)) })
		case et.Kind() == reflect.Struct:
			for f := 0; f < et.NumField(); f++ {
				if !et.Field(f).IsExported() || !isNumKind(et.Field(f).Type.Kind()) {
					continue
				}
				agg(path+"[*]."+et.Field(f).Name, func(i int) (float64, bool) { return numOf(v.Index(i).Field(f)) })
			}
		}
	}
}

func isNumKind(k reflect.Kind) bool {
	switch k {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func numOf(v reflect.Value) (float64, bool) {
	switch {
	case v.CanFloat():
		return v.Float(), true
	case v.CanInt():
		return float64(v.Int()), true
	case v.CanUint():
		return float64(v.Uint()), true
	}
	return 0, false
}

// instrument appends "mark N ." to every action of t that prints, and
// records what each reads.
func (pv *provenance) instrument(t *template.Template) {
	tree := t.Tree
	var walk func(n parse.Node, dot string)
	walk = func(n parse.Node, dot string) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for i, c := range n.Nodes {
				if a, ok := c.(*parse.ActionNode); ok && i > 0 && idContext(n.Nodes[i-1]) {
					a.Pipe.Cmds = append(a.Pipe.Cmds, markCmd(-1)) // a name, not a number
					continue
				}
				walk(c, dot)
			}
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 {
				return
			}
			a := provAction{src: n.String(), dotChain: dot}
			loc, _ := tree.ErrorContext(n)
			if parts := strings.Split(loc, ":"); len(parts) >= 2 {
				a.line, _ = strconv.Atoi(parts[1])
			}
			if len(n.Pipe.Cmds) > 0 && len(n.Pipe.Cmds[0].Args) > 0 {
				if id, ok := n.Pipe.Cmds[0].Args[0].(*parse.IdentifierNode); ok {
					a.fn = id.Ident
				}
			}
			pv.reads(&a, n.Pipe, dot)
			a.skip = a.fn == "fence" || a.fn == "code" || a.fn == "verbatim" || slices.Contains(a.chains, "P.ParamsYAML")
			pv.actions = append(pv.actions, a)
			n.Pipe.Cmds = append(n.Pipe.Cmds, markCmd(len(pv.actions)-1))
		case *parse.IfNode:
			walk(n.List, dot)
			walk(n.ElseList, dot)
		case *parse.WithNode:
			walk(n.List, pipeChain(n.Pipe, dot))
			walk(n.ElseList, dot)
		case *parse.RangeNode:
			walk(n.List, pipeChain(n.Pipe, dot)+"[]")
			walk(n.ElseList, dot)
		}
	}
	walk(tree.Root, "")
}

// markCmd is the command "mark id ." (id -1: print as is).
func markCmd(id int) *parse.CommandNode {
	n := &parse.NumberNode{NodeType: parse.NodeNumber, IsInt: true, IsFloat: true, Int64: int64(id), Float64: float64(id), Text: strconv.Itoa(id)}
	if id >= 0 {
		n.IsUint, n.Uint64 = true, uint64(id)
	}
	return &parse.CommandNode{NodeType: parse.NodeCommand, Args: []parse.Node{parse.NewIdentifier("mark"), n, &parse.DotNode{NodeType: parse.NodeDot}}}
}

// idContext reports whether what an action prints after the text node n is
// a name: a figure's (fig:), a link target, an id or a cross-reference.
func idContext(n parse.Node) bool {
	t, ok := n.(*parse.TextNode)
	if !ok {
		return false
	}
	s := string(t.Text)
	for _, suf := range []string{"fig:", "tbl:", "sec:", "](", "{#", "#"} {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// pipeChain is the chain of a pipeline that is one field chain (".Reg",
// "."), "?" otherwise.
func pipeChain(p *parse.PipeNode, dot string) string {
	if len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return "?"
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return joinPath(dot, strings.Join(a.Ident, "."))
	case *parse.VariableNode:
		if a.Ident[0] == "$" {
			return strings.Join(a.Ident[1:], ".")
		}
	}
	return "?"
}

// reads records the field chains and methods a pipeline reads.
func (pv *provenance) reads(a *provAction, p *parse.PipeNode, dot string) {
	dt := reflect.TypeOf(pv.d)
	addChain := func(c string) {
		if c == "" || c == "?" || strings.HasPrefix(c, "?") {
			return
		}
		root, _, _ := strings.Cut(c, ".")
		root, _, _ = strings.Cut(root, "[")
		if _, ok := dt.MethodByName(root); ok {
			if !slices.Contains(a.methods, root) {
				a.methods = append(a.methods, root)
			}
			return
		}
		if !slices.Contains(a.chains, c) {
			a.chains = append(a.chains, c)
		}
	}
	var node func(n parse.Node)
	node = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.DotNode:
			addChain(dot)
		case *parse.FieldNode:
			addChain(joinPath(dot, strings.Join(n.Ident, ".")))
		case *parse.VariableNode:
			if n.Ident[0] == "$" && len(n.Ident) > 1 {
				addChain(strings.Join(n.Ident[1:], "."))
			}
		case *parse.ChainNode:
			if inner, ok := n.Node.(*parse.PipeNode); ok {
				c := pipeChain(indexless(inner), dot)
				if c != "?" {
					addChain(c + "[]." + strings.Join(n.Field, "."))
				}
				for _, cmd := range inner.Cmds {
					for _, arg := range cmd.Args {
						node(arg)
					}
				}
			}
		case *parse.PipeNode:
			for _, cmd := range n.Cmds {
				for _, arg := range cmd.Args {
					node(arg)
				}
			}
		}
	}
	node(p)
}

// indexless turns (index X N) into X, for chains like (index .Cls.Panels 0).Best.
func indexless(p *parse.PipeNode) *parse.PipeNode {
	if len(p.Cmds) == 1 && len(p.Cmds[0].Args) >= 2 {
		if id, ok := p.Cmds[0].Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
			return &parse.PipeNode{NodeType: parse.NodePipe, Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand, Args: p.Cmds[0].Args[1:2]}}}
		}
	}
	return p
}

// literal is text a template action prints whose digits are none of the
// results (a formula's constants, say): mark prints it as it is.
type literal string

// mark is the template function appended to every printing action.
func (pv *provenance) mark(action int, dot, v any) string {
	s := fmt.Sprint(v)
	if _, ok := v.(literal); ok || action < 0 || action >= len(pv.actions) || pv.actions[action].skip {
		return s
	}
	a := &pv.actions[action]
	elem := pv.dotElem(a.dotChain, dot)
	var table string
	if a.fn == "table" {
		if n, ok := tableName(a.src); ok {
			table = n
		}
	}
	qs := findNumbers(s)
	if len(qs) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	es := make([]ProvEntry, len(qs))
	for i, q := range qs {
		es[i] = pv.resolve(a, elem, q)
		if table != "" {
			es[i].Table = table
			es[i].Row, es[i].Column = tableCell(s, q.start)
		}
	}
	if table != "" {
		narrowByRow(es)
	}
	for i, q := range qs {
		e := es[i]
		e.ID = fmt.Sprintf("n%d", len(pv.entries)+1)
		pv.entries = append(pv.entries, e)
		pv.text[e.ID] = e.title()
		b.WriteString(s[last:q.start])
		b.WriteString(report.Mark(e.ID, s[q.start:q.end]))
		last = q.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// narrowByRow gives a computed number of a table row the stages its row's
// other numbers were found in, one stage each (not a file nor the report's
// parameters), when there are any: a row is one method's. (A sentence is
// not: it may compare two methods, one of whose numbers are all computed.)
func narrowByRow(es []ProvEntry) {
	rows := map[string][]ProvStage{}
	for _, e := range es {
		if e.Computed || e.Row == "" || len(e.stages) != 1 || e.stages[0].Output != "value" {
			continue
		}
		rows[e.Row] = appendStage(rows[e.Row], e.stages[0])
	}
	for i, e := range es {
		rs := rows[e.Row]
		if !e.Computed || len(rs) == 0 {
			continue
		}
		es[i].stages = slices.Clone(rs)
		es[i].Stages = nil
		for _, st := range rs {
			es[i].Stages = append(es[i].Stages, st.Stage)
		}
		if es[i].Aggregation == "" {
			es[i].Aggregation = "from its row's stage"
		} else {
			es[i].Aggregation += ", from its row's stage"
		}
	}
}

var tableNameRE = regexp.MustCompile(`table "([^"]+)"`)

func tableName(src string) (string, bool) {
	m := tableNameRE.FindStringSubmatch(src)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// tableCell names the row (its first two cells) and column of the table
// Markdown s at offset off; empty outside the table's body.
func tableCell(s string, off int) (row, col string) {
	lineStart := strings.LastIndexByte(s[:off], '\n') + 1
	lineEnd := strings.IndexByte(s[off:], '\n')
	if lineEnd < 0 {
		lineEnd = len(s) - off
	}
	line := s[lineStart : off+lineEnd]
	if !strings.HasPrefix(line, "|") {
		return "", ""
	}
	// The header is the first line starting with '|'.
	h := strings.Index(s, "\n|")
	if strings.HasPrefix(s, "|") {
		h = -1
	}
	header := s[h+1:]
	if i := strings.IndexByte(header, '\n'); i >= 0 {
		header = header[:i]
	}
	cells, heads := splitRow(line), splitRow(header)
	k := strings.Count(strings.ReplaceAll(s[lineStart:off], `\|`, ""), "|") - 1
	if len(cells) >= 2 {
		row = cells[0] + " | " + cells[1]
	}
	if k >= 0 && k < len(heads) {
		col = heads[k]
	}
	return row, col
}

func splitRow(line string) []string {
	line = strings.Trim(strings.TrimSpace(line), "|")
	parts := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
	for i := range parts {
		parts[i] = strings.ReplaceAll(strings.TrimSpace(parts[i]), "\x00", "|")
	}
	return parts
}

// dotElem is the index of the element of a slice root the dot is, -1 if
// unknown or not one.
func (pv *provenance) dotElem(chain string, dot any) int {
	root, ok := strings.CutSuffix(chain, "[]")
	if !ok {
		return -1
	}
	ri, ok := pv.byName[root]
	if !ok || !pv.roots[ri].slice {
		return -1
	}
	v := reflect.ValueOf(pv.d).Elem().FieldByName(root)
	for i := 0; i < v.Len(); i++ {
		if reflect.DeepEqual(v.Index(i).Interface(), dot) {
			return i
		}
	}
	return -1
}

// numQ is a number as shown: one value, "mean ± sd", or an interval.
type numQ struct {
	start, end int
	text       string
	vals       []float64
	decs       []float64 // half a unit of each value's last digit
	ints       []bool
	sigs       []int // significant digits of each value
	percent    bool
	kind       string // "value", "mean ± sd", "interval"
}

const (
	numPat = `[-−]?(?:\d+(?:\.\d+)?|\.\d+)(?:e[-−+]?\d+)?`
	spPat  = `[ \x{00a0}\x{202f}]?`
	pctPat = `(?:` + spPat + `%)?`
)

var (
	quantRE = regexp.MustCompile(`\[` + numPat + pctPat + `,` + spPat + numPat + pctPat + `\]` +
		`|\(?` + numPat + spPat + `±` + spPat + numPat + `\)?(?:e[-−]?\d+)?` + pctPat +
		`|` + numPat + pctPat)
	oneNumRE = regexp.MustCompile(numPat)
	// Spans where digits are not numbers of the results: code, ids and
	// attributes, cross-references, link targets, footnote labels,
	// entities and HTML tags.
	maskRE = regexp.MustCompile("`[^`]*`" + `|\{[#.][^}]*\}|@(?:fig|tbl|sec):[\w-]+|\]\([^)]*\)|\[\^[^\]]*\]|&#?\w+;|<[^>]*>|\b(?:fig|tbl|sec):[\w-]+`)
	// constRE are numbers the prose states whatever the results: the
	// level of every interval.
	constRE = regexp.MustCompile(`^95` + spPat + `%$`)
)

// findNumbers returns the numbers of s outside the masked spans: a number
// is not part of a word ("2x8x8x1", "F3", "γ0") nor a subscript or
// superscript in TeX.
func findNumbers(s string) []numQ {
	masked := maskRE.FindAllStringIndex(s, -1)
	inMask := func(i int) bool {
		for _, m := range masked {
			if i >= m[0] && i < m[1] {
				return true
			}
		}
		return false
	}
	var out []numQ
	for _, m := range quantRE.FindAllStringIndex(s, -1) {
		start, end := m[0], m[1]
		if inMask(start) {
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(s[:start])
		if start > 0 && (isWordRune(prev) || prev == '.' || prev == '^' || prev == '_' || prev == '\\') {
			continue
		}
		next, _ := utf8.DecodeRuneInString(s[end:])
		if end < len(s) && (isWordRune(next) || next == '^' || next == '_') {
			continue
		}
		text := s[start:end]
		if constRE.MatchString(text) && strings.HasPrefix(strings.TrimLeft(s[end:], " \u00a0"), "interval") {
			continue
		}
		q := numQ{start: start, end: end, text: text, percent: strings.Contains(text, "%"), kind: "value"}
		switch {
		case strings.HasPrefix(text, "["):
			q.kind = "interval"
		case strings.Contains(text, "±"):
			q.kind = "mean ± sd"
		}
		// "(1.23 ± 0.04)e-5": both share the exponent after the bracket.
		scale := 1.0
		if i := strings.LastIndex(text, ")e"); i >= 0 {
			e, _ := strconv.Atoi(strings.ReplaceAll(strings.TrimRight(text[i+2:], " \u00a0%"), "−", "-"))
			scale = math.Pow(10, float64(e))
		}
		for _, n := range oneNumRE.FindAllString(strings.SplitN(text, ")e", 2)[0], -1) {
			x, half, isInt := parseShown(n)
			q.vals, q.decs, q.ints = append(q.vals, x*scale), append(q.decs, half*scale), append(q.ints, isInt)
			q.sigs = append(q.sigs, sigDigits(n))
		}
		out = append(out, q)
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// parseShown parses a number as shown and half a unit of its last digit.
func parseShown(n string) (x, half float64, isInt bool) {
	n = strings.ReplaceAll(n, "−", "-")
	x, _ = strconv.ParseFloat(n, 64)
	mant, exp, hasExp := strings.Cut(n, "e")
	e := 0
	if hasExp {
		e, _ = strconv.Atoi(exp)
	}
	decs := 0
	if _, frac, ok := strings.Cut(mant, "."); ok {
		decs = len(frac)
	}
	return x, 0.5 * math.Pow(10, float64(e-decs)), !hasExp && decs == 0
}

// matches reports whether leaf value y is x as shown (half: half a unit of
// its last digit; percent: x is y in percent).
func matches(x, half float64, isInt, percent bool, l provLeaf) bool {
	y := l.v
	if percent {
		y *= 100
	}
	if isInt && !percent && l.isInt {
		return y == x
	}
	if isInt && !percent && math.Abs(x) < 10 {
		return y == x // a one-digit count matches counts only
	}
	return math.Abs(y-x) <= half*(1+1e-9)+1e-15*math.Abs(x)
}

// resolve makes the entry of number q printed by action a.
func (pv *provenance) resolve(a *provAction, elem int, q numQ) ProvEntry {
	e := ProvEntry{Kind: "number", Text: q.text, Values: q.vals,
		Template: fmt.Sprintf("%s:%d %s", templateReport, a.line, a.src)}
	if a.cands == nil {
		pv.candidates(a)
	}
	roots, depRoots, under, inDeps := a.cands.roots, a.cands.depRoots, a.cands.under, a.cands.inDeps
	switch {
	case a.fn == "len":
		e.Aggregation = "count of elements"
	case q.kind == "mean ± sd":
		e.Aggregation = "mean ± sd over seeds"
	case q.kind == "interval":
		e.Aggregation = fmt.Sprintf("95 %% bootstrap interval over seeds and test data (%d replicates)", pv.d.P.Bootstrap.Resamples)
	}
	inPercent := false
	pair := pv.pairMatch(under, q, elem)
	if pair == nil {
		pair = pv.pairMatch(inDeps, q, elem)
	}
	if pair != nil {
		for _, li := range pair {
			e.Fields = append(e.Fields, pv.field(li))
			l := pv.leaves[li]
			e.stages = appendStage(e.stages, pv.source(l.root, l.elem))
		}
	} else if a.fn != "len" && q.kind != "interval" {
		for k := range q.vals {
			best := pv.bestMatches(under, q, k, elem, true)
			if len(best) == 0 {
				best = pv.bestMatches(inDeps, q, k, elem, false)
			}
			if len(best) == 0 && !q.percent && q.sigs[k] >= 3 && q.vals[k] > 0 && q.vals[k] <= 100 {
				// A percentage whose column header carries the % sign.
				pq := q
				pq.percent = true
				if best = pv.bestMatches(under, pq, k, elem, true); len(best) == 0 {
					best = pv.bestMatches(inDeps, pq, k, elem, false)
				}
				inPercent = inPercent || len(best) > 0
			}
			for _, li := range best {
				l := pv.leaves[li]
				e.Fields = append(e.Fields, pv.field(li))
				e.stages = appendStage(e.stages, pv.source(l.root, l.elem))
			}
		}
	}
	if len(e.Fields) > 0 && e.Aggregation == "" {
		e.Aggregation = e.Fields[0].Agg
	}
	if inPercent && len(e.Fields) > 0 {
		e.Aggregation = strings.TrimSpace(e.Fields[0].Agg + " in percent")
	}
	if len(e.Fields) < len(q.vals) || e.Aggregation == "count of elements" || q.kind == "interval" {
		e.Computed = true
		if len(roots) == 0 {
			roots = depRoots
		}
		for ri := range roots {
			r := pv.roots[ri]
			if r.slice && elem >= 0 && a.dotChain == r.name+"[]" {
				e.stages = appendStage(e.stages, pv.source(ri, elem))
				continue
			}
			for _, s := range r.sources {
				e.stages = appendStage(e.stages, s)
			}
		}
	}
	sort.SliceStable(e.stages, func(i, j int) bool { return e.stages[i].Stage < e.stages[j].Stage })
	for _, s := range e.stages {
		e.Stages = append(e.Stages, s.Stage)
	}
	return e
}

// provCands are the results an action may show: the roots of its field
// chains and the leaves under them, then the roots its methods (or the
// table's builder) read and their leaves.
type provCands struct {
	roots, depRoots map[int]bool
	under, inDeps   []int
}

// candidates finds, once per action, the leaves it may show.
func (pv *provenance) candidates(a *provAction) {
	c := &provCands{roots: map[int]bool{}, depRoots: map[int]bool{}}
	a.cands = c
	var chains []string
	for _, ch := range a.chains {
		r, _, _ := strings.Cut(ch, ".")
		r, _, _ = strings.Cut(r, "[")
		if ri, ok := pv.byName[r]; ok {
			c.roots[ri] = true
			chains = append(chains, bareRE.ReplaceAllString(ch, ""))
		}
	}
	deps := a.methods
	if a.fn == "table" {
		if n, ok := tableName(a.src); ok {
			deps = append(slices.Clone(deps), "table:"+n)
		}
	}
	for _, m := range deps {
		rs, ok := provDeps[m]
		if !ok {
			for ri := range pv.roots {
				c.depRoots[ri] = true
			}
		}
		for _, r := range rs {
			for _, r := range append(provAlias[r], r) {
				if ri, ok := pv.byName[r]; ok {
					c.depRoots[ri] = true
				}
			}
		}
	}
	for li, l := range pv.leaves {
		if c.depRoots[l.root] {
			c.inDeps = append(c.inDeps, li)
		}
		if !c.roots[l.root] {
			continue
		}
		full := pv.roots[l.root].name + "." + l.bare
		for _, ch := range chains {
			if full == ch || strings.HasPrefix(full, ch+".") {
				c.under = append(c.under, li)
				break
			}
		}
	}
}

// bestMatches are the leaves that show value k of q: those of the dot's
// element first, then the closest and shortest paths; up to three stages.
// Unless the leaves are the action's own fields (direct), a number of one
// or two significant digits must match one value only, not an element of
// a curve or matrix: else it may be a coincidence, and the number counts as
// computed.
func (pv *provenance) bestMatches(cands []int, q numQ, k, elem int, direct bool) []int {
	few := q.sigs[k] < 3
	type m struct {
		li    int
		score [3]float64
	}
	var ms []m
	for _, li := range cands {
		l := pv.leaves[li]
		if !matches(q.vals[k], q.decs[k], q.ints[k], q.percent, l) || (!direct && few && l.elemt) {
			continue
		}
		// An integer as shown is a count: an integer field or, for the
		// action's own fields, a mean over seeds.
		if q.ints[k] && !q.percent && !l.isInt && (!direct || !strings.HasPrefix(l.agg, "mean")) {
			continue
		}
		var s [3]float64
		if elem >= 0 && l.elem != elem && pv.roots[l.root].slice {
			s[0] = 1
		}
		if l.elemt {
			s[0] += 0.5 // a curve's or a matrix's element: a coincidence more likely
		}
		// A mean ± sd shows a mean then an sd.
		if q.kind == "mean ± sd" && ((k == 0 && strings.HasPrefix(l.agg, "sd")) || (k == 1 && strings.HasPrefix(l.agg, "mean"))) {
			s[0] += 2
		}
		y := l.v
		if q.percent {
			y *= 100
		}
		s[1] = math.Abs(y-q.vals[k]) / math.Max(q.decs[k], 1e-300)
		s[2] = float64(len(l.path))
		ms = append(ms, m{li, s})
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i].score, ms[j].score
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		if (a[1] < 1e-6) != (b[1] < 1e-6) {
			return a[1] < 1e-6
		}
		return a[2] < b[2]
	})
	var out []int
	stages := map[string]bool{}
	for _, x := range ms {
		if len(out) > 0 && x.score[0] != ms[0].score[0] {
			break
		}
		st := pv.source(pv.leaves[x.li].root, pv.leaves[x.li].elem).Stage
		if stages[st] {
			continue
		}
		stages[st] = true
		out = append(out, x.li)
		if len(out) == 3 {
			break
		}
	}
	if !direct && few && len(ms) > 1 {
		return nil
	}
	return out
}

func (pv *provenance) field(li int) ProvField {
	l := pv.leaves[li]
	f := ProvField{Stage: pv.source(l.root, l.elem).Stage, Path: l.path, Agg: l.agg, Value: l.v}
	if l.isInt {
		f.Value = int64(l.v)
	}
	return f
}

// pairMatch finds the two leaves a "mean ± sd" shows together: the mean and
// sd over seeds of one field (or two fields of one output, BestVal and
// BestSD), the action's own fields first, then any the action reads.
func (pv *provenance) pairMatch(cands []int, q numQ, elem int) []int {
	if q.kind != "mean ± sd" || len(q.vals) != 2 {
		return nil
	}
	var means, sds []int
	for _, li := range cands {
		l := pv.leaves[li]
		if matches(q.vals[0], q.decs[0], q.ints[0], q.percent, l) && !strings.HasPrefix(l.agg, "sd") {
			means = append(means, li)
		}
		if matches(q.vals[1], q.decs[1], q.ints[1], q.percent, l) && !strings.HasPrefix(l.agg, "mean") {
			sds = append(sds, li)
		}
	}
	var loose []int
	for _, m := range means {
		lm := pv.leaves[m]
		if elem >= 0 && lm.elem != elem && pv.roots[lm.root].slice {
			continue
		}
		for _, sd := range sds {
			ls := pv.leaves[sd]
			if ls.root != lm.root || ls.elem != lm.elem {
				continue
			}
			if lm.agg != "" && ls.path == lm.path {
				return []int{m, sd}
			}
			if loose == nil && lm.agg == "" && ls.agg == "" && !lm.elemt && !ls.elemt {
				loose = []int{m, sd}
			}
		}
	}
	return loose
}

func (pv *provenance) source(root, elem int) ProvStage {
	r := pv.roots[root]
	if r.slice {
		if elem >= 0 && elem < len(r.sources) {
			return r.sources[elem]
		}
		return ProvStage{Stage: r.name}
	}
	return r.sources[0]
}

func appendStage(ss []ProvStage, s ProvStage) []ProvStage {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

// maxTitleStages bounds the stages a number's popover lists (provenance.json
// has them all).
const maxTitleStages = 3

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// title is what the reader sees on hovering the number: how it was made
// (and from which fields), the stages with the start of their outputs'
// sha256, and the command that prints the rest (the template line, the
// chain back to the data files).
func (e ProvEntry) title() string {
	var b strings.Builder
	switch {
	case e.Computed && e.Aggregation != "":
		fmt.Fprintf(&b, "computed: %s", e.Aggregation)
	case e.Computed:
		b.WriteString("computed from")
	case e.Aggregation != "":
		b.WriteString(e.Aggregation)
	default:
		b.WriteString("value")
	}
	if len(e.Fields) > 0 {
		var fs []string
		for _, f := range e.Fields {
			if !slices.Contains(fs, f.Path) {
				fs = append(fs, f.Path)
			}
		}
		b.WriteString(" of " + strings.Join(fs, ", "))
	}
	if e.Table != "" && e.Column != "" {
		fmt.Fprintf(&b, "\ntable %s: %s · %s", e.Table, e.Row, e.Column)
	}
	for i, s := range e.stages {
		if i == maxTitleStages {
			fmt.Fprintf(&b, "\n+ %d more", len(e.stages)-i)
			break
		}
		b.WriteString("\n" + s.Stage)
		if s.Output != "value" {
			b.WriteString(" " + s.Output)
		}
		if s.SHA256 != "" {
			b.WriteString(" " + shortHash(s.SHA256))
		}
	}
	fmt.Fprintf(&b, "\nrepro why %s", e.ID)
	return b.String()
}

// figures records the entry of each figure, with its data's CSV.
func (pv *provenance) figures(figs, data []pipeline.Blob) {
	csv := map[string][]byte{}
	for _, f := range data {
		csv[f.Stage()] = f.Data
	}
	for _, f := range figs {
		pv.figure(strings.TrimPrefix(f.Stage(), "figures/"), f, csv[f.Stage()])
	}
}

// figure records a figure's entry.
func (pv *provenance) figure(name string, fig pipeline.Blob, data []byte) {
	e := ProvEntry{ID: "fig:" + name, Kind: "figure", Text: name, Stages: []string{fig.Stage()},
		stages: []ProvStage{{Stage: fig.Stage(), Output: "figure.svg", SHA256: pipeline.HashBytes(fig.Data)}}}
	if data != nil {
		e.stages = append(e.stages, ProvStage{Stage: fig.Stage(), Output: "data.csv", SHA256: pipeline.HashBytes(data)})
	}
	pv.entries = append(pv.entries, e)
	var b strings.Builder
	fmt.Fprintf(&b, "drawn by stage %s", fig.Stage())
	for _, s := range e.stages {
		fmt.Fprintf(&b, "\n%s %s", s.Output, shortHash(s.SHA256))
	}
	fmt.Fprintf(&b, "\n(repro why %s)", fig.Stage())
	pv.text[e.ID] = b.String()
}

var dataProvRE = regexp.MustCompile(`data-prov="([^"]*)"`)

// finish checks that the page html and the entries agree (every number or
// link with data-prov has an entry, every entry is on the page) and
// encodes provenance.json.
func (pv *provenance) finish(html []byte) ([]byte, error) {
	onPage := map[string]bool{}
	for _, m := range dataProvRE.FindAllSubmatch(html, -1) {
		for _, id := range strings.Fields(string(m[1])) {
			onPage[id] = true
		}
	}
	known := map[string]bool{}
	var missing, absent []string
	for _, e := range pv.entries {
		if known[e.ID] {
			return nil, fmt.Errorf("report: provenance: two entries %s", e.ID)
		}
		known[e.ID] = true
		if !onPage[e.ID] {
			absent = append(absent, e.ID+" ("+e.Text+")")
		}
	}
	for id := range onPage {
		if !known[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(absent) > 0 {
		return nil, fmt.Errorf("report: provenance incomplete: on the page without an entry: %v; entries not on the page: %v", missing, absent)
	}
	return pv.json()
}

// json encodes provenance.json.
func (pv *provenance) json() ([]byte, error) {
	outs := map[string]map[string]string{}
	for _, e := range pv.entries {
		for _, s := range e.stages {
			if outs[s.Stage] == nil {
				outs[s.Stage] = map[string]string{}
			}
			outs[s.Stage][s.Output] = s.SHA256
		}
	}
	b, err := json.MarshalIndent(Provenance{Profile: pv.d.P.Profile, Seeds: pv.d.P.Seeds, Outputs: outs, Entries: pv.entries}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
