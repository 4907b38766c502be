package main

import (
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/gitrev"
	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

// Shell completion (repro completion bash|zsh|fish|powershell): stage names
// and their families for the commands that take stages, profiles, parameter
// keys for --set, the values of enumerated flags, and for `repro diff` its
// revisions and the metric names of --fail-on.

// completeStages completes a stage name or pattern: the families
// ("neural/regression/*") and the stages under what is typed so far, one
// "/" segment at a time, so that a grid of hundreds of points stays
// navigable.
func (g *globals) completeStages(toComplete string, patterns bool) []string {
	return completeFrom(g.opts().StageNames(), toComplete, patterns)
}

// completeFrom is completeStages over the given stage names. A family
// "x/*" selects every stage under x/ (pipeline.Match).
func completeFrom(names []string, toComplete string, patterns bool) []string {
	return completeSegments(names, toComplete, "/", patterns)
}

// completeSegments completes toComplete from names one segment (up to and
// including the next sep) at a time, with the family pattern "x<sep>*"
// beside each segment when patterns is set.
func completeSegments(names []string, toComplete, sep string, patterns bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, toComplete) {
			continue
		}
		c := n
		if i := strings.Index(n[len(toComplete):], sep); i >= 0 {
			c = n[:len(toComplete)+i+len(sep)] // the next segment, then more
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
		if patterns && strings.HasSuffix(c, sep) && !seen[c+"*"] {
			seen[c+"*"] = true
			out = append(out, c+"*")
		}
	}
	sort.Strings(out)
	return out
}

// recentCommits is how many commits of the log the revisions of
// `repro diff` complete to, and headSteps how many HEAD~N.
const (
	recentCommits = 10
	headSteps     = 5
)

// revisions lists what `repro diff` takes as a revision, each with a
// description after a tab (gitrev.Repo.Revisions); nothing outside a git
// repository.
func (g *globals) revisions() []string {
	root, err := filepath.Abs(g.dir)
	if err != nil {
		return nil
	}
	revs, err := gitrev.Repo{Dir: root}.Revisions(headSteps, recentCommits)
	if err != nil {
		return nil // not a repository, or no commit yet
	}
	var out []string
	for _, r := range revs {
		out = append(out, r.Name+"\t"+proj.TermText(r.What))
	}
	return out
}

// revisionArgs is the ValidArgsFunction of `repro diff`: revisions, two at
// most (one with --against-computed).
func (g *globals) revisionArgs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	most := 2
	if c, _ := cmd.Flags().GetBool("against-computed"); c {
		most = 1
	}
	if len(args) >= most {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, r := range g.revisions() {
		name, _, _ := strings.Cut(r, "\t")
		if strings.HasPrefix(name, toComplete) {
			out = append(out, r)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// metricNames are the metrics of the profile's lock in the working tree
// (the last run), as `repro metrics` prints them.
func (g *globals) metricNames() []string {
	l, err := pipeline.ReadLock(filepath.Join(g.dir, g.opts().LockName()))
	if err != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(l.Metrics()))
}

// completeMetricRule completes the metric part of a --fail-on rule
// (NAME_GLOB OP VALUE): metric names one "." segment at a time, with the
// families "x.*" that a rule may name. Once the name is followed by a
// space the rest is the user's.
func (g *globals) completeMetricRule(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if strings.ContainsAny(toComplete, " <>=") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := completeSegments(g.metricNames(), toComplete, ".", true)
	return out, segmentDirective(out, ".")
}

// segmentDirective is the directive of completions out of completeSegments:
// no space after a family (one ending in sep: more to type), no files.
func segmentDirective(out []string, sep string) cobra.ShellCompDirective {
	dir := cobra.ShellCompDirectiveNoFileComp
	for _, c := range out {
		if strings.HasSuffix(c, sep) {
			return dir | cobra.ShellCompDirectiveNoSpace
		}
	}
	return dir
}

// stageArgs is the ValidArgsFunction of commands that take stage patterns
// (patterns) or one stage name.
func (g *globals) stageArgs(patterns bool, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := g.completeStages(toComplete, patterns)
		return out, segmentDirective(out, "/")
	}
}

// profiles lists the profiles of the project: params.NAME.yaml.
func (g *globals) profiles() []string {
	ms, _ := filepath.Glob(filepath.Join(g.dir, "params.*.yaml"))
	var out []string
	for _, m := range ms {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "params."), ".yaml"))
	}
	return append(out, "default")
}

// completionHelp is the help of `repro completion`: what it completes, and
// what each shell needs first.
const completionHelp = `Generate the autocompletion script for repro for the specified shell. It
completes commands, stage names one "/" segment at a time (and families
such as 'neural/regression/*'), profiles, --set keys and flag values; for
'repro diff', revisions (HEAD~N, branches, tags, recent commits) and the
metric names of --fail-on, one "." segment at a time.

Bash needs the bash-completion package first (Debian and Ubuntu:
apt-get install bash-completion; macOS: brew install bash-completion@2,
then follow its caveats); without it, bash prints "_get_comp_words_by_ref:
command not found" on every Tab. Then, in ~/.bashrc or once per shell:

    source <(repro completion bash)

Zsh needs compinit (autoload -U compinit; compinit) before
'source <(repro completion zsh)'. See each sub-command's help for details.`

// registerCompletions adds the completion of the root's persistent flags,
// and says in the completion command's help what each shell needs.
func (g *globals) registerCompletions(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Short = "Generate the autocompletion script for the specified shell (bash needs bash-completion)"
			c.Long = completionHelp
		}
	}
	root.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return g.profiles(), cobra.ShellCompDirectiveNoFileComp
	})
	root.RegisterFlagCompletionFunc("set", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if strings.Contains(toComplete, "=") {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, k := range config.Keys() {
			if strings.HasPrefix(k, toComplete) {
				out = append(out, k+"=")
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
	root.RegisterFlagCompletionFunc("store", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	root.RegisterFlagCompletionFunc("dir", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
}

// fixedValues completes a flag from a fixed list.
func fixedValues(vals ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return vals, cobra.ShellCompDirectiveNoFileComp
	}
}
