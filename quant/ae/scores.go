package ae

import "math"

// Scores describe the shape of an encoder B with unit rows (notes §4).
type Scores struct {
	// Rotation is ‖BBᵀ − I‖_F/√n: 0 for orthonormal rows.
	Rotation float64
	// Identity is the mean over rows of max_j |b_ij|: 1 for a permutation
	// (of the identity, with signs), about √(2 ln d / d) for a random
	// rotation.
	Identity float64
}

// StructureScores computes the scores of the n×d rows b.
func StructureScores(b []float64, n, d int) Scores {
	var off, id float64
	for i := range n {
		bi := b[i*d : (i+1)*d]
		for j := range n {
			g := dot(bi, b[j*d:(j+1)*d])
			if i == j {
				g--
			}
			off += g * g
		}
		var mx float64
		for _, v := range bi {
			mx = max(mx, math.Abs(v))
		}
		id += mx
	}
	return Scores{Rotation: math.Sqrt(off / float64(n)), Identity: id / float64(n)}
}
