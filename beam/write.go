package beamsketch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/clkit/clkit/internal/atomicfile"
)

// WriteFile writes the sketch of a Sketch's output to path, once the
// sketch is complete: a local path atomically (a temporary file in the same
// directory, synced, renamed), a remote one (gs://…) through its Beam
// filesystem, whose objects appear whole when closed. With no input rows it
// writes the empty sketch of cfg's frequencies. A retried write writes the
// same bytes.
//
// A runner may run this stage of a job that is failing: prism marks a
// failed bundle's elements done, so the stages downstream go on with what
// the other bundles produced. Write to a Stage's Temp path and Commit it
// once beam.Run has returned without error (Abort otherwise), as
// clkit-beam does: then a failed job leaves no file.
func WriteFile(s beam.Scope, path string, cfg Config, sketch beam.PCollection) {
	s = s.Scope("clkit.WriteFile")
	beam.ParDo0(s, &writeFn{Path: path, Cfg: cfg}, beam.Impulse(s), beam.SideInput{Input: sketch})
}

type writeFn struct {
	Path string
	Cfg  Config
}

func (fn *writeFn) ProcessElement(ctx context.Context, _ []byte, sketches func(*[]byte) bool) error {
	var data, b []byte
	n := 0
	for sketches(&b) {
		data = b
		n++
	}
	if n > 1 {
		return fmt.Errorf("clkit: %d sketches to write to %s, want one", n, fn.Path)
	}
	if n == 0 {
		var err error
		if data, err = EmptySketch(fn.Cfg); err != nil {
			return err
		}
	}
	return writeBytes(ctx, fn.Path, data)
}

// writeBytes writes data to a local path atomically, or to a remote one
// through its Beam filesystem.
func writeBytes(ctx context.Context, path string, data []byte) (err error) {
	if !isRemote(path) {
		return atomicfile.WriteBytes(path, data)
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err = w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = w.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, errors.Join(err, errors.New("the object may be incomplete")))
	}
	return nil
}

// Staged is an output written by a pipeline under a temporary name, and
// moved to its final name by the program that ran the pipeline once the job
// has succeeded.
type Staged struct {
	Final, Temp string
	dir         string // the local temporary directory, removed by Commit and Abort
}

// Stage prepares the temporary name for the output final: a file in a new
// hidden directory beside it (local paths: the final rename is atomic), or
// final with a unique suffix (remote paths).
func Stage(final string) (*Staged, error) {
	if isRemote(final) {
		return &Staged{Final: final, Temp: fmt.Sprintf("%s.clkit-beam-%d.tmp", final, time.Now().UnixNano())}, nil
	}
	dir, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+".beam-*")
	if err != nil {
		return nil, err
	}
	return &Staged{Final: final, Temp: filepath.Join(dir, filepath.Base(final)), dir: dir}, nil
}

// Commit moves the written output to its final name.
func (st *Staged) Commit(ctx context.Context) error {
	if st.dir == "" {
		fs, err := filesystem.New(ctx, st.Final)
		if err != nil {
			return err
		}
		defer fs.Close()
		if err := filesystem.Rename(ctx, fs, st.Temp, st.Final); err != nil {
			return fmt.Errorf("moving %s to %s: %w", st.Temp, st.Final, err)
		}
		return nil
	}
	if _, err := os.Stat(st.Temp); err != nil {
		st.Abort(ctx)
		return fmt.Errorf("the job succeeded but wrote no %s: %w", st.Final, err)
	}
	err := os.Rename(st.Temp, st.Final)
	st.Abort(ctx)
	return err
}

// Abort removes what the job may have written. A local staging directory
// is removed until it stays removed: a worker of a failing job may still
// be writing into it.
func (st *Staged) Abort(ctx context.Context) {
	if st.dir == "" {
		if fs, err := filesystem.New(ctx, st.Temp); err == nil {
			if rm, ok := fs.(filesystem.Remover); ok {
				rm.Remove(ctx, st.Temp)
			}
			fs.Close()
		}
		return
	}
	for range 50 {
		os.RemoveAll(st.dir)
		if _, err := os.Stat(st.dir); os.IsNotExist(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func init() {
	register.DoFn3x1[context.Context, []byte, func(*[]byte) bool, error](&writeFn{})
	register.Iter1[[]byte]()
}
