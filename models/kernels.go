package models

// Small dense kernels over row-major float64 slices without strides. The
// layers of the study are tiny (at most 64×64), where general blocked GEMM
// (gonum's blas64.Gemm, which is a sequence of axpy calls for these sizes)
// spends more time in calls and loads/stores of C than in arithmetic. Every
// product here is computed by one kernel, combine, which keeps a block of
// output columns in registers while it runs through a sparse list of rows of
// the right operand: on amd64 with AVX it is written in assembly (four
// columns per instruction), elsewhere in Go.
//
// Each kernel sums in a fixed order, the same in the assembly and in the Go
// code (every output element is its initial value plus the products in list
// order, each product rounded before it is added, never fused into a
// multiply-add), so results are bit-identical across runs and across the two
// implementations. With
// sparse set, zero elements of the left operand are skipped: ReLU activations
// and digit pixels are often exactly zero.

// nzRows holds, for the rows of an m×k matrix, the column indices and
// values of their nonzero elements: row i's list is idx[off[i]:off[i]+cnt[i]]
// and val likewise. Lists gathered by gemmBias start at off[i] = i·k; lists
// of fixed training data may point anywhere into shared arrays.
type nzRows struct {
	idx []int
	val []float64
	off []int
	cnt []int
	// Column lists, built by gemmTN from the row lists: column p's list
	// holds the row indices and values of its nonzero elements in
	// cidx[p·m : p·m+ccnt[p]] and cval likewise.
	cidx []int
	cval []float64
	ccnt []int
}

func newNZRows(m, k int, backprop bool) nzRows {
	nz := nzRows{idx: make([]int, m*k), val: make([]float64, m*k), off: make([]int, m), cnt: make([]int, m)}
	if backprop {
		nz.cidx, nz.cval, nz.ccnt = make([]int, m*k), make([]float64, m*k), make([]int, k)
	}
	return nz
}

// row returns the nonzero list of row i.
func (nz *nzRows) row(i int) ([]int, []float64) {
	o, c := nz.off[i], nz.cnt[i]
	return nz.idx[o : o+c], nz.val[o : o+c]
}

// iota returns a slice holding 0, 1, ..., n-1.
func iota(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// gemmBias computes c = a·b + bias, with a m×k, b k×n, c m×n and bias of
// length n added to every row. With sparse set, the nonzero elements of the
// rows of a are recorded in nz (for gemmTN) unless given is set, in which
// case nz already holds them and a is not read. seq must hold 0..k-1.
func gemmBias(c, a, b, bias []float64, m, k, n int, sparse, given bool, nz *nzRows, seq []int) {
	c = c[:m*n]
	b = b[:k*n]
	bias = bias[:n]
	for i := 0; i < m; i++ {
		ci := c[i*n : i*n+n]
		switch {
		case given:
			idx, val := nz.row(i)
			combine(ci, bias, idx, val, b, n)
		case sparse:
			idx, val := nz.idx[i*k:i*k+k], nz.val[i*k:i*k+k]
			cnt := gatherNZ(idx, val, a[i*k:i*k+k])
			nz.off[i], nz.cnt[i] = i*k, cnt
			combine(ci, bias, idx[:cnt], val[:cnt], b, n)
		default:
			combine(ci, bias, seq[:k], a[i*k:i*k+k], b, n)
		}
	}
}

// gemmTN computes c = aᵀ·d, with a m×k, d m×n and c k×n, as one sparse
// combination of rows of d per row of c. With sparse set, nz must hold the
// nonzero elements of the rows of a (a is not read); otherwise seq must hold
// 0..m-1. Every element of c sums
// its products in the order of the rows.
func gemmTN(c, a, d []float64, m, k, n int, sparse bool, nz *nzRows, seq []int) {
	c = c[:k*n]
	d = d[:m*n]
	if sparse {
		cnt := nz.ccnt[:k]
		clear(cnt)
		cidx, cval := nz.cidx[:k*m], nz.cval[:k*m]
		for i := 0; i < m; i++ {
			idx, v := nz.row(i)
			v = v[:len(idx)]
			for q, p := range idx {
				s := p*m + cnt[p]
				cidx[s] = i
				cval[s] = v[q]
				cnt[p]++
			}
		}
		for p, np := range cnt {
			combine(c[p*n:p*n+n], nil, cidx[p*m:p*m+np], cval[p*m:p*m+np], d, n)
		}
		return
	}
	a = a[:m*k]
	for p := 0; p < k; p++ {
		// Column p of a, read in place.
		combineStrided(c[p*n:p*n+n], nil, seq[:m], a[p:], k, d, n)
	}
}

// gatherNZ stores the values of the nonzero elements of v in val and their
// positions in idx (both of length >= len(v)), and returns their number.
func gatherNZ(idx []int, val []float64, v []float64) int {
	idx = idx[:len(v)]
	val = val[:len(v)]
	cnt, q0 := 0, 0
	if useAVX512 && len(v) >= 8 {
		// Eight at a time with AVX-512 compress, then the rest.
		q0 = len(v) &^ 7
		cnt = gatherNZAVX512(&idx[0], &val[0], &v[0], q0)
	}
	// Branch-free: every element is written at position cnt, which only
	// advances past nonzero ones (zero patterns are too irregular for the
	// branch predictor).
	for q := q0; q < len(v); q++ {
		x := v[q]
		idx[cnt] = q
		val[cnt] = x
		inc := 0
		if x != 0 {
			inc = 1
		}
		cnt += inc
	}
	return cnt
}

// combine computes c[j] = c0[j] + Σ_q val[q]·b[idx[q]·stride + j] for
// j < len(c) (c0 nil counts as zero): a sparse linear combination of the
// rows idx of the matrix b of row length stride. Every c[j] is summed in the
// order of q. It panics if a row runs past the end of b.
func combine(c, c0 []float64, idx []int, val []float64, b []float64, stride int) {
	combineStrided(c, c0, idx, val, 1, b, stride)
}

// combineStrided is combine with the coefficients val[q·vstride] (a column
// of a row-major matrix with vstride columns, for vstride > 1) in place of
// val[q].
func combineStrided(c, c0 []float64, idx []int, val []float64, vstride int, b []float64, stride int) {
	n := len(c)
	if len(idx) > 0 {
		val = val[:(len(idx)-1)*vstride+1]
	}
	if c0 != nil {
		c0 = c0[:n]
	}
	if useAVX && n >= 4 {
		if len(idx) == 0 {
			if c0 != nil {
				copy(c, c0)
			} else {
				clear(c)
			}
			return
		}
		var c0p *float64
		if c0 != nil {
			c0p = &c0[0]
		}
		// lim is the largest valid row offset; a negative one fails
		// the unsigned comparison in the kernel.
		if len(b) < n || !combineAVX(&c[0], c0p, n, &idx[0], &val[0], len(idx), &b[0], stride, len(b)-n, vstride) {
			panic("models: combine: row out of range")
		}
		return
	}
	combineGo(c, c0, idx, val, vstride, b, stride)
}

// combineGo is combineStrided in Go, four columns at a time. The
// conversions float64(x*y) round the products, which forbids the compiler
// to fuse them with the additions (as it may on arm64 or with GOAMD64=v3):
// every platform gets the results of the assembly.
func combineGo(c, c0 []float64, idx []int, val []float64, vstride int, b []float64, stride int) {
	n := len(c)
	if len(idx) > 0 {
		val = val[:(len(idx)-1)*vstride+1]
	}
	j := 0
	for ; j+4 <= n; j += 4 {
		var s0, s1, s2, s3 float64
		if c0 != nil {
			t := c0[j : j+4 : j+4]
			s0, s1, s2, s3 = t[0], t[1], t[2], t[3]
		}
		for q, p := range idx {
			v := val[q*vstride]
			o := p*stride + j
			r := b[o : o+4 : o+4]
			s0 += float64(v * r[0])
			s1 += float64(v * r[1])
			s2 += float64(v * r[2])
			s3 += float64(v * r[3])
		}
		t := c[j : j+4 : j+4]
		t[0], t[1], t[2], t[3] = s0, s1, s2, s3
	}
	for ; j < n; j++ {
		var s float64
		if c0 != nil {
			s = c0[j]
		}
		for q, p := range idx {
			s += float64(val[q*vstride] * b[p*stride+j])
		}
		c[j] = s
	}
}

// colSum stores in dst the column sums of the m×n matrix d, each summed
// from row 0 down.
func colSum(dst, d []float64, m, n int) {
	dst = dst[:n]
	d = d[:m*n]
	if useAVX && n >= 4 && n%4 == 0 && m >= 1 {
		colSumAVX(&dst[0], &d[0], m, n)
		return
	}
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

// backpropDelta computes the error c = (d·wᵀ) ⊙ f'(z) of the layer below,
// with d m×n, w k×n and c, z, a m×k (a = f(z)), as sparse combinations of
// the rows of wᵀ: wt (n×k) receives the transpose of w; idx and val are
// scratch of length >= n and seq holds 0..n-1. With sparse set, zeros of d
// are skipped.
func backpropDelta(c, d, w []float64, m, n, k int, sparse bool, act Activation, alpha float64, z, a, wt []float64, idx []int, val []float64, seq []int) {
	c = c[:m*k]
	d = d[:m*n]
	w = w[:k*n]
	wt = wt[:n*k]
	for p := 0; p < k; p++ {
		for j, v := range w[p*n : p*n+n] {
			wt[j*k+p] = v
		}
	}
	for i := 0; i < m; i++ {
		di := d[i*n : i*n+n]
		ci := c[i*k : i*k+k]
		if sparse {
			cnt := gatherNZ(idx[:n], val, di)
			combine(ci, nil, idx[:cnt], val[:cnt], wt, k)
		} else {
			combine(ci, nil, seq[:n], di, wt, k)
		}
	}
	mulDerivative(act, alpha, c, z[:m*k], a[:m*k])
}
