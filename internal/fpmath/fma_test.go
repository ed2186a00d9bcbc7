package fpmath

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// FMA32 must round a·b + c once, to nearest even, like the hardware FMA.
func TestFMA32CorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rnd := func() float32 {
		// Wide exponent spread, so double rounding cases occur.
		return float32((r.Float64()*2 - 1) * math.Ldexp(1, r.IntN(60)-30))
	}
	ref := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
		f, _ := x.Float32() // nearest even
		return f
	}
	naive := 0
	for i := 0; i < 2_000_000; i++ {
		a, b, c := rnd(), rnd(), rnd()
		switch i % 4 {
		case 0:
			// c cancels most of a·b.
			c = -float32(float64(a) * float64(b))
		case 1:
			// A double-rounding case: 1025·2095106 = 2³¹ + 2, so
			// 2⁵⁵ + a·b is a float32 midpoint plus 2, and the 2 is lost
			// when rounding to float64 first. Scaled and sign-flipped.
			e := r.IntN(40) - 20
			sg := float32(1 - 2*r.IntN(2))
			a, b, c = sg*1025, float32(math.Ldexp(2095106, e)), sg*float32(math.Ldexp(1, 55+e))
		}
		want := ref(a, b, c)
		if got := FMA32(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("FMA32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
		if float32(math.FMA(float64(a), float64(b), float64(c))) != want {
			naive++
		}
	}
	// Guard that the test exercises double rounding at all.
	if naive == 0 {
		t.Fatal("no double-rounding case was generated")
	}
	t.Logf("float64 FMA then rounding was wrong in %d cases", naive)
}
