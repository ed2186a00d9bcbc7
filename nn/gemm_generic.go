package nn

// sgemmMicroGo is the microkernel contract (gemm_kernel.go) in Go, for a
// tile of MR×NR with MR even and NR a multiple of 4: the oracle of the
// assembly kernels and, with MR = 4, NR = 16, the kernel of the purego
// build and of other architectures.
//
// It runs 2×4 blocks of the whole tile with the eight sums in registers
// (the panels hold the rows and columns past m and n, so the blocks need
// no edge cases) and stores the part of each block inside the m×n corner.
func sgemmMicroGo(MR, NR, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc, m, n int, alpha, beta float32) {
	for i := 0; i < m; i += 2 {
		for j := 0; j < n; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			for p, pa, pb := 0, i, j; p < k; p, pa, pb = p+1, pa+lda, pb+ldb {
				ar, br := a[pa:pa+2], b[pb:pb+4]
				a0, a1 := ar[0], ar[1]
				b0, b1, b2, b3 := br[0], br[1], br[2], br[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
			}
			acc := [2][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}}
			for di := range min(2, m-i) {
				row := c[(i+di)*ldc+j:]
				row = row[:min(4, n-j)]
				for dj := range row {
					t := alpha * acc[di][dj]
					if beta != 0 {
						t += beta * row[dj]
					}
					row[dj] = t
				}
			}
		}
	}
}
