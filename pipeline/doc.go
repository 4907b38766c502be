// Package pipeline runs a graph of cached stages and records what they produced.
//
// A stage is declared with Add: its name, its parameters, a struct of typed
// inputs (the Refs of the stages it reads, the files it reads) and the named
// Go function that computes its output. Before a stage runs, the engine
// computes its key, a sha256 over labelled lines:
//
//	stage <name>
//	func <the function's name>
//	code <fingerprint of the declarations reachable from its function>
//	params <canonical JSON of its parameters>
//	input <upstream stage> <content hash of that stage's outputs>
//	file <path or name> <content hash>
//	toolchain <Go version> <GOOS/GOARCH>
//	lang <the module's language version, go.mod's go line as go1.N>
//	build <the build settings that can change generated code>
//	engine <fingerprint of the engine's own encoding code>
//	module <path>@<version>   (for each outside module its code reaches, transitively)
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
// A stage whose reached code reads what no line records is refused before it
// runs, naming the read: the environment, a file it does not declare, the
// clock, a global random source, the network, another program (a list of
// outside functions, see ambientFuncs), or a package variable that some
// function of the module assigns at run time. A variable that only caches
// the results of a pure function says so with a //repro:memo line in its
// doc comment.
//
// The package knows nothing of what the stages compute.
package pipeline
