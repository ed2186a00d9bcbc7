package main

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"io"
)

// plotModel draws the model's centres (area ∝ weight; for a GMM also the
// 1- and 2-standard-deviation ellipses of each component) in dimensions
// dims, over the data points pts (already projected; may be nil), into a
// PNG.
func plotModel(path string, m *model, pts plotter.XYs, dims []int, ref [][]float64, refName string) error {
	a, b := dims[0], dims[1]
	if m.D == 1 {
		b = 0
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, K = %d (from a sketch of %d rows)", m.Model, m.K, m.Sketch.Rows)
	p.X.Label.Text = fmt.Sprintf("x%d", a)
	p.Y.Label.Text = fmt.Sprintf("x%d", b)
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = color.NRGBA{R: 110, G: 120, B: 140, A: 70}
		sc.GlyphStyle.Radius = vg.Points(0.7)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(sc)
	}
	red := color.RGBA{R: 200, G: 30, B: 30, A: 255}
	if m.Model == "gmm" {
		for i, mu := range m.Means {
			sa, sb := math.Sqrt(m.Variances[i][a]), math.Sqrt(m.Variances[i][b])
			for _, r := range []float64{1, 2} {
				e := make(plotter.XYs, 73)
				for t := range e {
					th := 2 * math.Pi * float64(t) / float64(len(e)-1)
					e[t].X, e[t].Y = mu[a]+r*sa*math.Cos(th), mu[b]+r*sb*math.Sin(th)
				}
				l, err := plotter.NewLine(e)
				if err != nil {
					return err
				}
				l.Color = color.RGBA{R: 30, G: 80, B: 200, A: 200}
				if r == 2 {
					l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
				}
				p.Add(l)
			}
		}
	}
	maxW := 0.0
	for _, w := range m.Weights {
		maxW = max(maxW, w)
	}
	centres := m.centres()
	cp := make(plotter.XYs, len(centres))
	for i, c := range centres {
		cp[i].X, cp[i].Y = c[a], c[b]
	}
	sc, err := plotter.NewScatter(cp)
	if err != nil {
		return err
	}
	sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		r := 3 + 5*math.Sqrt(m.Weights[i]/max(maxW, 1e-300))
		return draw.GlyphStyle{Color: red, Radius: vg.Points(r), Shape: draw.CrossGlyph{}}
	}
	sc.GlyphStyle.Color = red
	p.Add(sc)
	p.Legend.Add(m.Model+" from the sketch", sc)
	if len(ref) > 0 {
		rp := make(plotter.XYs, len(ref))
		for i, c := range ref {
			rp[i].X, rp[i].Y = c[a], c[b]
		}
		rs, err := plotter.NewScatter(rp)
		if err != nil {
			return err
		}
		rs.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{R: 20, G: 90, B: 220, A: 255}, Radius: vg.Points(6), Shape: draw.RingGlyph{}}
		p.Add(rs)
		p.Legend.Add(refName, rs)
	}
	p.Legend.Top = true
	c := vgimg.New(7*vg.Inch, 7*vg.Inch)
	p.Draw(draw.New(c))
	return writeAtomic(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}
