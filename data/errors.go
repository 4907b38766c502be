package data

// Error is the error every loader returns for bad input.
//
// Its text is "File: Where: Msg: Err", leaving out empty parts, for example
// "digits.csv.gz: row 3, column 65: label 10 out of range 0..9".
type Error struct {
	File  string // display name of the file
	Where string // place in the file: "row 17", "header", "elevation.npy: header", "tag 258 (BitsPerSample)"; may be empty
	Msg   string // what is wrong
	Err   error  // underlying cause (a gzip, zip or decompression error), may be nil
}

func (e *Error) Error() string {
	s := e.File
	if e.Where != "" {
		s += ": " + e.Where
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// within prefixes e's place with an outer place, as when an .npy member of
// an .npz archive is at fault ("elevation.npy" + "header").
func (e *Error) within(outer string) *Error {
	if e.Where == "" {
		e.Where = outer
	} else {
		e.Where = outer + ": " + e.Where
	}
	return e
}
