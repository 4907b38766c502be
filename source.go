// Package repro embeds the module's own Go source in the binary, so that the
// pipeline fingerprints exactly the code that runs (see pipeline.Fingerprinter).
package repro

import "embed"

// Source holds go.mod, go.sum and every
// package of the module. A test checks
// that no package directory is missing.
//
//go:embed go.mod go.sum *.go cmd/repro/*.go config/*.go crate/*.go data/*.go gitrev/*.go gobuild/*.go project/*.go project/revdiff/*.go project/why/*.go serve/*.go session/*.go models/*.go models/*.s numfmt/*.go pipeline/*.go plots/*.go remote/*.go report/*.go stages/*.go
var Source embed.FS
