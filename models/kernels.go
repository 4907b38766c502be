package models

// Small dense kernels over row-major float64 slices without strides. The
// layers of the study are tiny (at most 64×64), where these loops beat the
// general blas64.Gemm path. Each kernel sums in a fixed order, so results
// are deterministic. Zero elements of the left operand are skipped: ReLU
// activations and digit pixels are often exactly zero.

// gemmBias computes c = a·b + bias, with a m×k, b k×n, c m×n and bias of
// length n added to every row.
func gemmBias(c, a, b, bias []float64, m, k, n int) {
	c = c[:m*n]
	a = a[:m*k]
	b = b[:k*n]
	bias = bias[:n]
	for i := 0; i < m; i++ {
		ci := c[i*n : i*n+n]
		copy(ci, bias)
		for p, av := range a[i*k : i*k+k] {
			if av != 0 {
				axpy(av, b[p*n:p*n+n], ci)
			}
		}
	}
}

// gemmTN computes c = aᵀ·d, with a m×k, d m×n and c k×n.
func gemmTN(c, a, d []float64, m, k, n int) {
	c = c[:k*n]
	a = a[:m*k]
	d = d[:m*n]
	clear(c)
	for i := 0; i < m; i++ {
		di := d[i*n : i*n+n]
		for p, av := range a[i*k : i*k+k] {
			if av != 0 {
				axpy(av, di, c[p*n:p*n+n])
			}
		}
	}
}

// scaleByNT multiplies every element c[i,p] by the dot product of row i of
// d (m×n) and row p of w (k×n), that is c ∘= d·wᵀ. Elements of c that are
// zero are left alone.
func scaleByNT(c, d, w []float64, m, n, k int) {
	c = c[:m*k]
	d = d[:m*n]
	w = w[:k*n]
	for i := 0; i < m; i++ {
		di := d[i*n : i*n+n]
		ci := c[i*k : i*k+k]
		for p, cv := range ci {
			if cv != 0 {
				ci[p] = cv * dot(di, w[p*n:p*n+n])
			}
		}
	}
}

// colSum stores in dst the column sums of the m×n matrix d.
func colSum(dst, d []float64, m, n int) {
	dst = dst[:n]
	copy(dst, d[:n])
	for i := 1; i < m; i++ {
		for j, v := range d[i*n : i*n+n] {
			dst[j] += v
		}
	}
}

// axpy computes y += alpha·x for len(x) elements.
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for len(x) >= 4 {
		y[0] += alpha * x[0]
		y[1] += alpha * x[1]
		y[2] += alpha * x[2]
		y[3] += alpha * x[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		y[i] += alpha * v
	}
}

// dot returns x·y over len(x) elements, with four partial sums.
func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	for len(x) >= 4 {
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		s0 += v * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}
