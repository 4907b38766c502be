// Package pipeline runs a graph of cached stages and records what they produced.
//
// A Stage names its upstream stages, the files it reads, the parameters it
// reads and the Go function that computes its outputs. Before a stage runs,
// the engine computes its key, a sha256 over labelled lines:
//
//	stage <name>
//	code <fingerprint of the declarations reachable from its function>
//	params <canonical JSON of its parameters>
//	input <upstream stage> <content hash of that stage's outputs>
//	file <path> <content hash>
//	toolchain <Go version> <GOOS/GOARCH>
//	module <path>@<version>   (for each outside module its code imports)
//
// A key found in the run cache is reused without running; otherwise the stage
// runs and its outputs are written to a content-addressed store (temp file,
// fsync, rename; checked on every read). Setting REPRO_DEBUG_KEY=1 prints the
// lines of every key, the cheapest answer to "why did this run?".
//
// Code fingerprints are computed from the module's own Go source embedded in
// the binary (see Fingerprinter), so a result is always stored under the
// fingerprint of the code that actually ran, never of newer source on disk.
//
// The package knows nothing of what the stages compute.
package pipeline
