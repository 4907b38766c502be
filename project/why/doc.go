// Package why says where a result came from (`repro why`): given a metric
// as `repro metrics` prints it, a stage name, or the id of a number or
// figure of the report, it prints the chain the profile's lock records,
// each stage with its short key, the parameters that differ from
// params.yaml's defaults and the code it reaches, then its inputs the same
// way, down to the data files and their sha256.
package why
