package nn_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/clkit/clkit/nn"
)

// Fit y = sin(3x) with a small MLP, save it, load it back.
func Example() {
	net, err := nn.MLP[float32](1, []int{32, 32}, 1, nn.Tanh, nn.Identity)
	if err != nil {
		panic(err)
	}
	net.Init(1)
	const batch = 64
	x, y := make([]float32, batch), make([]float32, batch)
	for i := range x {
		x[i] = float32(i)/batch*2 - 1
		y[i] = float32(math.Sin(3 * float64(x[i])))
	}
	ws, grad, dy := new(nn.Workspace[float32]), make([]float32, net.NumParams()), make([]float32, batch)
	opt := nn.NewAdam[float32](nn.WarmupCosine(0.01, 50, 2000, 1e-4))
	var loss float64
	for range 2000 {
		out := net.Forward(ws, x, batch)
		loss = 0
		for i, v := range out {
			e := v - y[i]
			loss += float64(e*e) / batch
			dy[i] = 2 * e / batch
		}
		net.Backward(ws, dy, grad, nil)
		opt.Step(net.Params(), grad)
	}
	fmt.Printf("%d parameters, loss < 1e-3: %v\n", net.NumParams(), loss < 1e-3)

	path := filepath.Join(os.TempDir(), "nn-example.safetensors")
	defer os.Remove(path)
	if err := net.Save(path, map[string]string{"target": "sin(3x)"}); err != nil {
		panic(err)
	}
	back, meta, err := nn.Load[float32](path)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(back.Layers()), "layers,", meta["target"])
	// Output:
	// 1153 parameters, loss < 1e-3: true
	// 5 layers, sin(3x)
}
