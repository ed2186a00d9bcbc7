package rff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"

	"github.com/clkit/clkit/internal/prng"
)

// Law is the distribution the frequencies ω_j are drawn from. Every law is
// scaled by σ: ω = R·u/σ with u uniform on the unit sphere (radius laws), or
// ω ~ N(0, diag(σ)⁻²) (Gaussian). σ may be one number or one per dimension.
type Law uint8

const (
	// Gaussian: ω ~ N(0, σ⁻² I). The classic random Fourier features of the
	// Gaussian kernel exp(−‖x−y‖²/(2σ²)).
	Gaussian Law = 1
	// FoldedGaussian: radius R = |N(0,1)|, direction uniform on the sphere.
	FoldedGaussian Law = 2
	// AdaptedRadius: radius with density ∝ sqrt(R² + R⁴/4)·exp(−R²/2)
	// (Keriven et al.); the usual choice for compressive k-means.
	AdaptedRadius Law = 3
	// Custom marks frequencies given explicitly (NewCustomFrequencies), e.g.
	// learned ones. No law redraws them, so a sketch over them cannot be
	// written to a sketch file; their owner stores Ω.
	Custom Law = 4
)

var lawNames = map[Law]string{Gaussian: "gaussian", FoldedGaussian: "folded-gaussian", AdaptedRadius: "adapted-radius"}

func (l Law) String() string {
	if s, ok := lawNames[l]; ok {
		return s
	}
	if l == Custom {
		return "custom"
	}
	return fmt.Sprintf("Law(%d)", uint8(l))
}

// ParseLaw accepts the names String returns.
func ParseLaw(s string) (Law, error) {
	for l, n := range lawNames {
		if strings.EqualFold(s, n) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("rff: unknown frequency law %q (want gaussian, folded-gaussian or adapted-radius)", s)
}

// Params fully determine a set of frequencies: the same Params give
// bit-identical Ω and ξ on every platform and build.
type Params struct {
	Law   Law
	D     int       // input dimension
	M     int       // number of frequencies
	Sigma []float64 // scale: one value (isotropic) or D values (per dimension)
	Seed  uint64
	// NoDither sets ξ = 0. By default ξ_j is uniform on [0, 2π).
	NoDither bool
}

// Limits on sizes, so that a corrupt header cannot ask for absurd memory.
const (
	MaxD = 1 << 20
	MaxM = 1 << 24
)

// Equal reports whether p and q describe the same frequencies.
func (p Params) Equal(q Params) bool {
	return p.Law == q.Law && p.D == q.D && p.M == q.M && p.Seed == q.Seed &&
		p.NoDither == q.NoDither && slices.Equal(p.Sigma, q.Sigma)
}

func (p Params) validate() error {
	switch {
	case p.Law < Gaussian || p.Law > AdaptedRadius:
		return fmt.Errorf("rff: unknown frequency law %d", p.Law)
	case p.D < 1 || p.D > MaxD:
		return fmt.Errorf("rff: dimension d=%d out of range [1, %d]", p.D, MaxD)
	case p.M < 1 || p.M > MaxM:
		return fmt.Errorf("rff: frequency count m=%d out of range [1, %d]", p.M, MaxM)
	case int64(p.D)*int64(p.M) > 1<<31:
		return fmt.Errorf("rff: d·m = %d·%d is too large", p.D, p.M)
	case len(p.Sigma) != 1 && len(p.Sigma) != p.D:
		return fmt.Errorf("rff: sigma has %d values, want 1 or d=%d", len(p.Sigma), p.D)
	}
	for k, s := range p.Sigma {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("rff: sigma[%d]=%v must be positive and finite", k, s)
		}
	}
	return nil
}

// Frequencies holds Ω (frequency-major: ω_j is a contiguous slice of D
// values), the dither ξ, and the packed copies the kernels read.
type Frequencies struct {
	p     Params
	omega []float64 // m×d, ω_j = omega[j*d:(j+1)*d]
	xi    []float64
	fp    uint64

	// Kernel layout: frequencies in blocks of blockFreqs; within block b,
	// dimension k holds the blockFreqs values ω_{b·16+l,k}. m is padded with
	// zero frequencies (and zero dither) to a whole number of blocks.
	mp         int
	om64, xi64 []float64
	om32, xi32 []float32
	// colMax[k] = max_j |ω_jk| (and colMax32 for the float32-rounded Ω):
	// with it, a row's largest phase is bounded in O(d), which decides
	// whether the row may take the fast kernel.
	colMax, colMax32 []float64
}

// NewFrequencies draws the frequencies described by p.
func NewFrequencies(p Params) (*Frequencies, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	p.Sigma = append([]float64(nil), p.Sigma...)
	d, m := p.D, p.M
	f := &Frequencies{p: p, omega: make([]float64, m*d), xi: make([]float64, m)}
	sig := func(k int) float64 {
		if len(p.Sigma) == 1 {
			return p.Sigma[0]
		}
		return p.Sigma[k]
	}
	r := prng.New(p.Seed, 1)
	u := make([]float64, d)
	for j := 0; j < m; j++ {
		w := f.omega[j*d : (j+1)*d]
		if p.Law == Gaussian {
			for k := range w {
				w[k] = r.Normal() / sig(k)
			}
			continue
		}
		// Direction: a normalised Gaussian vector (the norm is accumulated
		// left to right with explicit rounding, so it is portable).
		var n2 float64
		for k := range u {
			u[k] = r.Normal()
			n2 += float64(u[k] * u[k])
		}
		norm := math.Sqrt(n2)
		var rad float64
		if p.Law == FoldedGaussian {
			rad = math.Abs(r.Normal())
		} else {
			rad = adaptedRadius(r)
		}
		for k := range w {
			w[k] = float64(rad*(u[k]/norm)) / sig(k)
		}
	}
	if !p.NoDither {
		rx := prng.New(p.Seed, 2)
		for j := range f.xi {
			f.xi[j] = 2 * math.Pi * rx.Uniform()
		}
	}
	f.fp = f.fingerprint()
	f.pack()
	return f, nil
}

// NewCustomFrequencies returns frequencies with the given Ω (m×d,
// frequency-major: ω_j at omega[j·d:(j+1)·d]) and dither ξ (length m, or nil
// for none), for feature maps whose frequencies are not drawn from a law
// (learned ones, those of another implementation). Values must be finite.
// Their Params have Law Custom; every computation works on them, but
// sketches over them cannot be marshalled.
func NewCustomFrequencies(omega, xi []float64, d int) (*Frequencies, error) {
	if d < 1 || d > MaxD || len(omega)%d != 0 || len(omega) == 0 {
		return nil, fmt.Errorf("rff: %d frequency values are not whole frequencies of d=%d", len(omega), d)
	}
	m := len(omega) / d
	if m > MaxM {
		return nil, fmt.Errorf("rff: frequency count m=%d out of range [1, %d]", m, MaxM)
	}
	if xi != nil && len(xi) != m {
		return nil, fmt.Errorf("rff: %d dither values for m=%d frequencies", len(xi), m)
	}
	for i, v := range omega {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("rff: frequency %d, dimension %d is %v", i/d, i%d, v)
		}
	}
	f := &Frequencies{p: Params{Law: Custom, D: d, M: m, NoDither: xi == nil}, omega: append([]float64(nil), omega...), xi: make([]float64, m)}
	for j, v := range xi {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("rff: dither %d is %v", j, v)
		}
		f.xi[j] = v
	}
	f.fp = f.fingerprint()
	f.pack()
	return f, nil
}

// adaptedRadius samples R with density ∝ R·sqrt(1+R²/4)·exp(−R²/2) by
// rejection from the envelope R(1+R/2)exp(−R²/2), a mixture of a Rayleigh
// law (weight 1) and a chi law with 3 degrees of freedom (weight
// ½·sqrt(π/2)); acceptance sqrt(1+R²/4)/(1+R/2) ≥ 0.74 on average.
func adaptedRadius(r *prng.Stream) float64 {
	const pRayleigh = 1 / (1 + 0.62665706865775012560) // 1/(1+½·sqrt(π/2))
	for {
		var rad float64
		if r.Uniform() < pRayleigh {
			rad = math.Sqrt(-2 * prng.Log(1-r.Uniform()))
		} else {
			a, b, c := r.Normal(), r.Normal(), r.Normal()
			rad = math.Sqrt(float64(a*a) + float64(b*b) + float64(c*c))
		}
		if float64(r.Uniform()*float64(1+rad/2)) < math.Sqrt(1+float64(rad*rad)/4) {
			return rad
		}
	}
}

func (f *Frequencies) fingerprint() uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v uint64) { binary.LittleEndian.PutUint64(b[:], v); h.Write(b[:]) }
	put(uint64(f.p.Law))
	put(uint64(f.p.D))
	put(uint64(f.p.M))
	put(f.p.Seed)
	for _, s := range f.p.Sigma {
		put(math.Float64bits(s))
	}
	for _, v := range f.omega {
		put(math.Float64bits(v))
	}
	for _, v := range f.xi {
		put(math.Float64bits(v))
	}
	return h.Sum64()
}

func (f *Frequencies) pack() {
	d, m := f.p.D, f.p.M
	f.mp = (m + blockFreqs - 1) / blockFreqs * blockFreqs
	f.om64 = make([]float64, f.mp*d)
	f.om32 = make([]float32, f.mp*d)
	f.xi64 = make([]float64, f.mp)
	f.xi32 = make([]float32, f.mp)
	f.colMax = make([]float64, d)
	f.colMax32 = make([]float64, d)
	for j := 0; j < m; j++ {
		b, l := j/blockFreqs, j%blockFreqs
		for k := 0; k < d; k++ {
			v := f.omega[j*d+k]
			i := (b*d+k)*blockFreqs + l
			f.om64[i] = v
			f.om32[i] = float32(v)
			f.colMax[k] = max(f.colMax[k], math.Abs(v))
			f.colMax32[k] = max(f.colMax32[k], math.Abs(float64(float32(v))))
		}
		f.xi64[j] = f.xi[j]
		f.xi32[j] = float32(f.xi[j])
	}
}

// Params returns the parameters the frequencies were drawn from.
func (f *Frequencies) Params() Params {
	p := f.p
	p.Sigma = append([]float64(nil), p.Sigma...)
	return p
}

// D is the input dimension, M the number of frequencies.
func (f *Frequencies) D() int { return f.p.D }
func (f *Frequencies) M() int { return f.p.M }

// Omega returns ω_j (length D). The slice aliases internal storage: do not
// modify it.
func (f *Frequencies) Omega(j int) []float64 { return f.omega[j*f.p.D : (j+1)*f.p.D : (j+1)*f.p.D] }

// OmegaMatrix returns all of Ω, frequency-major (ω_j at [j·D, (j+1)·D)).
// The slice aliases internal storage: do not modify it.
func (f *Frequencies) OmegaMatrix() []float64 { return f.omega[:len(f.omega):len(f.omega)] }

// Xi returns the dither ξ (length M), aliasing internal storage.
func (f *Frequencies) Xi() []float64 { return f.xi[:len(f.xi):len(f.xi)] }

// Fingerprint is a 64-bit hash of the parameters and of every bit of Ω and
// ξ. Sketches merge only when their fingerprints agree.
func (f *Frequencies) Fingerprint() uint64 { return f.fp }

// ErrMismatch is returned (wrapped) when two sketches or a sketch and a file
// were made with different frequencies.
var ErrMismatch = errors.New("rff: sketches use different frequencies")
