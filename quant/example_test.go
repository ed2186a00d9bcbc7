package quant_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/clkit/clkit/quant"
	"github.com/clkit/clkit/rff"
)

// Sensors encode rows into 2 bits per frequency; a server sums the codes
// into the sketch it would have computed from the rows.
func Example() {
	f, err := rff.NewFrequencies(rff.Params{Law: rff.AdaptedRadius, D: 3, M: 40, Sigma: []float64{1}, Seed: 1})
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1000
	rows := make([]float32, n*3)
	for i := range rows {
		rows[i] = float32(r.NormFloat64())
	}

	enc, _ := quant.NewEncoder(f) // sensor side
	code := make([]uint64, n*enc.CodeWords())
	if err := enc.EncodeF32(rows, code); err != nil {
		panic(err)
	}

	server, _ := quant.NewSketch(f) // server side
	if err := server.AddCodes(code, n, nil); err != nil {
		panic(err)
	}

	direct, _ := quant.NewSketch(f)
	direct.AddF32(rows, nil)
	a, _, _ := server.Counts()
	b, _, _ := direct.Counts()
	fmt.Println(enc.CodeWords(), "words per row; same counts:", fmt.Sprint(a) == fmt.Sprint(b))

	smooth := server.Smooth() // for rff decoders, e.g. solver.KMeans
	fmt.Println(smooth.Rows(), smooth.Weight())
	// Output:
	// 2 words per row; same counts: true
	// 1000 1000
}
