//go:build !amd64 || purego

package models

const useAVX = false

func combineAVX(c, c0 *float64, n int, idx *int, val *float64, cnt int, b *float64, stride, lim, vstride int) bool {
	panic("models: no assembly kernels")
}

const useAVX512 = false

func hasFMA() bool { return false }

func gatherNZAVX512(idx *int, val *float64, v *float64, n int) int {
	panic("models: no assembly kernels")
}

func expAVX(dst, src *float64, n int, shift float64, sigmoid, fma bool) bool {
	panic("models: no assembly kernels")
}

func colSumAVX(dst, d *float64, m, n int) { panic("models: no assembly kernels") }

func mulDerivAVX(c, z, a *float64, n int, act int, alpha float64) {
	panic("models: no assembly kernels")
}

func sgdAVX(theta, v, grad *float64, n int, mu, lr float64) { panic("models: no assembly kernels") }

func actAVX(a, z *float64, n int, leaky bool, alpha float64) { panic("models: no assembly kernels") }
