// Package plots draws every figure of the report as a pure function from
// plain Go data to SVG bytes.
//
// Each exported function takes slices and small structs defined here, never
// types of other packages of this repository, and returns the bytes of one
// SVG document rendered with gonum.org/v1/plot. Nothing is read or written:
// the caller decides where the bytes go. Rendering is deterministic: the same
// input gives the same bytes on every run and every machine (plotter.Contour,
// whose output is not, is never used).
//
// Conventions shared by all figures:
//
//   - every figure has a title, labelled axes (where there are axes) and a
//     legend when more than one kind of mark is drawn; legends sit in a strip
//     under the title so they never hide data;
//   - series colours come from the Okabe-Ito palette (colour-blind safe,
//     legible on white); continuous values use viridis, elevations a grey
//     ramp or viridis;
//   - text is Liberation Sans; the SVG asks for 'Liberation Sans', then
//     Arial/Helvetica (metric-compatible), then any sans-serif;
//   - no text is smaller than 9 pt (the report shows a figure at one pixel
//     per point or larger, so 9 px on screen): a title too wide for its
//     figure or panel is broken into two lines before it is shrunk, and
//     never below that (only a DAG scaled down by WithSize goes smaller);
//   - images (digits, terrain) are drawn north up: row 0 of the data is the
//     top row of the picture.
//
// Bad input (mismatched lengths, empty data, out-of-range indices) is
// reported as an *InputError naming the function and the argument; no
// exported function panics on bad input.
//
// Options (WithTitle, WithSize, WithColumns, ...) adjust a figure; each
// function documents the options it honours and ignores the others.
package plots
