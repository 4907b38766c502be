// Package serve is `repro serve`, a live preview of the report: it serves
// the exported report and the stage graph (/status), watches the project's
// inputs and, after a change, runs the project again in the same warm
// process, through project.Project.Run as `repro run` does, then tells
// every open page to update in place; after an edit of the Go source it
// rebuilds the binary and restarts in place on the same socket. It holds
// the watcher, the debouncer, the HTTP side and the page scripts
// (docs/serve.md).
package serve
