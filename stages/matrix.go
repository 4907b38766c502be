package stages

import "gonum.org/v1/gonum/mat"

func fromDense(m *mat.Dense) Matrix {
	r, c := m.Dims()
	out := Matrix{Rows: r, Cols: c, Data: make([]float64, 0, r*c)}
	for i := 0; i < r; i++ {
		out.Data = append(out.Data, m.RawRowView(i)...)
	}
	return out
}

// Dense returns the matrix as a gonum matrix sharing its data.
func (m Matrix) Dense() *mat.Dense { return mat.NewDense(m.Rows, m.Cols, m.Data) }
