//go:build amd64.v3

package models

// goFusesMulAdd reports whether the compiler may fuse x*y + z in Go code
// into one multiply-add (it does on amd64 from GOAMD64=v3 and on arm64,
// ppc64 and s390x): assembly that mirrors such Go code unfused would then
// not give its results, so it is not used.
const goFusesMulAdd = true
