//go:build amd64 && !purego

package models

// useAVX selects the assembly version of combine.
var useAVX = hasAVX()

// hasAVX reports whether the processor and the operating system support
// AVX (CPUID.1:ECX.AVX and OSXSAVE, XCR0 saving the XMM and YMM state).
func hasAVX() bool

// combineAVX is combine for n >= 4 and cnt >= 1 on raw pointers (c0 may be
// nil). It returns false, having possibly written part of c, if some row
// offset idx[q]·stride exceeds lim (unsigned), the largest offset at which
// n elements of b remain.
//
//go:noescape
func combineAVX(c, c0 *float64, n int, idx *int, val *float64, cnt int, b *float64, stride, lim int) bool
