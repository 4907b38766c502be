// Package revdiff compares a project's results between two revisions
// (`repro diff`): it reads the lock of each side (a git revision, the
// working tree, or what the store computed for the current code and
// parameters) and the trust settings behind it, and renders the difference
// as plain text for a terminal, as Markdown for a pull request, and as an
// HTML page: a summary, the changed figures side by side, the report of B
// with every number that changed from A marked old → new (numbers.go says
// how they are matched), and the stages, folded.
package revdiff
