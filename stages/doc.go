// Package stages declares this study's DAG: every stage, its inputs, the
// parameters it reads and the function that computes it, in one place (Build)
// that reads top to bottom. Stage functions are small: they decode their
// typed inputs, call models, plots or report, and return typed outputs; they
// do no I/O of their own.
package stages
