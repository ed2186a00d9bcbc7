package nn

import (
	"math"
	"testing"

	"github.com/clkit/clkit/internal/prng"
)

// Two Adam steps on θ = (1, -2) with gradients (0.5, -0.1) then (0.2, 0.3),
// lr 0.1, Keras's defaults. By hand, step 1 is θ - lr·√0.001·g/(√0.001|g| + ε)
// = θ - 0.1·sign(g)·(1 - ε/(√0.001|g|)): 0.1·(1 - 6.32e-6) for the first
// component. The values are those of Keras 3's update rule.
func TestAdamHandComputed(t *testing.T) {
	want := [2][2]float64{
		{0.9000006324515321, -1.9000031621776634},
		{0.8101436398802739, -1.9494216512977696},
	}
	grads := [2][]float64{{0.5, -0.1}, {0.2, 0.3}}
	a64, a32 := NewAdam[float64](Constant(0.1)), NewAdam[float32](Constant(0.1))
	th64, th32 := []float64{1, -2}, []float32{1, -2}
	for s := range 2 {
		a64.Step(th64, grads[s])
		a32.Step(th32, []float32{float32(grads[s][0]), float32(grads[s][1])})
		for i := range 2 {
			if math.Abs(th64[i]-want[s][i]) > 1e-15 {
				t.Errorf("float64, step %d: θ%d = %.17g, want %.17g", s+1, i, th64[i], want[s][i])
			}
			if math.Abs(float64(th32[i])-want[s][i]) > 1e-6 {
				t.Errorf("float32, step %d: θ%d = %v, want %v", s+1, i, th32[i], want[s][i])
			}
		}
	}
	if a64.Steps() != 2 {
		t.Errorf("Steps = %d", a64.Steps())
	}
}

// AdamW's decay is decoupled: with a zero gradient the moments stay zero
// and only θ ← θ(1 - lr·w) remains.
func TestAdamW(t *testing.T) {
	a := NewAdam[float64](Constant(0.1))
	a.WeightDecay = 0.01
	th := []float64{1, -3}
	a.Step(th, []float64{0, 0})
	if th[0] != 0.999 || th[1] != -3*0.999 {
		t.Errorf("AdamW step with zero gradient: %v, want [0.999 %v]", th, -3*0.999)
	}
	b := NewAdam[float64](Constant(0.1))
	th2 := []float64{1, -3}
	b.Step(th2, []float64{0, 0})
	if th2[0] != 1 || th2[1] != -3 {
		t.Errorf("Adam step with zero gradient moved θ to %v", th2)
	}
}

func TestSGDHandComputed(t *testing.T) {
	s := NewSGD[float64](Constant(0.5), 0.9)
	th := []float64{1}
	s.Step(th, []float64{2}) // u = 2, θ = 1 - 1 = 0
	s.Step(th, []float64{1}) // u = 1.8 + 1 = 2.8, θ = 0 - 1.4
	if math.Abs(th[0]+1.4) > 1e-15 {
		t.Errorf("SGD with momentum: θ = %v, want -1.4", th[0])
	}
	plain := NewSGD[float32](Constant(0.5), 0)
	th32 := []float32{1}
	plain.Step(th32, []float32{2})
	plain.Step(th32, []float32{1})
	if th32[0] != -0.5 {
		t.Errorf("plain SGD: θ = %v, want -0.5", th32[0])
	}
}

// fit trains a small tanh MLP by full-batch steps on y = sin(2x₁) + x₂²/2
// and returns the first and last losses.
func fit[T Float](t *testing.T, opt Optimizer[T], steps int) (first, last float64) {
	t.Helper()
	n, err := MLP[T](2, []int{16, 16}, 1, Tanh, Identity)
	if err != nil {
		t.Fatal(err)
	}
	n.Init(1)
	const batch = 128
	r := prng.New(2, 0)
	x, y := make([]T, 2*batch), make([]T, batch)
	for i := range batch {
		a, b := 2*r.Uniform()-1, 2*r.Uniform()-1
		x[2*i], x[2*i+1], y[i] = T(a), T(b), T(math.Sin(2*a)+b*b/2)
	}
	ws, grad, dy := new(Workspace[T]), make([]T, n.NumParams()), make([]T, batch)
	for s := range steps {
		out := n.Forward(ws, x, batch)
		var loss float64
		for i, v := range out {
			e := float64(v - y[i])
			loss += e * e / batch
			dy[i] = T(2 * e / batch)
		}
		if s == 0 {
			first = loss
		}
		last = loss
		n.Backward(ws, dy, grad, nil)
		opt.Step(n.Params(), grad)
	}
	return first, last
}

func TestAdamFits(t *testing.T) {
	first, last := fit[float32](t, NewAdam[float32](Constant(0.01)), 1500)
	t.Logf("Adam: loss %g → %g", first, last)
	if last > first/100 {
		t.Errorf("Adam: loss from %g to %g, want a 100× fall", first, last)
	}
}

func TestSGDMomentumFits(t *testing.T) {
	first, last := fit[float64](t, NewSGD[float64](Constant(0.05), 0.9), 3000)
	t.Logf("SGD with momentum: loss %g → %g", first, last)
	if last > first/100 {
		t.Errorf("SGD with momentum: loss from %g to %g, want a 100× fall", first, last)
	}
}

func TestSchedules(t *testing.T) {
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Abs(b) }
	cases := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"constant", Constant(0.3), 1000, 0.3},
		{"warmup first", WarmupCosine(1, 10, 110, 0.1), 0, 0.1},
		{"warmup end", WarmupCosine(1, 10, 110, 0.1), 9, 1},
		{"cosine top", WarmupCosine(1, 10, 110, 0.1), 10, 1},
		{"cosine middle", WarmupCosine(1, 10, 110, 0.1), 60, 0.55},
		{"cosine end", WarmupCosine(1, 10, 110, 0.1), 110, 0.1},
		{"cosine after", WarmupCosine(1, 10, 110, 0.1), 500, 0.1},
		{"no warmup", WarmupCosine(2, 0, 100, 0), 0, 2},
		{"exponential", Exponential(1, 0.5, 10), 15, math.Pow(0.5, 1.5)},
		{"step decay", StepDecay(1, 0.5, 10), 25, 0.25},
		{"step decay start", StepDecay(1, 0.5, 10), 9, 1},
	}
	for _, c := range cases {
		if got := c.s(c.step); !close(got, c.want) {
			t.Errorf("%s: step %d gives %v, want %v", c.name, c.step, got, c.want)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	g := []float32{3, 4}
	if n := ClipGradNorm(g, 1); n != 5 || math.Abs(float64(g[0])-0.6) > 1e-7 || math.Abs(float64(g[1])-0.8) > 1e-7 {
		t.Errorf("clip (3,4) to 1: norm %v, g %v", n, g)
	}
	h := []float64{0.3, 0.4}
	if n := ClipGradNorm(h, 1); math.Abs(n-0.5) > 1e-15 || h[0] != 0.3 || h[1] != 0.4 {
		t.Errorf("clip (0.3,0.4) to 1: norm %v, g %v (should be unchanged)", n, h)
	}
}
