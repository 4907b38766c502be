//go:build !amd64 || purego

package models

const useAVX = false

func combineAVX(c, c0 *float64, n int, idx *int, val *float64, cnt int, b *float64, stride, lim int) bool {
	panic("models: no assembly kernels")
}
