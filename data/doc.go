// Package data reads the study's outside input: the 8x8 digits CSV, NumPy
// .npy/.npz arrays and single-band GeoTIFF elevation grids.
//
// Every loader is a pure function of a display name and the file's bytes:
// the caller (the pipeline engine) reads and hashes the file, the loader
// only parses. Malformed input is never a panic: it is an *Error naming the
// file, the place (row, column, header field, TIFF tag) and what is wrong.
// A loader that returns a nil error returns valid data: consistent shapes
// and finite values in range.
//
// The entry points are ReadDigitsCSV for the classification data and
// LoadGrid for terrain, which dispatches to ReadNPY, ReadNPZ or
// ReadGeoTIFF and checks that the result is a usable 2-D grid.
package data
