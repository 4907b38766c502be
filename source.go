// Package repro embeds the module's own Go source in the binary, so that the
// pipeline fingerprints exactly the code that runs (see pipeline.Fingerprinter).
package repro

import "embed"

// Source holds go.mod, go.sum, the module graph (modgraph.txt) and every
// package of the module. A test checks
// that no package directory is missing.
//
//go:embed go.mod go.sum modgraph.txt *.go cmd/repro/*.go config/*.go data/*.go gitrev/*.go session/*.go models/*.go models/*.s pipeline/*.go plots/*.go remote/*.go report/*.go stages/*.go
var Source embed.FS
