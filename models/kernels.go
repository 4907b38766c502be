package models

// Small dense kernels over row-major float64 slices without strides. The
// layers of the study are tiny (at most 64×64), where these loops beat the
// general blas64.Gemm path. Each kernel sums in a fixed order, so results
// are deterministic. Zero elements of the left operand are skipped: ReLU
// activations and digit pixels are often exactly zero.

// gemmBias computes c = a·b + bias, with a m×k, b k×n, c m×n and bias of
// length n added to every row. idx and val are scratch of length >= k.
func gemmBias(c, a, b, bias []float64, m, k, n int, idx []int, val []float64) {
	c = c[:m*n]
	a = a[:m*k]
	b = b[:k*n]
	bias = bias[:n]
	for i := 0; i < m; i++ {
		nz := gatherNZ(idx, val, a[i*k:i*k+k], 1)
		combine(c[i*n:i*n+n], bias, idx[:nz], val[:nz], b, n)
	}
}

// gemmTN computes c = aᵀ·d, with a m×k, d m×n and c k×n. idx and val are
// scratch of length >= m.
func gemmTN(c, a, d []float64, m, k, n int, idx []int, val []float64) {
	c = c[:k*n]
	a = a[:m*k]
	d = d[:m*n]
	for p := 0; p < k; p++ {
		nz := gatherNZ(idx, val, a[p:], k)
		combine(c[p*n:p*n+n], nil, idx[:nz], val[:nz], d, n)
	}
}

// gatherNZ stores the positions and values of the nonzero elements among
// v[0], v[stride], v[2·stride], ... (as many as fit in idx) and returns
// their number.
func gatherNZ(idx []int, val []float64, v []float64, stride int) int {
	cnt := 0
	for q := range idx {
		x := v[q*stride]
		if x != 0 {
			idx[cnt] = q
			val[cnt] = x
			cnt++
		}
	}
	return cnt
}

// combine computes c[j] = c0[j] + Σ_q val[q]·b[idx[q]·n + j] for j < n (c0
// nil counts as zero), a sparse linear combination of rows of b, keeping
// blocks of c in registers.
func combine(c, c0 []float64, idx []int, val []float64, b []float64, n int) {
	c = c[:n]
	val = val[:len(idx)]
	j := 0
	for ; j+8 <= n; j += 8 {
		var s0, s1, s2, s3, s4, s5, s6, s7 float64
		if c0 != nil {
			t := c0[j : j+8 : j+8]
			s0, s1, s2, s3, s4, s5, s6, s7 = t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]
		}
		for q, p := range idx {
			v := val[q]
			r := b[p*n+j : p*n+j+8 : p*n+j+8]
			s0 += v * r[0]
			s1 += v * r[1]
			s2 += v * r[2]
			s3 += v * r[3]
			s4 += v * r[4]
			s5 += v * r[5]
			s6 += v * r[6]
			s7 += v * r[7]
		}
		t := c[j : j+8 : j+8]
		t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7] = s0, s1, s2, s3, s4, s5, s6, s7
	}
	for ; j+4 <= n; j += 4 {
		var s0, s1, s2, s3 float64
		if c0 != nil {
			t := c0[j : j+4 : j+4]
			s0, s1, s2, s3 = t[0], t[1], t[2], t[3]
		}
		for q, p := range idx {
			v := val[q]
			r := b[p*n+j : p*n+j+4 : p*n+j+4]
			s0 += v * r[0]
			s1 += v * r[1]
			s2 += v * r[2]
			s3 += v * r[3]
		}
		t := c[j : j+4 : j+4]
		t[0], t[1], t[2], t[3] = s0, s1, s2, s3
	}
	for ; j+2 <= n; j += 2 {
		var s0, s1 float64
		if c0 != nil {
			s0, s1 = c0[j], c0[j+1]
		}
		for q, p := range idx {
			v := val[q]
			r := b[p*n+j : p*n+j+2 : p*n+j+2]
			s0 += v * r[0]
			s1 += v * r[1]
		}
		c[j], c[j+1] = s0, s1
	}
	for ; j < n; j++ {
		var s float64
		if c0 != nil {
			s = c0[j]
		}
		for q, p := range idx {
			s += val[q] * b[p*n+j]
		}
		c[j] = s
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
