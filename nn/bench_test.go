package nn

import (
	"math"
	"testing"
	"unsafe"
)

// benchNet measures Forward+Backward (or Forward alone) on batch rows, in
// rows/s; SetBytes counts the input rows' bytes.
func benchNet[T Float](b *testing.B, n *Net[T], batch int, backward bool) {
	ws := new(Workspace[T])
	x := make([]T, batch*n.In())
	for i := range x {
		x[i] = T(math.Sin(float64(i)))
	}
	dOut := make([]T, batch*n.Out())
	for i := range dOut {
		dOut[i] = T(math.Cos(float64(i)))
	}
	grad := make([]T, n.NumParams())
	var z T
	b.SetBytes(int64(batch * n.In() * int(unsafe.Sizeof(z))))
	n.Forward(ws, x, batch) // grow the Workspace outside the measurement
	b.ReportAllocs()
	for b.Loop() {
		n.Forward(ws, x, batch)
		if backward {
			n.Backward(ws, dOut, grad, nil)
		}
	}
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func wide[T Float](b *testing.B) *Net[T] {
	n, err := MLP[T](64, []int{256, 256}, 64, GELU, Identity)
	if err != nil {
		b.Fatal(err)
	}
	n.Init(1)
	return n
}

// The CL-GN generator (792 parameters), batch 1000.
func BenchmarkCLGN(b *testing.B) {
	b.Run("float32", func(b *testing.B) { benchNet(b, clgn[float32](b), 1000, true) })
	b.Run("float64", func(b *testing.B) { benchNet(b, clgn[float64](b), 1000, true) })
	b.Run("float32/forward", func(b *testing.B) { benchNet(b, clgn[float32](b), 1000, false) })
}

// A meta-sized net: 64→256→256→64 with GELU (99k parameters), batch 1000.
func BenchmarkWide(b *testing.B) {
	b.Run("float32", func(b *testing.B) { benchNet(b, wide[float32](b), 1000, true) })
	b.Run("float64", func(b *testing.B) { benchNet(b, wide[float64](b), 1000, true) })
	b.Run("float32/forward", func(b *testing.B) { benchNet(b, wide[float32](b), 1000, false) })
}
