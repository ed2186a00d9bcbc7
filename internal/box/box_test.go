package box

import (
	"math"
	"slices"
	"testing"
)

func TestBox(t *testing.T) {
	x := []float32{1, -2, 3, 5, -1, 0}
	b := Of(x, 2)
	if !slices.Equal(b.Lo, []float64{-1, -2}) || !slices.Equal(b.Hi, []float64{3, 5}) {
		t.Fatalf("Of = %+v", b)
	}
	if Of([]float64{}, 2).Known() {
		t.Error("box of nothing is known")
	}
	c := Of([]float64{10, -10}, 2)
	u := Merge(b, 3, c, 1)
	if !slices.Equal(u.Lo, []float64{-1, -10}) || !slices.Equal(u.Hi, []float64{10, 5}) {
		t.Errorf("Merge = %+v", u)
	}
	if Merge(Box{}, 5, c, 1).Known() || Merge(b, 3, Box{}, 2).Known() {
		t.Error("merging an unknown box with rows gave a known one")
	}
	if m := Merge(Box{}, 0, c, 1); !slices.Equal(m.Lo, c.Lo) {
		t.Error("merging into an empty sketch lost the box")
	}
	var unknown Box
	unknown.Extend(c, true)
	if unknown.Known() {
		t.Error("Extend made an unknown box known")
	}
	enc := Append(nil, u)
	got, err := Decode(enc, 2)
	if err != nil || !slices.Equal(got.Lo, u.Lo) || !slices.Equal(got.Hi, u.Hi) {
		t.Errorf("round trip %+v, %v", got, err)
	}
	bad := Append(nil, Box{[]float64{1, math.Inf(-1)}, []float64{0, 1}})
	if _, err := Decode(bad, 2); err == nil {
		t.Error("bad box decoded")
	}
	if _, err := Decode(enc[:20], 2); err == nil {
		t.Error("truncated box decoded")
	}
}
