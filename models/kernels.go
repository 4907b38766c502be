package models

// Small dense kernels over row-major float64 slices without strides. The
// layers of the study are tiny (at most 64×64), where these loops beat the
// general blas64.Gemm path. Each kernel sums in a fixed order, so results
// are deterministic. With sparse set, zero elements of the left operand are
// skipped: ReLU activations and digit pixels are often exactly zero.

// nzRows holds, for the rows of an m×k matrix, the offsets (column index
// times the width n of the other operand) and values of their nonzero
// elements: row i's list is idx[i*k : i*k+cnt[i]] and val likewise.
type nzRows struct {
	idx []int
	val []float64
	cnt []int
}

func newNZRows(m, k int) nzRows {
	return nzRows{idx: make([]int, m*k), val: make([]float64, m*k), cnt: make([]int, m)}
}

// gemmBias computes c = a·b + bias, with a m×k, b k×n, c m×n and bias of
// length n added to every row. With sparse set, the nonzero elements of the
// rows of a are recorded in nz for gemmTN; otherwise nz is scratch.
func gemmBias(c, a, b, bias []float64, m, k, n int, sparse bool, nz nzRows) {
	c = c[:m*n]
	a = a[:m*k]
	b = b[:k*n]
	bias = bias[:n]
	if !sparse {
		offsets(nz.idx[:k], n)
	}
	for i := 0; i < m; i++ {
		ai := a[i*k : i*k+k]
		if sparse {
			idx, val := nz.idx[i*k:i*k+k], nz.val[i*k:i*k+k]
			cnt := gatherNZ(idx, val, ai, 1, n)
			nz.cnt[i] = cnt
			combine(c[i*n:i*n+n], bias, idx[:cnt], val[:cnt], b)
		} else {
			combine(c[i*n:i*n+n], bias, nz.idx[:k], ai, b)
		}
	}
}

// gemmTN computes c = aᵀ·d, with a m×k, d m×n and c k×n. With sparse set,
// nz must hold the nonzero elements of a recorded by gemmBias, and c is
// accumulated row by row from them; otherwise nz is scratch.
func gemmTN(c, a, d []float64, m, k, n int, sparse bool, nz nzRows) {
	c = c[:k*n]
	a = a[:m*k]
	d = d[:m*n]
	if sparse {
		clear(c)
		for i := 0; i < m; i++ {
			di := d[i*n : i*n+n]
			cnt := nz.cnt[i]
			val := nz.val[i*k : i*k+cnt]
			for q, off := range nz.idx[i*k : i*k+cnt] {
				axpy(val[q], di, c[off:off+n])
			}
		}
		return
	}
	idx, val := nz.idx[:m], nz.val[:m]
	offsets(idx, n)
	for p := 0; p < k; p++ {
		for i := range val {
			val[i] = a[i*k+p]
		}
		combine(c[p*n:p*n+n], nil, idx, val, d)
	}
}

// offsets sets idx[q] = q·n.
func offsets(idx []int, n int) {
	for q := range idx {
		idx[q] = q * n
	}
}

// gatherNZ stores the values of the nonzero elements among v[0],
// v[stride], v[2·stride], ... (as many as fit in idx) in val and their
// positions, multiplied by scale, in idx, and returns their number.
func gatherNZ(idx []int, val []float64, v []float64, stride, scale int) int {
	// Branch-free: every element is written at position cnt, which only
	// advances past nonzero ones (zero patterns are too irregular for the
	// branch predictor).
	cnt := 0
	for q := range idx {
		x := v[q*stride]
		idx[cnt] = q * scale
		val[cnt] = x
		inc := 0
		if x != 0 {
			inc = 1
		}
		cnt += inc
	}
	return cnt
}

// combine computes c[j] = c0[j] + Σ_q val[q]·b[idx[q] + j] for j < len(c)
// (c0 nil counts as zero): a sparse linear combination of rows of b that
// start at the offsets idx, keeping blocks of c in registers.
func combine(c, c0 []float64, idx []int, val []float64, b []float64) {
	n := len(c)
	val = val[:len(idx)]
	j := 0
	for ; j+4 <= n; j += 4 {
		var s0, s1, s2, s3 float64
		if c0 != nil {
			t := c0[j : j+4 : j+4]
			s0, s1, s2, s3 = t[0], t[1], t[2], t[3]
		}
		for q, p := range idx {
			v := val[q]
			r := b[p+j : p+j+4 : p+j+4]
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
			r := b[p+j : p+j+2 : p+j+2]
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
			s += val[q] * b[p+j]
		}
		c[j] = s
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
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs := x[i : i+4 : i+4]
		ys := y[i : i+4 : i+4]
		ys[0] += alpha * xs[0]
		ys[1] += alpha * xs[1]
		ys[2] += alpha * xs[2]
		ys[3] += alpha * xs[3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
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

// scaleByDWt multiplies every element c[i,p] by (d·wᵀ)[i,p], with d m×n,
// w k×n and c m×k, as sparse row combinations of the rows of wᵀ:
// wt (n×k) receives the transpose of w and row (k) is scratch; idx and val
// are scratch of length >= n. With sparse set, zeros of d are skipped.
func scaleByDWt(c, d, w []float64, m, n, k int, sparse bool, wt, row []float64, idx []int, val []float64) {
	c = c[:m*k]
	d = d[:m*n]
	w = w[:k*n]
	wt = wt[:n*k]
	row = row[:k]
	for p := 0; p < k; p++ {
		for j, v := range w[p*n : p*n+n] {
			wt[j*k+p] = v
		}
	}
	if !sparse {
		offsets(idx[:n], k)
	}
	for i := 0; i < m; i++ {
		di := d[i*n : i*n+n]
		if sparse {
			nz := gatherNZ(idx[:n], val, di, 1, k)
			combine(row, nil, idx[:nz], val[:nz], wt)
		} else {
			combine(row, nil, idx[:n], di, wt)
		}
		ci := c[i*k : i*k+k]
		for p, v := range row {
			ci[p] *= v
		}
	}
}
