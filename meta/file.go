package meta

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/clkit/clkit/internal/atomicfile"
	"github.com/clkit/clkit/nn"
)

// A model file is one safetensors file (nn.WriteBundle): the nets "sketch"
// (the Sketch-Network's trunk) and "query", the tensor "branches" (Ω, ξ and
// the quadratic directions), and in the metadata the task, the
// Sketch-Network's configuration and LogNMax.

const (
	keyTask    = "clkit.meta.task"
	keyTaskArg = "clkit.meta.task_args"
	keySketch  = "clkit.meta.sketch_config"
	keyLogN    = "clkit.meta.log_n_max"
)

// taskArgs records a task's parameters.
type taskArgs struct {
	D      int     `json:"d"`
	K      int     `json:"k,omitempty"`
	Lambda float64 `json:"lambda,omitempty"`
	Cov    bool    `json:"covariance,omitempty"`
	Log    bool    `json:"log_ratio,omitempty"`
	Shared float64 `json:"shared,omitempty"`
	Seed   uint64  `json:"shared_seed,omitempty"`
}

func argsOf(t Task) (taskArgs, error) {
	switch t := t.(type) {
	case *PCATask:
		return taskArgs{D: t.D, K: t.K, Cov: t.Covariance, Log: t.LogRatio, Shared: t.Family.Shared, Seed: t.Family.SharedSeed}, nil
	case *RidgeTask:
		return taskArgs{D: t.D, Lambda: t.Lambda, Shared: t.Family.Shared, Seed: t.Family.SharedSeed}, nil
	case *KMeansTask:
		return taskArgs{D: t.D, K: t.K}, nil
	case *AETask:
		return taskArgs{D: t.D, K: t.H}, nil
	}
	return taskArgs{}, fmt.Errorf("meta: cannot save a model of task %T", t)
}

func taskFrom(name string, a taskArgs) (Task, error) {
	switch name {
	case "pca":
		t, err := NewPCATask(a.D, a.K)
		if err == nil {
			t.Covariance, t.LogRatio = a.Cov, a.Log
			t.Family.Shared, t.Family.SharedSeed = a.Shared, a.Seed
		}
		return t, err
	case "ridge":
		t, err := NewRidgeTask(a.D, a.Lambda)
		if err == nil {
			t.Family.Shared, t.Family.SharedSeed = a.Shared, a.Seed
		}
		return t, err
	case "kmeans":
		return NewKMeansTask(a.D, a.K)
	case "ae":
		return NewAETask(a.D, a.K)
	}
	return nil, fmt.Errorf("meta: unknown task %q", name)
}

// Write writes the model (see above).
func (m *Model) Write(w io.Writer) error {
	args, err := argsOf(m.Task)
	if err != nil {
		return err
	}
	aj, _ := json.Marshal(args)
	sj, err := json.Marshal(m.Sketch.cfg)
	if err != nil {
		return err
	}
	meta := map[string]string{keyTask: m.Task.Name(), keyTaskArg: string(aj), keySketch: string(sj),
		keyLogN: strconv.FormatFloat(m.LogNMax, 'g', -1, 64)}
	for k, v := range m.Info {
		if _, ok := meta[k]; !ok {
			meta[k] = v
		}
	}
	head := m.Sketch.head
	extra := []nn.Tensor{{Name: "branches", DType: nn.F32, Shape: []int{len(head)}, F32: head},
		{Name: "query_shift", DType: nn.F64, Shape: []int{len(m.InShift)}, F64: m.InShift},
		{Name: "query_scale", DType: nn.F64, Shape: []int{len(m.InScale)}, F64: m.InScale}}
	return nn.WriteBundle(w, map[string]*nn.Net[float32]{"sketch": m.Sketch.trunk, "query": m.Query}, extra, meta)
}

// Save writes the model to path atomically.
func (m *Model) Save(path string) error {
	if err := atomicfile.Write(path, m.Write); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadModel reads a model written by Write.
func ReadModel(r io.Reader) (*Model, error) {
	nets, extra, meta, err := nn.ReadBundle[float32](r)
	if err != nil {
		return nil, err
	}
	var args taskArgs
	if err := json.Unmarshal([]byte(meta[keyTaskArg]), &args); err != nil {
		return nil, fmt.Errorf("meta: model file: task arguments: %w", err)
	}
	task, err := taskFrom(meta[keyTask], args)
	if err != nil {
		return nil, err
	}
	var cfg SketchConfig
	if err := json.Unmarshal([]byte(meta[keySketch]), &cfg); err != nil {
		return nil, fmt.Errorf("meta: model file: sketch configuration: %w", err)
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.D != task.RowDim() {
		return nil, fmt.Errorf("meta: model file: a sketch network of d=%d for task rows of %d", cfg.D, task.RowDim())
	}
	trunk, query := nets["sketch"], nets["query"]
	br, ok := extra["branches"]
	qs, ok1 := extra["query_shift"]
	qc, ok2 := extra["query_scale"]
	if trunk == nil || query == nil || !ok || !ok1 || !ok2 || len(nets) != 2 || len(extra) != 3 {
		return nil, fmt.Errorf("meta: model file: want nets sketch and query and the tensors branches, query_shift, query_scale")
	}
	if qs.DType != nn.F64 || qc.DType != nn.F64 || len(qs.F64) != cfg.M || len(qc.F64) != cfg.M {
		return nil, fmt.Errorf("meta: model file: query standardisation of %d and %d values for m=%d", len(qs.F64), len(qc.F64), cfg.M)
	}
	for j, v := range qc.F64 {
		if !(v > 0) || math.IsInf(v, 0) || math.IsNaN(qs.F64[j]) || math.IsInf(qs.F64[j], 0) {
			return nil, fmt.Errorf("meta: model file: query standardisation of entry %d: shift %v, scale %v", j, qs.F64[j], v)
		}
	}
	want := cfg.Fourier*(cfg.D+1) + cfg.Quadratic*cfg.D
	if br.DType != nn.F32 || len(br.F32) != want {
		return nil, fmt.Errorf("meta: model file: branches of %d %s values, want %d F32", len(br.F32)+len(br.F64), br.DType, want)
	}
	if trunk.In() != 2*cfg.Fourier+cfg.Quadratic || trunk.Out() != cfg.trunkOut() || query.In() != cfg.M+2 || query.Out() != task.Out() {
		return nil, fmt.Errorf("meta: model file: nets of %d→%d and %d→%d do not fit the configuration", trunk.In(), trunk.Out(), query.In(), query.Out())
	}
	logN, err := strconv.ParseFloat(meta[keyLogN], 64)
	if err != nil || !(logN > 0) || math.IsInf(logN, 0) {
		return nil, fmt.Errorf("meta: model file: log n_max %q", meta[keyLogN])
	}
	s := &SketchNet[float32]{cfg: cfg, head: br.F32, trunk: trunk}
	if err := s.refresh(); err != nil {
		return nil, err
	}
	for _, k := range []string{keyTask, keyTaskArg, keySketch, keyLogN} {
		delete(meta, k)
	}
	return &Model{Task: task, Sketch: s, Query: query, LogNMax: logN, Info: meta, InShift: qs.F64, InScale: qc.F64}, nil
}

// LoadModel reads the model file at path.
func LoadModel(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := ReadModel(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
