// Package prng is the portable random stream behind every seeded draw in
// clkit (frequencies, network initialisation, training batches):
// xoshiro256** seeded through SplitMix64. Its output, and everything derived
// from it here, is specified bit for bit, so the same seed gives the same
// numbers on every platform and build.
package prng

import (
	"math"
	"math/bits"
)

// Stream is one random stream. Floating-point code here converts products
// explicitly (float64(a*b)) so no compiler may fuse them into FMAs, which
// arm64 would otherwise do. A Stream is not safe for concurrent use.
type Stream struct{ s [4]uint64 }

func splitmix64(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// New returns the stream for (seed, stream). Distinct streams are
// independent, so draws of different things (Ω and ξ, say) do not depend on
// each other's consumption.
func New(seed, stream uint64) *Stream {
	x := seed ^ (stream * 0xd1b54a32d192ed03)
	var r Stream
	for i := range r.s {
		r.s[i] = splitmix64(&x)
	}
	return &r
}

func rotl(x uint64, k uint) uint64 { return x<<k | x>>(64-k) }

// Uint64 returns 64 random bits.
func (r *Stream) Uint64() uint64 {
	s := &r.s
	out := rotl(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return out
}

// Uniform returns a float64 in [0, 1) with 53 random bits.
func (r *Stream) Uniform() float64 { return float64(r.Uint64()>>11) * 0x1p-53 }

// IntN returns a uniform integer in [0, n), n > 0 (Lemire's multiply and
// reject, so no modulo bias).
func (r *Stream) IntN(n int) int {
	if n <= 0 {
		panic("prng: IntN of a non-positive n")
	}
	bound := uint64(n)
	for {
		hi, lo := bits.Mul64(r.Uint64(), bound)
		if lo >= bound || lo >= -bound%bound {
			return int(hi)
		}
	}
}

// Normal returns a standard normal deviate (Marsaglia's polar method: only
// sqrt, which IEEE rounds exactly, and Log).
func (r *Stream) Normal() float64 {
	for {
		u := 2*r.Uniform() - 1
		v := 2*r.Uniform() - 1
		s := float64(u*u) + float64(v*v)
		if s >= 1 || s == 0 {
			continue
		}
		return u * math.Sqrt(float64(-2*Log(s))/s)
	}
}

// Log is the natural logarithm computed with the classic
// argument-reduction + rational-polynomial scheme (as in FreeBSD's e_log.c),
// in plain float64 operations with no fusion, so it rounds identically on
// every platform. math.Log is not used because amd64 has an assembly version
// whose results may differ in the last bit. Accurate to < 1 ulp; only
// positive finite inputs reach it here.
func Log(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		l1    = 6.666666666666735130e-01
		l2    = 3.999999999940941908e-01
		l3    = 2.857142874366239149e-01
		l4    = 2.222219843214978396e-01
		l5    = 1.818357216161805012e-01
		l6    = 1.531383769920937332e-01
		l7    = 1.479819860511658591e-01
	)
	f1, ki := math.Frexp(x) // exact
	if f1 < math.Sqrt2/2 {
		f1 *= 2
		ki--
	}
	f := f1 - 1
	k := float64(ki)
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * float64(l1+float64(s4*float64(l3+float64(s4*float64(l5+float64(s4*l7)))))))
	t2 := float64(s4 * float64(l2+float64(s4*float64(l4+float64(s4*l6)))))
	R := t1 + t2
	hfsq := float64(0.5 * f * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*float64(hfsq+R)) + float64(k*ln2Lo))) - f)
}
