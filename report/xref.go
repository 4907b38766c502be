package report

import (
	"bytes"
	"regexp"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// kindXRef is the node kind of a cross-reference (@fig:name, @tbl:name,
// @sec:id).
var kindXRef = ast.NewNodeKind("XRef")

// xref is a cross-reference in the prose. Render resolves it to a link whose
// text is "Figure N", "Table N" or "Section N".
type xref struct {
	ast.BaseInline
	Prefix string // "fig", "tbl" or "sec"
	Name   string
	Offset int // byte offset of the @ in the source

	label, target string // set when resolved
}

// Kind implements ast.Node.
func (n *xref) Kind() ast.NodeKind { return kindXRef }

// Dump implements ast.Node.
func (n *xref) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Ref": n.Prefix + ":" + n.Name}, nil)
}

// kindTableCaption is the node kind of a table caption.
var kindTableCaption = ast.NewNodeKind("TableCaption")

// tableCaption is the caption of a table, parsed from a paragraph
// "Table: caption {#tbl:name}" right before the table. After parsing it is
// moved into the table as its first child. Its children are the caption's
// inline content.
type tableCaption struct {
	ast.BaseBlock
	Name   string // "" for a table that cannot be referenced
	Offset int

	number int
	csv    string // link to the CSV file, if any
}

// Kind implements ast.Node.
func (n *tableCaption) Kind() ast.NodeKind { return kindTableCaption }

// Dump implements ast.Node.
func (n *tableCaption) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Name": n.Name}, nil)
}

// nameRE is the syntax of figure and table names.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)

// xrefRE matches a cross-reference at the reader's position. Section ids
// are goldmark's heading ids (or {#id} attributes).
var xrefRE = regexp.MustCompile(`^@(fig|tbl|sec):([A-Za-z0-9_][A-Za-z0-9_-]*)`)

type xrefExtension struct{}

func (xrefExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithInlineParsers(util.Prioritized(xrefParser{}, 160)),
		parser.WithParagraphTransformers(util.Prioritized(captionTransformer{}, 300)),
	)
}

// xrefParser parses @fig:name, @tbl:name and @sec:id. The @ must not follow
// a letter, digit or underscore (so e-mail addresses are left alone); a
// trailing '-' is not part of the name. Write \@ for a literal @.
type xrefParser struct{}

func (xrefParser) Trigger() []byte { return []byte{'@'} }

func (xrefParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	if r := block.PrecendingCharacter(); unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
		return nil
	}
	line, seg := block.PeekLine()
	m := xrefRE.FindSubmatch(line)
	if m == nil {
		return nil
	}
	name := bytes.TrimRight(m[2], "-")
	block.Advance(len("@") + len(m[1]) + len(":") + len(name))
	return &xref{Prefix: string(m[1]), Name: string(name), Offset: seg.Start}
}

// captionRE matches a table caption paragraph (raw text).
var captionRE = regexp.MustCompile(`^Table:[ \t]*`)
var captionLabelRE = regexp.MustCompile(`[ \t]*\{#tbl:([A-Za-z0-9_][A-Za-z0-9_-]*)\}[ \t]*\r?\n?$`)

// captionTransformer turns a paragraph "Table: caption {#tbl:name}" into a
// tableCaption node, before inline parsing, so that the label never reaches
// the inline parsers. It runs after the table transformer, so a caption line
// directly above a table (no blank line) works too.
type captionTransformer struct{}

func (captionTransformer) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	if lines.Len() == 0 {
		return
	}
	source := reader.Source()
	first := lines.At(0)
	loc := captionRE.FindIndex(first.Value(source))
	if loc == nil {
		return
	}
	last := lines.At(lines.Len() - 1)
	lastValue := last.Value(source)
	cap := &tableCaption{Offset: first.Start}
	if m := captionLabelRE.FindSubmatchIndex(lastValue); m != nil {
		cap.Name = string(lastValue[m[2]:m[3]])
		last.Stop = last.Start + m[0]
		lines.Set(lines.Len()-1, last)
	}
	first = lines.At(0)
	first.Start += loc[1]
	if first.Start > first.Stop {
		first.Start = first.Stop
	}
	lines.Set(0, first)
	cap.SetLines(lines)
	parent := node.Parent()
	parent.ReplaceChild(parent, node, cap)
}
