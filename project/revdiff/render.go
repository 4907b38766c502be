package revdiff

// The text and Markdown forms of a lock diff: rendering happens here, at the
// edge; package pipeline computes the diff as data (pipeline.LockDiff).

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// The numbers of a diff are formatted as the rule violations are.
var (
	diffNum        = pipeline.FormatNumber
	diffChange     = pipeline.FormatChange
	diffRel        = pipeline.FormatRelative
	diffChangeText = pipeline.FormatChangeText
)

func diffNumPtr(v *float64) string {
	if v == nil {
		return "-"
	}
	return diffNum(*v)
}

func metricStatus(m pipeline.MetricChange) string {
	switch {
	case m.A == nil:
		return "new"
	case m.B == nil:
		return "removed"
	}
	return ""
}

func diffPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func diffCounts(d *pipeline.LockDiff) (direct, downstream int) {
	for _, c := range d.Changed {
		if c.Direct() {
			direct++
		} else {
			downstream++
		}
	}
	return
}

func diffHeading(d *pipeline.LockDiff) string {
	s := d.A.Label + " -> " + d.B.Label
	if d.B.Profile != "" {
		s += ", profile " + d.B.Profile
	}
	return s
}

// Text renders the diff as plain text: the summary, the rules and the
// metrics first (as the Markdown form), then every stage with its reasons,
// then the figures.
func Text(d *pipeline.LockDiff) string { return TextWith(d, nil) }

// TextWith renders the diff as plain text as Text does, with stages, if not
// nil, writing the stages section (which Text lists one stage at a time).
// Every string of the diff is passed through project.TermText first (see
// termSafeDiff); stages must render a diff passed through termSafeDiff.
func TextWith(d *pipeline.LockDiff, stages func(w io.Writer)) string {
	d = TermSafe(d)
	var b strings.Builder
	fmt.Fprintf(&b, "repro diff: %s\n", diffHeading(d))
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if len(d.Trust) > 0 {
		// Its own lines, first, in capitals: what decides which results
		// are accepted from a shared store changed.
		b.WriteString("\n")
		for _, t := range d.Trust {
			fmt.Fprintf(&b, "TRUST CHANGED: %s\n", t)
		}
	}
	if d.Empty() {
		b.WriteString("\nno differences: both locks record the same stages, metrics and figures\n")
		diffTextRules(d, &b)
		return b.String()
	}
	fmt.Fprintf(&b, "\n%s\n", Summary(d))
	diffTextRules(d, &b)
	fmt.Fprintf(&b, "\nmetrics: %d changed, %d unchanged\n", len(d.Metrics), d.Unchanged)
	if len(d.Metrics) > 0 {
		rows := [][]string{{"metric", "A", "B", "change", "relative", "noise"}}
		for _, m := range d.Metrics {
			rel := diffRel(m.Relative, m.A)
			if s := metricStatus(m); s != "" {
				rel = s
			}
			rows = append(rows, []string{m.Name, diffNumPtr(m.A), diffNumPtr(m.B), diffChange(m.Change), rel, diffNoise(m.Noise)})
		}
		diffColumns(&b, rows)
	}
	direct, downstream := diffCounts(d)
	fmt.Fprintf(&b, "\nstages: %d changed (%d directly, %d through their inputs), %d added, %d removed\n",
		len(d.Changed), direct, downstream, len(d.Added), len(d.Removed))
	if stages != nil {
		stages(&b)
	} else {
		for _, n := range d.Added {
			fmt.Fprintf(&b, "  added    %s\n", n)
		}
		for _, n := range d.Removed {
			fmt.Fprintf(&b, "  removed  %s\n", n)
		}
		for _, c := range d.Changed {
			fmt.Fprintf(&b, "  changed  %s\n", c.Stage)
			for _, r := range c.Reasons {
				fmt.Fprintf(&b, "           %s\n", r)
			}
		}
	}
	fmt.Fprintf(&b, "\nfigures: %d changed\n", len(d.Figures))
	for _, f := range d.Figures {
		fmt.Fprintf(&b, "  %s%s\n", f.Name(), diffFigureStatus(f))
	}
	return b.String()
}

// diffNoise says whether a change is within its metric's noise or beyond
// it, with the change in standard deviations and the paired test's p
// value: "beyond noise (-124 sd, p = 0.005)"; "-" without a spread.
func diffNoise(n *pipeline.Noise) string {
	if n == nil || n.Verdict == "" {
		if n != nil && n.P != nil {
			return "p = " + pipeline.FormatP(*n.P)
		}
		return "-"
	}
	s := n.Verdict + " noise (" + pipeline.FormatSDs(*n.SDs)
	if n.P != nil {
		s += ", p = " + pipeline.FormatP(*n.P)
	}
	return s + ")"
}

// TermSafe is a copy of d with every string that comes from the locks
// or the parameters passed through project.TermText, for a terminal or a CI log.
func TermSafe(d *pipeline.LockDiff) *pipeline.LockDiff {
	c := *d
	list := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = project.TermText(x)
		}
		return out
	}
	c.A.Label, c.B.Label = project.TermText(d.A.Label), project.TermText(d.B.Label)
	c.A.Profile, c.B.Profile = project.TermText(d.A.Profile), project.TermText(d.B.Profile)
	c.A.Toolchain, c.B.Toolchain = project.TermText(d.A.Toolchain), project.TermText(d.B.Toolchain)
	c.Notes, c.Trust, c.Added, c.Removed, c.Rules = list(d.Notes), list(d.Trust), list(d.Added), list(d.Removed), list(d.Rules)
	c.Changed = make([]pipeline.StageChange, len(d.Changed))
	for i, x := range d.Changed {
		c.Changed[i] = pipeline.StageChange{Stage: project.TermText(x.Stage), Reasons: list(x.Reasons)}
	}
	c.Metrics = make([]pipeline.MetricChange, len(d.Metrics))
	for i, x := range d.Metrics {
		x.Name = project.TermText(x.Name)
		c.Metrics[i] = x
	}
	c.Figures = make([]pipeline.FigureChange, len(d.Figures))
	for i, x := range d.Figures {
		c.Figures[i] = pipeline.FigureChange{Stage: project.TermText(x.Stage), Output: project.TermText(x.Output), A: project.TermText(x.A), B: project.TermText(x.B)}
	}
	c.Violations = make([]pipeline.RuleViolation, len(d.Violations))
	for i, x := range d.Violations {
		x.Rule, x.Metric = project.TermText(x.Rule), project.TermText(x.Metric)
		c.Violations[i] = x
	}
	if d.Violations == nil {
		c.Violations = nil
	}
	return &c
}

// Summary is one line of counts: stages, metrics and figures changed.
func Summary(d *pipeline.LockDiff) string {
	direct, downstream := diffCounts(d)
	return fmt.Sprintf("%s changed (%d directly, %d through their inputs), %d added, %d removed; %s changed, %d unchanged; %s changed",
		diffPlural(len(d.Changed), "stage", "stages"), direct, downstream, len(d.Added), len(d.Removed),
		diffPlural(len(d.Metrics), "metric", "metrics"), d.Unchanged, diffPlural(len(d.Figures), "figure", "figures"))
}

func diffTextRules(d *pipeline.LockDiff, b *strings.Builder) {
	if len(d.Rules) == 0 {
		return
	}
	if len(d.Violations) == 0 {
		fmt.Fprintf(b, "\nrules: %s\n", diffPlural(len(d.Rules), "rule holds", "rules hold"))
		for _, r := range d.Rules {
			fmt.Fprintf(b, "  ok   no metric violates %s\n", r)
		}
		return
	}
	fmt.Fprintf(b, "\nrules: %s\n", diffPlural(len(d.Violations), "violation", "violations"))
	for _, v := range d.Violations {
		fmt.Fprintf(b, "  FAIL %s\n", v)
	}
}

func diffFigureStatus(f pipeline.FigureChange) string {
	switch {
	case f.A == "":
		return " (new)"
	case f.B == "":
		return " (removed)"
	}
	return ""
}

// diffColumns writes rows as aligned columns, indented by two spaces: the
// first column left-aligned, the others right-aligned.
func diffColumns(b *strings.Builder, rows [][]string) {
	w := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			w[i] = max(w[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		b.WriteString(" ")
		for i, c := range r {
			pad := strings.Repeat(" ", w[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(" " + c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		b.WriteString("\n")
	}
}

// Markdown renders the diff as GitHub-flavoured Markdown, for a pull
// request's comment or a CI job summary: a summary line, then tables of
// metrics and stages and a list of figures. Stages that changed only
// because an input changed are folded in a <details> block when many.
func Markdown(d *pipeline.LockDiff) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### repro diff\n\n")
	fmt.Fprintf(&b, "**A** %s → **B** %s", project.MDText(d.A.Label), project.MDText(d.B.Label))
	if d.B.Profile != "" {
		fmt.Fprintf(&b, " · profile %s", project.MDCode(d.B.Profile))
	}
	b.WriteString("\n\n")
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "> %s\n\n", project.MDText(n))
	}
	if len(d.Trust) > 0 {
		b.WriteString("> [!WARNING]\n> **Trust changed**: which results are accepted from a shared store (the `store` settings of the parameter files) differs between A and B. Review this before anything else:\n>\n")
		for _, t := range d.Trust {
			fmt.Fprintf(&b, "> - %s\n", project.MDText(t))
		}
		b.WriteString("\n")
	}
	if d.Empty() {
		b.WriteString("No differences: both locks record the same stages, metrics and figures.\n")
		diffMDRules(d, &b)
		return b.String()
	}
	direct, downstream := diffCounts(d)
	fmt.Fprintf(&b, "**%s changed** (%d directly, %d through their inputs), %d added, %d removed · **%s changed**, %d unchanged · **%s changed**\n",
		diffPlural(len(d.Changed), "stage", "stages"), direct, downstream, len(d.Added), len(d.Removed),
		diffPlural(len(d.Metrics), "metric", "metrics"), d.Unchanged, diffPlural(len(d.Figures), "figure", "figures"))
	diffMDRules(d, &b)

	b.WriteString("\n#### Metrics\n\n")
	if len(d.Metrics) == 0 {
		fmt.Fprintf(&b, "No metric changed (%d unchanged).\n", d.Unchanged)
	} else {
		b.WriteString("| metric | A | B | change | relative | noise |\n|:--|--:|--:|--:|--:|:--|\n")
		for _, m := range d.Metrics {
			rel := diffRel(m.Relative, m.A)
			if s := metricStatus(m); s != "" {
				rel = s
			}
			noise := diffNoise(m.Noise)
			if m.Noise != nil && m.Noise.Verdict == "beyond" {
				noise = "**" + noise + "**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", project.MDCode(m.Name), diffNumPtr(m.A), diffNumPtr(m.B), diffChange(m.Change), rel, noise)
		}
		fmt.Fprintf(&b, "\n%s unchanged.\n", diffPlural(d.Unchanged, "metric", "metrics"))
	}

	b.WriteString("\n#### Stages\n\n")
	var own, through []pipeline.StageChange
	for _, c := range d.Changed {
		if c.Direct() {
			own = append(own, c)
		} else {
			through = append(through, c)
		}
	}
	if len(own)+len(d.Added)+len(d.Removed) > 0 {
		b.WriteString("| stage | why |\n|:--|:--|\n")
		for _, n := range d.Added {
			fmt.Fprintf(&b, "| %s | new: not in A |\n", project.MDCode(n))
		}
		for _, n := range d.Removed {
			fmt.Fprintf(&b, "| %s | removed: not in B |\n", project.MDCode(n))
		}
		for _, c := range own {
			fmt.Fprintf(&b, "| %s | %s |\n", project.MDCode(c.Stage), mdDiffReasons(c.Reasons))
		}
		b.WriteString("\n")
	}
	if len(through) > 0 {
		fold := len(through) > 8
		if fold {
			fmt.Fprintf(&b, "<details><summary>%s changed only because an input changed</summary>\n\n", diffPlural(len(through), "stage", "stages"))
		} else if len(own)+len(d.Added)+len(d.Removed) > 0 {
			b.WriteString("Changed because an input changed:\n\n")
		}
		b.WriteString("| stage | why |\n|:--|:--|\n")
		for _, c := range through {
			fmt.Fprintf(&b, "| %s | %s |\n", project.MDCode(c.Stage), mdDiffReasons(c.Reasons))
		}
		if fold {
			b.WriteString("\n</details>\n")
		}
	}
	if len(d.Changed)+len(d.Added)+len(d.Removed) == 0 {
		b.WriteString("No stage changed.\n")
	}

	b.WriteString("\n#### Figures\n\n")
	if len(d.Figures) == 0 {
		b.WriteString("No figure changed.\n")
	}
	for _, f := range d.Figures {
		fmt.Fprintf(&b, "- %s%s\n", project.MDCode(f.Name()), diffFigureStatus(f))
	}
	return b.String()
}

func mdDiffReasons(rs []string) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = project.MDText(r)
	}
	return strings.Join(out, "<br>")
}

func diffMDRules(d *pipeline.LockDiff, b *strings.Builder) {
	if len(d.Rules) == 0 {
		return
	}
	if len(d.Violations) == 0 {
		// Worded so that the rule does not read as a true statement.
		rs := make([]string, len(d.Rules))
		for i, r := range d.Rules {
			rs[i] = project.MDCode(r)
		}
		list := rs[0]
		if n := len(rs); n > 1 {
			list = strings.Join(rs[:n-1], ", ") + " or " + rs[n-1]
		}
		fmt.Fprintf(b, "\n✅ no metric violates %s\n", list)
		return
	}
	fmt.Fprintf(b, "\n❌ **%s**:\n\n", diffPlural(len(d.Violations), "rule violation", "rule violations"))
	for _, v := range d.Violations {
		fmt.Fprintf(b, "- %s: %s changed %s (%s → %s)%s\n", project.MDCode(v.Rule), project.MDCode(v.Metric), diffChangeText(v.Change, v.Relative), diffNum(v.A), diffNum(v.B), v.NoiseText())
	}
}
