package ae

import (
	"math"
	"testing"
)

// TestCrossings: the crossing sparsities of notes §4.
func TestCrossings(t *testing.T) {
	for _, c := range []struct {
		affine bool
		want   float64
	}{{false, 0.637}, {true, 0.429}} {
		p := CrossingP(c.affine)
		id, _ := IdentityMSE(Source{Law: SparseRademacher, P: p}, c.affine)
		if math.Abs(p-c.want) > 5e-4 || math.Abs(id-GaussianMSE(1)) > 1e-12 {
			t.Errorf("affine %v: p* = %.4f (identity MSE there %.6f), want %.3f", c.affine, p, id, c.want)
		}
	}
	// the closed forms CrossingP's comment gives: 4c/(1 + 2c) = 2 − π/2
	if c := 2/math.Pi - 0.5; math.Abs(c-0.137) > 5e-4 || math.Abs(CrossingP(true)-(2-math.Pi/2)) > 1e-12 {
		t.Errorf("affine p* = %v, c = %v: want 2 − π/2 = %v, c ≈ 0.137", CrossingP(true), c, 2-math.Pi/2)
	}
}

// TestTransition (issue item 4, small d): GD from a random init on sparse
// Rademacher data learns a rotation below the critical sparsity and the
// identity (up to permutation) above it.
func TestTransition(t *testing.T) {
	skipShort(t, "sample training")
	pts, err := Transition(TransitionOptions{D: 32, Ps: []float64{0.25, 0.9}, Seeds: 3, Train: 10000, Test: 4000,
		Sample: SampleOptions{Steps: 1500}})
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range pts {
		t.Logf("p = %.2f: MSE %.4f (rotation %.4f, identity %.4f), scores %+v", pt.P, pt.MSE, pt.Rotation, pt.Identity, pt.Scores)
	}
	for _, pt := range pts {
		if pt.P < 0.5 {
			// a rotation at d = 32: identity score about √(2 ln d/d) ≈ 0.46,
			// MSE near 1 − 2/π
			if pt.Scores.Identity > 0.6 || pt.Scores.Rotation > 0.2 || math.Abs(pt.MSE-pt.Rotation) > 0.03 {
				t.Errorf("p = %v seed %d: not a rotation: %+v", pt.P, pt.Seed, pt)
			}
			continue
		}
		// the identity: one coordinate a row, MSE at most the identity's
		if pt.Scores.Identity < 0.97 || pt.MSE > pt.Identity+0.01 {
			t.Errorf("p = %v seed %d: not the identity: %+v", pt.P, pt.Seed, pt)
		}
	}
}
