package models

import (
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// PolyCols returns the number of monomials x^i y^j with i+j <= degree,
// (degree+1)(degree+2)/2, the number of columns of PolyFeatures.
func PolyCols(degree int) int {
	if degree < 0 {
		panic("models: negative degree")
	}
	return (degree + 1) * (degree + 2) / 2
}

// PolyFeatures returns the design matrix whose rows are the monomials
// x^i y^j, i+j <= degree, of the points (x[k], y[k]). The columns are ordered
// by total degree d = i+j and, within a degree, by decreasing power of x:
//
//	1, x, y, x², xy, y², x³, x²y, xy², y³, ...
//
// so column 0 is the constant 1 whose coefficient is the intercept (see the
// package documentation). PolyTerms names the columns. It panics if the
// lengths of x and y differ or are zero, or if degree is negative.
func PolyFeatures(x, y []float64, degree int) *mat.Dense {
	checkSameLen(x, y)
	p := PolyCols(degree)
	m := mat.NewDense(len(x), p, nil)
	pows := make([]float64, 2*(degree+1))
	xp, yp := pows[:degree+1], pows[degree+1:]
	for k := range x {
		xp[0], yp[0] = 1, 1
		for i := 1; i <= degree; i++ {
			xp[i] = xp[i-1] * x[k]
			yp[i] = yp[i-1] * y[k]
		}
		row := m.RawRowView(k)
		c := 0
		for d := 0; d <= degree; d++ {
			for j := 0; j <= d; j++ {
				row[c] = xp[d-j] * yp[j]
				c++
			}
		}
	}
	return m
}

// PolyTerms returns the names of the columns of PolyFeatures for the degree:
// "1", "x", "y", "x^2", "xy", "y^2", "x^3", "x^2y", ...
func PolyTerms(degree int) []string {
	terms := make([]string, 0, PolyCols(degree))
	for d := 0; d <= degree; d++ {
		for j := 0; j <= d; j++ {
			terms = append(terms, monomial(d-j, j))
		}
	}
	return terms
}

func monomial(i, j int) string {
	if i == 0 && j == 0 {
		return "1"
	}
	return power("x", i) + power("y", j)
}

func power(v string, k int) string {
	switch k {
	case 0:
		return ""
	case 1:
		return v
	}
	return v + "^" + strconv.Itoa(k)
}
