package main

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// plotSamples draws 2-D histograms (white → black with the count, as in the
// CL-GN paper) of the generator's samples y (n×d) in dimensions dims, and
// beside it one of the data points, if any, over the same square.
func plotSamples(path string, y []float64, d int, dims []int, data plotter.XYs, meta map[string]string) error {
	a, b := dims[0], dims[1]
	if d == 1 {
		b = 0
	}
	gen := make(plotter.XYs, len(y)/d)
	for i := range gen {
		gen[i] = plotter.XY{X: y[i*d+a], Y: y[i*d+b]}
	}
	// The square: the data's range (or the samples'), with a margin.
	ref := data
	if len(ref) == 0 {
		ref = gen
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range ref {
		lo, hi = min(lo, p.X, p.Y), max(hi, p.X, p.Y)
	}
	pad := 0.05 * (hi - lo)
	if !(pad > 0) {
		pad = 1
	}
	lo, hi = lo-pad, hi+pad
	var panels []*plot.Plot
	if len(data) > 0 {
		panels = append(panels, histPanel(data, lo, hi, fmt.Sprintf("data (%d points)", len(data)), a, b))
	}
	title := fmt.Sprintf("generator (%d samples", len(gen))
	if l := meta["clkit.gen.final_loss"]; l != "" {
		title += ", sketch loss " + l
	}
	panels = append(panels, histPanel(gen, lo, hi, title+")", a, b))
	const side = 5 * vg.Inch
	c := vgimg.New(vg.Length(len(panels))*side, side)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, dc)
	for i, p := range panels {
		p.Draw(canvases[0][i])
	}
	return writeAtomic(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}

// histGrid is a 2-D histogram of counts on a square grid, a plotter.GridXYZ.
type histGrid struct {
	n      int
	lo, dx float64
	count  []float64
}

func (g *histGrid) Dims() (c, r int)   { return g.n, g.n }
func (g *histGrid) Z(c, r int) float64 { return g.count[r*g.n+c] }
func (g *histGrid) X(c int) float64    { return g.lo + (float64(c)+0.5)*g.dx }
func (g *histGrid) Y(r int) float64    { return g.X(r) }

// grayPalette runs from white (no samples) to black, with a square-root
// scale through the palette's order so that sparse regions still show.
type grayPalette int

func (p grayPalette) Colors() []color.Color {
	cs := make([]color.Color, int(p))
	for i := range cs {
		v := uint8(255 * (1 - math.Sqrt(float64(i)/float64(len(cs)-1))))
		cs[i] = color.Gray{Y: v}
	}
	return cs
}

func histPanel(pts plotter.XYs, lo, hi float64, title string, a, b int) *plot.Plot {
	const bins = 150
	g := &histGrid{n: bins, lo: lo, dx: (hi - lo) / bins, count: make([]float64, bins*bins)}
	for _, p := range pts {
		c, r := int((p.X-lo)/g.dx), int((p.Y-lo)/g.dx)
		if c >= 0 && c < bins && r >= 0 && r < bins {
			g.count[r*bins+c]++
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = fmt.Sprintf("x%d", a)
	p.Y.Label.Text = fmt.Sprintf("x%d", b)
	hm := plotter.NewHeatMap(g, grayPalette(64))
	hm.Min = 0
	p.Add(hm)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	return p
}
