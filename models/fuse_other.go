//go:build !amd64.v3

package models

// goFusesMulAdd: see fuse_v3.go. On the architectures other than amd64 the
// assembly is not used at all (useAVX is false).
const goFusesMulAdd = false
