// Package fpmath holds floating-point operations Go lacks that the pure-Go
// kernel twins need to match the hardware bit for bit.
package fpmath

import "math"

// FMA32 is a correctly rounded float32 fused multiply-add, a·b + c with one
// rounding, as VFMADD…PS and FMLA compute it. Go has no float32 FMA: the
// product is exact in float64, but rounding the float64 sum to float32
// would round twice. Rounding the sum to odd first (keep the float64 sum
// if its last bit is odd, else step one ulp towards the exact value when
// inexact) makes the final rounding correct, since 53 ≥ 24 + 2.
func FMA32(a, b, c float32) float32 {
	p := float64(float64(a) * float64(b)) // exact; the conversion forbids fusion
	cc := float64(c)
	s := p + cc
	// TwoSum: e is the exact error of s, s + e = p + c.
	bv := s - p
	e := (p - (s - bv)) + (cc - bv)
	if e != 0 && math.Float64bits(s)&1 == 0 {
		if e > 0 {
			s = math.Nextafter(s, math.Inf(1))
		} else {
			s = math.Nextafter(s, math.Inf(-1))
		}
	}
	return float32(s)
}
