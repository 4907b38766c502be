// Package report turns the report's Markdown (already filled by the
// caller's text/template) into one self-contained HTML file.
//
// Render is pure: it reads only the Document it is given (Markdown, layout
// template, style sheet, figures, KaTeX files), so a pipeline stage can hash
// exactly those bytes, and the same Document always gives the same bytes.
// The output needs no network and no other file: CSS, fonts, figures and
// rendered math are all inlined.
//
// # Markdown
//
// GitHub Flavored Markdown (goldmark v1.8): tables, strikethrough, task
// lists, footnotes ([^1]), smart punctuation, raw HTML, automatic heading
// ids, and {#id .class} attributes on headings. The conventions below are
// this package's own.
//
// Sections. The highest heading level in the Markdown (# or ##) becomes
// <h2> (the title, Document.Title, is the only <h1>); sections are numbered
// "1", "2", subsections "1.1", sub-subsections "1.1.1". A heading with the
// class unnumbered ("## References {.unnumbered}") and the headings under it
// get no number. The table of contents (LayoutData.TOC) lists sections and
// subsections.
//
// Figures. A paragraph holding only ![caption](fig:name) becomes
//
//	<figure id="fig-name"><div class="figure-body">SVG or <img></div>
//	<figcaption>Figure N: caption</figcaption></figure>
//
// numbered in order of appearance, with Document.Figures[name] inlined. A
// figure at least 1.8 times as wide as high gets the class "wide" (the
// style sheet lets it use the full width; others keep to the prose). An
// SVG loses its XML prolog, doctype, comments, width, height and xmlns
// attributes, gains a viewBox if it had none, role="img", an aria-label and
// a <title> (the caption as plain text), and every id inside it is prefixed
// with "fig-name-" (references by href="#id" and url(#id) follow), so that
// figures never clash. A PNG, JPEG, GIF or WebP becomes an <img> with a
// data: URI and the caption as alt text. A name is letters, digits, '_'
// and '-'. Images that are neither fig: nor data: are an error: the report
// must be self-contained.
//
// Tables. A paragraph "Table: caption {#tbl:name}" directly above a GFM
// table (a blank line between them or none) becomes the table's
// <caption>Table N: caption</caption>, numbered in order of appearance; the
// table gets id="tbl-name" and, if Document.TableCSV has the name, a CSV
// link in its caption. The label may be left out ("Table: caption"): the
// table is numbered but cannot be referenced. A table without caption is not
// numbered (and gives a warning). Table builds such a caption and table
// from data, numbers right-aligned (---:), and the matching CSV.
//
// Cross-references. @fig:name, @tbl:name and @sec:id (a heading's id) in
// the prose become links reading "Figure N", "Table N" and "Section 2.1"
// (an unnumbered heading: its title in quotes). The @ must not follow a
// letter, digit or '_' (e-mail addresses stay text); \@ is a literal @. A
// reference to something the Markdown does not define is an error, a
// figure or table never referenced is a warning.
//
// Math. $TeX$ is inline math, $$TeX$$ display math: on its own lines
//
//	$$
//	\hat\beta = (X^\top X)^{-1} X^\top y
//	$$
//
// or as "$$ TeX $$" alone on one line, or inside a paragraph. The TeX
// reaches KaTeX byte for byte (goldmark's backslash escapes do not apply).
// The rule that keeps prices out of math is pandoc's: the opening $ must be
// followed by a non-space, the closing $ must follow a non-space and must not
// be followed by a digit, and the first $ that cannot close ends the attempt
// ("costs $5 and $6" is plain text); inline math may run over a line break
// unless it opens with a digit ("$5 ...": maybe a price), which must close
// on the same line. Inside math a backslash escapes the
// next character, so \$ does not close it; outside math \$ is a dollar sign.
// Code spans are never math. In a GFM table cell an unescaped | ends the
// cell even inside math: write \vert (or \| , which becomes | there, as GFM
// does for every cell; so write \Vert for ‖ in a table).
//
// With Document.KaTeX set, math is rendered at build time by KaTeX running
// in goja (HTML for display plus MathML for assistive technology), and
// KaTeX's CSS is inlined with its woff2 fonts as data: URIs; a TeX error is
// an error naming the expression and its line. Without KaTeX, math is shown
// as TeX source in <code class="math"> (and <pre class="math"> for display
// math) and Render returns one warning. The repository keeps a copy of the
// KaTeX distribution in third_party/katex; KaTeXPaths names the files and
// LoadKaTeX reads them from an fs.FS.
//
// # Layout
//
// Document.Layout is an html/template executed with LayoutData: Title,
// Meta (the title block, in MetaOrder then key order), TOC, Body, CSS and
// MathCSS. templates/layout.html and templates/style.css are the project's.
//
// # Numbers
//
// FormatSig, MeanSD and Percent format numbers for the templates with
// consistent significant digits; FuncMap exposes them to text/template as
// sig, meansd and pct.
//
// # Provenance
//
// A number wrapped with Mark(id, text) in the Markdown becomes
// <span class="num" data-prov="id" tabindex="0" title="...">text</span>,
// the title Document.Provenance[id]; in math the marks are removed before
// KaTeX and the expression is wrapped; in attributes and inline SVG they
// are removed. Document.Provenance["fig:name"] goes on the figure's
// caption link. The visible text is the same as without marks; the
// project's layout shows the title as a popover on hover, focus and tap.
//
// Render refuses to return a page that would fetch anything (an src, a
// <link href>, a CSS url() or @import that is not a data: URI), for example
// because of raw HTML in the Markdown; links in the prose (<a href>) are
// fine.
//
// Programmer errors (a Table row of the wrong length, sig < 1) panic with a
// "report: " message; problems in the Markdown or the inputs are returned
// as errors.
//
// Limitations: equations are not numbered and cannot be referenced; the
// caption of a table must come before it; ids inside an SVG referenced from
// CSS selectors (#id in a <style>) are not rewritten, only url(#id) and
// href="#id".
package report
