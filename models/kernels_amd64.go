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
func combineAVX(c, c0 *float64, n int, idx *int, val *float64, cnt int, b *float64, stride, lim, vstride int) bool

// hasFMA reports whether the processor has FMA3; call it only if hasAVX().
func hasFMA() bool

// hasAVX512 reports whether the processor and the operating system support
// AVX-512F (with POPCNT).
func hasAVX512() bool

// useAVX512 selects the assembly version of gatherNZ.
var useAVX512 = hasAVX512()

// gatherNZAVX512 is gatherNZ for n a positive multiple of 8.
//
//go:noescape
func gatherNZAVX512(idx *int, val *float64, v *float64, n int) int

// expAVX computes exponentials four at a time exactly as math.Exp does on
// amd64 (see exp.go); n must be a positive multiple of 4.
//
//go:noescape
func expAVX(dst, src *float64, n int, shift float64, sigmoid, fma bool) bool

// colSumAVX is colSum for n a positive multiple of 4 and m >= 1.
//
//go:noescape
func colSumAVX(dst, d *float64, m, n int)

// mulDerivAVX is mulDerivative for n a positive multiple of 4; act is 1
// (Sigmoid), 2 (ReLU) or 3 (LeakyReLU).
//
//go:noescape
func mulDerivAVX(c, z, a *float64, n int, act int, alpha float64)

// sgdAVX is the SGD update for n a positive multiple of 4.
//
//go:noescape
func sgdAVX(theta, v, grad *float64, n int, mu, lr float64)

// actAVX is activate for ReLU (leaky false) and LeakyReLU, for n a positive
// multiple of 4.
//
//go:noescape
func actAVX(a, z *float64, n int, leaky bool, alpha float64)
