package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/stages"
)

// Shell completion (repro completion bash|zsh|fish|powershell): stage names
// and their families for the commands that take stages, profiles, parameter
// keys for --set, and the values of enumerated flags.

// stageNames lists the stages of the project's graph under the current
// flags, without the store or the code fingerprints (completion must be
// quick and must not fail loudly).
func (g *globals) stageNames() []string {
	root, err := filepath.Abs(g.dir)
	if err != nil {
		return nil
	}
	params, err := config.Load(config.Options{Dir: root, Profile: g.profile, Environ: os.Environ(), Set: g.set})
	if err != nil {
		return nil
	}
	graph, err := stages.Build(params, stages.Env{Profile: g.profileName(), KaTeX: stages.KaTeXFiles(os.DirFS(root)), MaxStages: g.maxStages})
	if err != nil {
		return nil
	}
	var names []string
	for _, s := range graph.Stages() {
		names = append(names, s.Name)
	}
	return names
}

// completeStages completes a stage name or pattern: the families
// ("neural/regression/*") and the stages under what is typed so far, one
// "/" segment at a time, so that a grid of hundreds of points stays
// navigable.
func (g *globals) completeStages(toComplete string, patterns bool) []string {
	return completeFrom(g.stageNames(), toComplete, patterns)
}

// completeFrom is completeStages over the given stage names. A family
// "x/*" selects every stage under x/ (pipeline.Match).
func completeFrom(names []string, toComplete string, patterns bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, toComplete) {
			continue
		}
		c := n
		if i := strings.Index(n[len(toComplete):], "/"); i >= 0 {
			c = n[:len(toComplete)+i+1] // the next segment, then more
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
		if patterns && strings.HasSuffix(c, "/") && !seen[c+"*"] {
			seen[c+"*"] = true
			out = append(out, c+"*")
		}
	}
	sort.Strings(out)
	return out
}

// stageArgs is the ValidArgsFunction of commands that take stage patterns
// (patterns) or one stage name.
func (g *globals) stageArgs(patterns bool, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := g.completeStages(toComplete, patterns)
		dir := cobra.ShellCompDirectiveNoFileComp
		for _, c := range out {
			if strings.HasSuffix(c, "/") {
				dir |= cobra.ShellCompDirectiveNoSpace // a family: more to type
				break
			}
		}
		return out, dir
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
such as 'neural/regression/*'), profiles, --set keys and flag values.

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
