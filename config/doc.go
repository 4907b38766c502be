// Package config loads the study's parameters: params.yaml, overridden by a
// profile file (params.<profile>.yaml), then by REPRO_* environment variables,
// then by --set key=value, and decodes them strictly into Params.
//
// Unknown keys (with a suggestion for a likely misspelling), wrong types and
// out-of-range values are errors naming the source, the key, the value and
// what is allowed, returned before anything runs.
package config
