package ae

import "math"

// asin is arcsin on [−1, 1] to within 1e-14 (TestAsin), and faster than
// math.Asin, which the population loss would call n²/2 times a mask. On
// |x| ≤ 1/2 it is x + x³·g(x²) with g a degree-10 polynomial (Chebyshev
// interpolation of (arcsin(√z)/√z − 1)/z on [0, 1/4]); beyond, it uses
// arcsin x = π/2 − 2 arcsin √((1 − x)/2), where 1 − x is exact. Both
// branches are computed and one selected: the sign of a correlation is a
// coin toss the branch predictor would lose.
func asin(x float64) float64 {
	a := math.Abs(x)
	h := math.Sqrt((1 - a) / 2)
	t := a
	if a > 0.5 {
		t = h
	}
	z := t * t
	g := 0.027869276182112379
	g = g*z - 0.0068197898645744742
	g = g*z + 0.015444080680730124
	g = g*z + 0.010289904789077127
	g = g*z + 0.014140904203890534
	g = g*z + 0.017337195445426862
	g = g*z + 0.022373009980738236
	g = g*z + 0.030381917482907649
	g = g*z + 0.044642857578909526
	g = g*z + 0.074999999997261882
	g = g*z + 0.16666666666666941
	r := t + t*z*g
	if a > 0.5 {
		r = math.Pi/2 - 2*r
	}
	return math.Copysign(r, x)
}
