package main

import (
	"io"
	"os"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress is a rows-read bar on stderr: rate, and an ETA when the total
// is known. nil (quiet, or stderr not a terminal) draws nothing.
type progress struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	known bool
	n     int64
}

func newProgress(w io.Writer, name string, total int64, quiet bool) *progress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))
	known := total > 0
	right := []decor.Decorator{decor.AverageSpeed(0, " %.0f rows/s")}
	if known {
		right = append(right, decor.Name("  ETA "), decor.AverageETA(decor.ET_STYLE_GO))
	} else {
		total = 0
	}
	bar := p.AddBar(total,
		mpb.PrependDecorators(decor.Name(name+" "), decor.CurrentNoUnit("%d rows")),
		mpb.AppendDecorators(right...))
	return &progress{p: p, bar: bar, known: known}
}

func (p *progress) add(rows int) {
	if p == nil {
		return
	}
	p.n += int64(rows)
	if !p.known {
		// Unknown total: keep the bar one step ahead so it never completes.
		p.bar.SetTotal(p.n+1, false)
	}
	p.bar.IncrBy(rows)
}

// finish completes the bar (ok) or aborts it, and waits for the last draw.
func (p *progress) finish(ok bool) {
	if p == nil {
		return
	}
	if ok {
		p.bar.SetTotal(-1, true)
	} else {
		p.bar.Abort(false)
	}
	p.p.Wait()
}

// stepBar is a training progress bar on stderr: steps, a label (epoch,
// loss) and the ETA. nil (quiet, or stderr not a terminal) draws nothing.
type stepBar struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	label string
}

func newStepBar(w io.Writer, name string, total int64, quiet bool) *stepBar {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	b := &stepBar{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))}
	b.bar = b.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(name+" "), decor.Any(func(decor.Statistics) string { return b.label })),
		mpb.AppendDecorators(decor.AverageSpeed(0, " %.1f steps/s"), decor.Name("  ETA "), decor.AverageETA(decor.ET_STYLE_GO)))
	return b
}

// step advances the bar by one step and shows label.
func (b *stepBar) step(label string) {
	if b == nil {
		return
	}
	b.label = label
	b.bar.Increment()
}

func (b *stepBar) finish(ok bool) {
	if b == nil {
		return
	}
	if ok {
		b.bar.SetTotal(-1, true)
	} else {
		b.bar.Abort(false)
	}
	b.p.Wait()
}
