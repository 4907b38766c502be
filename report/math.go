package report

import (
	"bytes"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// kindMath is the node kind of inline math ($...$, and $$...$$ inside a
// paragraph).
var kindMath = ast.NewNodeKind("Math")

// kindMathBlock is the node kind of display math on its own lines.
var kindMathBlock = ast.NewNodeKind("MathBlock")

// mathInline is an inline math node. TeX holds the source between the dollars,
// byte for byte (lines of a span broken over several lines are joined with
// '\n').
type mathInline struct {
	ast.BaseInline
	TeX     []byte
	Display bool // written $$...$$ inside a paragraph
	Offset  int  // byte offset of the opening dollar in the source

	html string   // rendered by KaTeX
	prov []string // ids of the numbers marked in the TeX (see Mark)
}

// Kind implements ast.Node.
func (n *mathInline) Kind() ast.NodeKind { return kindMath }

// Dump implements ast.Node.
func (n *mathInline) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"TeX": string(n.TeX)}, nil)
}

// mathBlock is display math written as
//
//	$$
//	TeX
//	$$
//
// or $$ TeX $$ alone on one line. Its Lines hold the TeX.
type mathBlock struct {
	ast.BaseBlock
	Offset int // byte offset of the opening $$ line

	closed bool
	html   string   // rendered by KaTeX
	prov   []string // ids of the numbers marked in the TeX (see Mark)
}

// Kind implements ast.Node.
func (n *mathBlock) Kind() ast.NodeKind { return kindMathBlock }

// IsRaw implements ast.Node: the content is not parsed as Markdown.
func (n *mathBlock) IsRaw() bool { return true }

// Dump implements ast.Node.
func (n *mathBlock) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"TeX": string(n.TeX(source))}, nil)
}

// TeX returns the block's TeX source: its lines, verbatim, without the
// final newline.
func (n *mathBlock) TeX(source []byte) []byte {
	var b bytes.Buffer
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(source))
	}
	return bytes.TrimRight(b.Bytes(), "\r\n")
}

// mathExtension is the goldmark extension for $...$ and $$...$$.
type mathExtension struct{}

func (mathExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithInlineParsers(util.Prioritized(inlineMathParser{}, 150)),
		parser.WithBlockParsers(util.Prioritized(blockMathParser{}, 150)),
	)
}

var _ goldmark.Extender = mathExtension{}

// inlineMathParser parses $TeX$ and $$TeX$$ inside a paragraph.
//
// Rule (pandoc's tex_math_dollars): the opening $ must be followed by a
// non-space character; the closing $ must be preceded by a non-space
// character and must not be followed by a digit. A backslash escapes the
// next character inside the span (so \$ does not close it). Scanning stops
// at the first $ that cannot close, which then is plain text: "costs $5
// and $6" is no math. A span may continue over the paragraph's next lines,
// except one opened by "$" and a digit (maybe a price), which must close on
// its own line. Outside math, \$ is a literal dollar.
type inlineMathParser struct{}

func (inlineMathParser) Trigger() []byte { return []byte{'$'} }

func (inlineMathParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	start := seg.Start
	if len(line) >= 2 && line[1] == '$' {
		return parseDisplayInline(block, start)
	}
	if len(line) < 2 || isSpaceByte(line[1]) {
		return nil
	}
	// A $ before a digit may be a price: such a span must close on its line.
	digitOpener := line[1] >= '0' && line[1] <= '9'
	var tex []byte
	i := 1
	for {
		for i < len(line) {
			c := line[i]
			if c == '\\' {
				i += 2
				continue
			}
			if c == '$' {
				prevSpace := i == 0 || isSpaceByte(line[i-1])
				nextDigit := i+1 < len(line) && line[i+1] >= '0' && line[i+1] <= '9'
				if prevSpace || nextDigit {
					return nil
				}
				tex = append(tex, line[:i]...)
				block.Advance(i + 1)
				return &mathInline{TeX: tex[1:], Offset: start}
			}
			i++
		}
		if digitOpener {
			return nil
		}
		tex = append(tex, line...)
		block.AdvanceLine()
		line, _ = block.PeekLine()
		if line == nil {
			return nil
		}
		i = 0
	}
}

// parseDisplayInline parses $$TeX$$ inside a paragraph; the reader is at
// the first $.
func parseDisplayInline(block text.Reader, start int) ast.Node {
	line, _ := block.PeekLine()
	var tex []byte
	i := 2
	for {
		for i < len(line) {
			c := line[i]
			if c == '\\' {
				i += 2
				continue
			}
			if c == '$' && i+1 < len(line) && line[i+1] == '$' {
				tex = append(tex, line[:i]...)
				tex = tex[2:]
				if len(bytes.TrimSpace(tex)) == 0 {
					return nil
				}
				block.Advance(i + 2)
				return &mathInline{TeX: tex, Display: true, Offset: start}
			}
			i++
		}
		tex = append(tex, line...)
		block.AdvanceLine()
		line, _ = block.PeekLine()
		if line == nil {
			return nil
		}
		i = 0
	}
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// blockMathParser parses display math that starts a line with $$ (at most
// three spaces of indentation): either "$$ TeX $$" alone on its line, or a
// line "$$" alone and then TeX lines up to one that ends with "$$" (TeX may
// precede that closing $$). Any other line starting with $$ begins a
// paragraph (where $$...$$ is inline display math). An unclosed block runs
// to the end of its container, like a fenced code block.
type blockMathParser struct{}

func (blockMathParser) Trigger() []byte { return []byte{'$'} }

func (blockMathParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	if width, _ := util.IndentWidth(line, reader.LineOffset()); width > 3 {
		return nil, parser.NoChildren
	}
	first := util.TrimLeftSpaceLength(line)
	rest := line[first:]
	if !bytes.HasPrefix(rest, []byte("$$")) {
		return nil, parser.NoChildren
	}
	body := bytes.TrimRight(rest[2:], " \t\r\n")
	node := &mathBlock{Offset: seg.Start}
	contentStart := seg.Start + first + 2
	if idx := bytes.Index(body, []byte("$$")); idx >= 0 {
		if idx != len(body)-2 || len(bytes.TrimSpace(body[:idx])) == 0 {
			// text after the closing $$, or an empty "$$$$": a paragraph.
			return nil, parser.NoChildren
		}
		node.Lines().Append(text.NewSegment(contentStart, contentStart+idx))
		node.closed = true
		reader.AdvanceToEOL()
		return node, parser.NoChildren
	}
	if len(bytes.TrimSpace(body)) > 0 {
		// "$$ text" without a closing $$: a paragraph, not a block.
		return nil, parser.NoChildren
	}
	reader.AdvanceToEOL()
	return node, parser.NoChildren
}

func (blockMathParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	n := node.(*mathBlock)
	if n.closed {
		return parser.Close
	}
	line, seg := reader.PeekLine()
	if line == nil {
		return parser.Close
	}
	trimmed := bytes.TrimRight(line, " \t\r\n")
	if bytes.HasSuffix(trimmed, []byte("$$")) {
		if content := trimmed[:len(trimmed)-2]; len(bytes.TrimSpace(content)) > 0 {
			n.Lines().Append(text.NewSegment(seg.Start, seg.Start+len(content)))
		}
		n.closed = true
		reader.AdvanceToEOL()
		return parser.Close
	}
	n.Lines().Append(seg)
	reader.AdvanceToEOL()
	return parser.Continue | parser.NoChildren
}

func (blockMathParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {}

func (blockMathParser) CanInterruptParagraph() bool { return true }

func (blockMathParser) CanAcceptIndentedLine() bool { return false }
