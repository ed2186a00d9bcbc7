package ae

import (
	"testing"
	"time"
)

// TestDecoders (issue items 3 and 5, small d): on Bernoulli-Gaussian data,
// with the encoder of gradient descent, the closed-form Bayes denoiser
// (one per coordinate, for its channel) lowers the linear decoder's MSE; a
// learned denoiser trained jointly with A does at least as well (better
// at this small d, where 6 active coordinates a row make the channel far
// from the Gaussian one the Bayes denoiser assumes; at d = 400 they tie,
// TestReport400), and the multi-layer decoder (ours) improves on the
// single denoiser, on held-out rows.
func TestDecoders(t *testing.T) {
	skipShort(t, "decoder training")
	d := 64
	src := Source{Law: BernoulliGaussian, P: 0.1}
	m, rep, err := TrainPopulation(src, PopulationOptions{D: d, Rate: 1, Steps: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	train, _ := src.Sample(8000, d, 2)
	test, _ := src.Sample(4000, d, 3)
	lin, err := m.MSE(test)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := m.WithBayes(BayesBG{P: src.P, Channel: rep.Channel})
	if err != nil {
		t.Fatal(err)
	}
	bayes, _ := mb.MSE(test)
	t0 := time.Now()
	md, _, err := TrainDecoder(m, train, DecoderOptions{Steps: 600, Batch: 128, LR: 0.01, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	den, _ := md.MSE(test)
	t1 := time.Now()
	mdeep, _, err := TrainDecoder(md, train, DecoderOptions{Blocks: 2, Hidden: 8, Steps: 500, Batch: 128, LR: 0.01, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	deep, _ := mdeep.MSE(test)
	t.Logf("d = %d, p = %v: linear %.4f, Bayes %.4f, learned denoiser %.4f (%v), deep %.4f (%v)", d, src.P, lin, bayes, den,
		t1.Sub(t0).Round(time.Millisecond), deep, time.Since(t1).Round(time.Millisecond))
	if bayes > lin-0.05 || den > bayes+0.005 || deep > den-0.008 {
		t.Errorf("want linear > Bayes ≳ learned > deep, got %.4f, %.4f, %.4f, %.4f", lin, bayes, den, deep)
	}
	if md.Kind() != "denoised" || mdeep.Kind() != "deep" || m.Kind() != "linear" || mb.Kind() != "bayes" {
		t.Errorf("kinds %s %s %s %s", m.Kind(), mb.Kind(), md.Kind(), mdeep.Kind())
	}
}
