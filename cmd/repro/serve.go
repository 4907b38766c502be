package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/serve"
)

type serveFlags struct {
	addr string
	open bool
	jobs int
}

func newServeCmd(g *globals) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the report and re-render it on save: a live preview in the browser",
		Long: `Serve the exported report on http://ADDR/ (the stage graph and this
session's runs on /status), watch the project's inputs (templates, parameter
files, data files, the Go source) and, after a change, run only the stages
it makes stale, in this process, then update every open page where the
reader is (in place: only what changed is replaced; a page whose style
sheets or title changed reloads). A report that a repro run in another
terminal exports is shown too. Triggers are content hashes: saving a file
unchanged does nothing.
While stages run the page shows a progress bar and which stages are running;
a failed stage shows its error over the last good report.

Each run is what 'repro run' does, through the same code: it pulls from and
uploads to the remote store (store.remote), writes the profile's lock, the
run state and artifacts/report.html, and prints the report's warnings and
the grid-edge notes. A change saved during a run is picked up when the run
ends.

After an edit of the Go source the running binary cannot run the new code:
serve rebuilds itself (go build, with this binary's build settings; into the
same file when the binary lies inside the project, as bin/repro does, else
into the store's serve/ directory) and restarts in place on the same
address, its listening socket handed over, so open pages reconnect and
reload. While it builds, /status shows what the edit makes stale, from the
source on disk. If the build fails, the page shows the compiler's errors and
the report keeps running the binary's code.

The server binds to loopback (127.0.0.1) unless --addr names another host,
answers only GET and HEAD, only for the report and its files, and only
to this machine's own Host names (localhost, the loopback addresses, its host
name, the address it listens on and, on 0.0.0.0, every address of its
interfaces), so that no web page can reach it by DNS rebinding. It keeps at
most 256 connections and 64 open pages at once, and drops readers that
stall. Ctrl-C stops it; a run
in progress stops as 'repro run' does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve.Run(cmd.Context(), serve.Options{Project: g.opts(), Addr: f.addr, Open: f.open, Jobs: f.jobs, Out: os.Stderr})
		},
	}
	cmd.Flags().StringVar(&f.addr, "addr", serve.DefaultAddr, "address to listen on, HOST:PORT (PORT 0: any free port; no HOST: 127.0.0.1)")
	cmd.Flags().BoolVar(&f.open, "open", false, "open the report in the default browser")
	cmd.Flags().IntVarP(&f.jobs, "jobs", "j", 0, "stages run at once (default: number of CPUs)")
	g.addMaxStages(cmd)
	return cmd
}
