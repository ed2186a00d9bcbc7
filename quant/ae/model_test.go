package ae

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// TestEncodeDecodeReference: codes are the signs of Bx and decoding is
// A c, against a float64 reference (signs of |Bx| < 1e-4 may differ by
// rounding and are skipped), for sizes around the kernels' widths and
// several blocks of rows.
func TestEncodeDecodeReference(t *testing.T) {
	for _, c := range []struct{ d, n, rows int }{{5, 3, 1}, {17, 70, 97}, {64, 64, 200}, {33, 129, 5}} {
		src := Source{Law: Gaussian}
		x, _ := src.Sample(c.rows, c.d, 1)
		bm, _ := src.Sample(c.n, c.d, 2)
		am, _ := src.Sample(c.d, c.n, 3)
		m, err := NewModel(c.d, c.n, TiePlus, bm, am, nil)
		if err != nil {
			t.Fatal(err)
		}
		codes, err := m.Encode(x)
		if err != nil {
			t.Fatal(err)
		}
		if codes.Rows != c.rows || codes.Bits != c.n || codes.Support != nil || len(codes.Sign) != c.rows*words(c.n) {
			t.Fatalf("codes %d×%d, %d words", codes.Rows, codes.Bits, len(codes.Sign))
		}
		xh, err := m.Decode(codes)
		if err != nil {
			t.Fatal(err)
		}
		b := to64(m.Encoder())
		for r := range c.rows {
			cr := make([]float64, c.n)
			for j := range c.n {
				y := dot(b[j*c.d:(j+1)*c.d], to64(x[r*c.d:(r+1)*c.d]))
				bit := codes.Sign[r*words(c.n)+j/64]>>(j%64)&1 == 1
				cr[j] = -1
				if bit {
					cr[j] = 1
				}
				if math.Abs(y) > 1e-4 && bit != (y >= 0) {
					t.Fatalf("d=%d n=%d row %d bit %d: %v for Bx = %g", c.d, c.n, r, j, bit, y)
				}
			}
			for i := range c.d {
				want := dot(to64(am[i*c.n:(i+1)*c.n]), cr)
				if got := float64(xh[r*c.d+i]); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("d=%d n=%d row %d: x̂_%d = %g, want %g", c.d, c.n, r, i, got, want)
				}
			}
		}
	}
}

// TestTieZero: with the ternary sign, zeros of Bx are coded in the support
// plane and decode as 0; the identity encoder's support is the data's.
func TestTieZero(t *testing.T) {
	d := 20
	eye := make([]float32, d*d)
	for i := range d {
		eye[i*d+i] = 1
	}
	x, _ := Source{Law: BernoulliGaussian, P: 0.3}.Sample(50, d, 4)
	for _, tie := range []Tie{TiePlus, TieZero} {
		m, err := NewModel(d, d, tie, eye, eye, nil)
		if err != nil {
			t.Fatal(err)
		}
		codes, err := m.Encode(x)
		if err != nil {
			t.Fatal(err)
		}
		xh, _ := m.Decode(codes)
		for i, v := range x {
			want := float32(1)
			switch {
			case v < 0:
				want = -1
			case v == 0 && tie == TieZero:
				want = 0
			}
			if xh[i] != want {
				t.Fatalf("tie %v: x = %v decodes to %v, want %v", tie, v, xh[i], want)
			}
			if tie == TieZero && (codes.Support[i/d]>>(i%d)&1 == 1) != (v != 0) {
				t.Fatalf("support bit of %v wrong", v)
			}
		}
	}
}

// TestEncodeErrors: bad values name their row and column; overflowing
// rows and malformed codes are refused.
func TestEncodeErrors(t *testing.T) {
	m, err := RotationModel(8, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := Source{Law: Gaussian}.Sample(300, 8, 1)
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		y := slices.Clone(x)
		y[250*8+3] = bad
		_, err := m.Encode(y)
		var re *RowError
		if !errors.As(err, &re) || re.Row != 250 || re.Col != 3 {
			t.Errorf("%v: error %v, want row 250 column 3", bad, err)
		}
	}
	y := slices.Clone(x)
	for k := range 8 {
		y[7*8+k] = 3e38
	}
	var re *RowError
	if _, err := m.Encode(y); !errors.As(err, &re) || re.Row != 7 || re.Col != -1 {
		t.Errorf("overflow: error %v, want row 7", err)
	}
	if _, err := m.Encode(x[:13]); err == nil {
		t.Error("13 values accepted as rows of 8")
	}
	codes, _ := m.Encode(x)
	for name, c := range map[string]*Codes{
		"padding":  {Rows: 1, Bits: 8, Sign: []uint64{1 << 9}},
		"length":   {Rows: 2, Bits: 8, Sign: []uint64{1}},
		"bits":     {Rows: 1, Bits: 9, Sign: []uint64{1}},
		"support":  {Rows: 1, Bits: 8, Sign: []uint64{1}, Support: []uint64{1}},
		"negative": {Rows: -1, Bits: 8},
	} {
		if _, err := m.Decode(c); !errors.Is(err, ErrBadCodes) {
			t.Errorf("%s: %v, want ErrBadCodes", name, err)
		}
	}
	if err := m.DecodeTo(codes, make([]float32, 5)); err == nil {
		t.Error("short output accepted")
	}
	for _, c := range []struct {
		d, n    int
		b, a    []float32
		wantErr string
	}{{0, 1, nil, nil, "D = 0"}, {2, 1, []float32{0, 0}, []float32{1, 1}, "row 0 is zero"},
		{2, 1, []float32{1, float32(math.NaN())}, []float32{1, 1}, "non-finite"}, {2, 1, []float32{1}, []float32{1, 1}, "matrices"}} {
		if _, err := NewModel(c.d, c.n, TiePlus, c.b, c.a, nil); err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.wantErr)) {
			t.Errorf("NewModel(%d, %d, …): %v, want %q", c.d, c.n, err, c.wantErr)
		}
	}
}

// TestSaveLoad: every kind of decoder survives a file, bit for bit, with
// the caller's metadata; broken files are refused.
func TestSaveLoad(t *testing.T) {
	d := 12
	src := Source{Law: BernoulliGaussian, P: 0.3}
	x, _ := src.Sample(400, d, 1)
	lin, _, err := TrainPopulation(src, PopulationOptions{D: d, Rate: 1.5, Steps: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	aff, _, err := TrainSamples(x, d, SampleOptions{Rate: 0.5, Steps: 5, Affine: true, Tie: TieZero, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	bay, _ := lin.WithBayes(BayesBG{P: 0.3, Channel: RotationChannel(1)})
	ch, err := EstimateChannels(lin, x)
	if err != nil {
		t.Fatal(err)
	}
	bayc, err := lin.WithBayesChannels(0.3, ch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lin.WithBayesChannels(0.3, ch[1:]); err == nil {
		t.Error("channels of the wrong count accepted")
	}
	den, _, err := TrainDecoder(aff, x, DecoderOptions{Steps: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	deep, _, err := TrainDecoder(lin, x, DecoderOptions{Steps: 5, Blocks: 2, Hidden: 4, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, m := range []*Model{lin, aff, bay, bayc, den, deep} {
		path := filepath.Join(dir, fmt.Sprintf("%d-%s.safetensors", i, m.Kind()))
		if err := m.Save(path, map[string]string{"note": "hello"}); err != nil {
			t.Fatal(err)
		}
		got, meta, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		c1, _ := m.Encode(x)
		c2, _ := got.Encode(x)
		y1, _ := m.Decode(c1)
		y2, _ := got.Decode(c2)
		f1, _ := m.Bayes()
		f2, _ := got.Bayes()
		if got.Kind() != m.Kind() || got.Tie() != m.Tie() || meta["note"] != "hello" || !slices.Equal(c1.Sign, c2.Sign) || !slices.Equal(c1.Support, c2.Support) || (c1.Support == nil) != (m.Tie() == TiePlus) || !bitsEqual(y1, y2) || !slices.Equal(f1, f2) {
			t.Errorf("%s: the loaded model differs (kind %s, meta %v)", m.Kind(), got.Kind(), meta)
		}
	}
	if err := lin.Save(filepath.Join(dir, "x"), map[string]string{"clkit.ae.d": "3"}); err == nil {
		t.Error("reserved metadata accepted")
	}
	var buf bytes.Buffer
	if err := deep.Write(&buf, nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if _, _, err := Read(bytes.NewReader(b[:len(b)-4])); err == nil {
		t.Error("truncated file accepted")
	}
	if _, _, err := Read(bytes.NewReader(bytes.Replace(b, []byte(`"clkit.ae.blocks":"2"`), []byte(`"clkit.ae.blocks":"1"`), 1))); err == nil {
		t.Error("file with an unexpected block accepted")
	}
}

// TestReproducible: the same seed gives the same model whatever the
// number of workers.
func TestReproducible(t *testing.T) {
	src := Source{Law: BernoulliGaussian, P: 0.2}
	o := PopulationOptions{D: 16, Rate: 1, Steps: 10, Seed: 9, Workers: 1}
	m1, r1, err := TrainPopulation(src, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 3
	m2, r2, _ := TrainPopulation(src, o)
	if !slices.Equal(m1.b, m2.b) || !slices.Equal(m1.a, m2.a) || r1.MSE != r2.MSE {
		t.Error("TrainPopulation depends on the number of workers")
	}
	x, _ := src.Sample(500, 16, 1)
	s1, _, _ := TrainSamples(x, 16, SampleOptions{Rate: 1, Steps: 20, Seed: 2})
	s2, _, _ := TrainSamples(x, 16, SampleOptions{Rate: 1, Steps: 20, Seed: 2})
	if !slices.Equal(s1.b, s2.b) || !slices.Equal(s1.a, s2.a) {
		t.Error("TrainSamples is not reproducible")
	}
}

// TestBadOptions: invalid settings are errors, not panics.
func TestBadOptions(t *testing.T) {
	x := make([]float32, 40)
	for name, err := range map[string]error{
		"rate":     second(TrainPopulation(Source{Law: Gaussian}, PopulationOptions{D: 4, Rate: 0.01})),
		"law":      second(TrainPopulation(Source{Law: SparseRademacher, P: 0.5}, PopulationOptions{D: 4, Rate: 1})),
		"p":        second(TrainPopulation(Source{Law: BernoulliGaussian, P: 1.5}, PopulationOptions{D: 4, Rate: 1})),
		"rotation": second(TrainPopulation(Source{Law: Gaussian}, PopulationOptions{D: 4, Rate: 2, Init: InitRotation})),
		"lr":       second(TrainPopulation(Source{Law: Gaussian}, PopulationOptions{D: 4, Rate: 1, LR: -1})),
		"data":     second(TrainSamples(x[:3], 4, SampleOptions{Rate: 1})),
		"beta":     second(TrainSamples(x, 4, SampleOptions{Rate: 1, Beta0: 5, Beta1: 1})),
		"relax":    second(TrainSamples(x, 4, SampleOptions{Rate: 1, Relax: 7})),
		"nan":      second(TrainSamples(append([]float32{float32(math.NaN())}, x[1:]...), 4, SampleOptions{Rate: 1})),
		"bayes":    func() error { _, err := (&Model{}).WithBayes(BayesBG{P: 0}); return err }(),
		"blocks": func() error {
			m, _ := RotationModel(4, 4, 1)
			_, _, err := TrainDecoder(m, x, DecoderOptions{Blocks: -1})
			return err
		}(),
		"rowsample": func() error { _, err := Source{Law: Gaussian}.Sample(-1, 3, 1); return err }(),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func second[A, B any](_ A, _ B, err error) error { return err }

// TestEncodeToNil: EncodeTo without codes is an error, not a panic.
func TestEncodeToNil(t *testing.T) {
	m, err := RotationModel(4, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	err = m.EncodeTo(make([]float32, 8), nil)
	if !errors.Is(err, ErrBadCodes) {
		t.Errorf("EncodeTo(x, nil): %v", err)
	}
}

// TestTrainDecoderFewerBlocks: asking for fewer blocks than the model has
// is an error (it used to keep them all); as many, or 0, is not.
func TestTrainDecoderFewerBlocks(t *testing.T) {
	src := Source{Law: BernoulliGaussian, P: 0.3}
	x, _ := src.Sample(300, 6, 1)
	m, err := RotationModel(6, 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	deep, _, err := TrainDecoder(m, x, DecoderOptions{Steps: 3, Blocks: 2, Hidden: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := TrainDecoder(deep, x, DecoderOptions{Steps: 3, Blocks: 1, Hidden: 3}); err == nil {
		t.Error("Blocks 1 for a model of 2 blocks accepted")
	}
	for _, blocks := range []int{0, 2, 3} {
		got, _, err := TrainDecoder(deep, x, DecoderOptions{Steps: 3, Blocks: blocks, Hidden: 3})
		if err != nil {
			t.Fatalf("Blocks %d: %v", blocks, err)
		}
		if len(got.blocks) != blocks {
			t.Errorf("Blocks %d: the model has %d", blocks, len(got.blocks))
		}
	}
}
