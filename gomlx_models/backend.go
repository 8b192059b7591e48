package gomlxmodels

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// xlaCompiledIn is set by backend_xla.go (build tag "xla").
var xlaCompiledIn bool

// SIMDCompiledIn reports whether this binary was built with
// GOEXPERIMENT=simd, which gives the Go backend its AVX2/AVX-512 matmul
// kernels (about 4× faster training steps on CPU).
func SIMDCompiledIn() bool { return simdCompiledIn }

// NewBackend returns the compute backend to run the models on and a line
// saying which one and why.
//
// With GOMLX_BACKEND set it is honoured ("go", "go:parallelism=2",
// "xla:cuda", "xla:/abs/pjrt_plugin.so", …; XLA needs a binary built with
// -tags xla and cgo). Without it the pure-Go backend is used explicitly, so
// that nothing tries to auto-install an XLA plugin.
//
// The Go backend runs ops sequentially ("ops_sequential") unless the config
// asks for "ops_parallel": its parallel op scheduler deadlocks when every
// worker slot holds a matmul waiting for workers of its own (seen here with
// ensembles), while sequential execution still spreads each batched matmul
// over the cores and measured as fast.
//
// It never panics: a failing backend constructor becomes an error.
func NewBackend() (b compute.Backend, why string, err error) {
	cfg, fromEnv := os.LookupEnv(compute.ConfigEnvVar)
	defer func() {
		if r := recover(); r != nil {
			b, why, err = nil, "", fmt.Errorf("gomlxmodels: creating backend %q failed: %v", cfg, r)
			if !xlaCompiledIn && strings.HasPrefix(cfg, "xla") {
				err = fmt.Errorf("%w (this binary has no XLA: build it with -tags xla and cgo)", err)
			}
		}
	}()
	source := fmt.Sprintf("from %s=%q", compute.ConfigEnvVar, cfg)
	if !fromEnv || cfg == "" {
		cfg, source = gobackend.BackendName, compute.ConfigEnvVar+" unset"
	}
	name, opts, _ := strings.Cut(cfg, ":")
	if name == gobackend.BackendName && !strings.Contains(opts, "ops_parallel") && !strings.Contains(opts, "ops_sequential") {
		if opts != "" {
			opts += ","
		}
		opts += "ops_sequential"
		cfg = name + ":" + opts
	}
	if name == gobackend.BackendName {
		b, err = gobackend.New(opts)
	} else {
		b, err = compute.NewWithConfig(cfg)
	}
	if err != nil {
		return nil, "", fmt.Errorf("gomlxmodels: backend %q (%s): %w", cfg, source, err)
	}
	why = fmt.Sprintf("backend %q: %s, %s", cfg, b.Description(), source)
	if name == gobackend.BackendName {
		if simdCompiledIn {
			why += "; SIMD matmuls on"
		} else {
			why += "; SIMD off (build with GOEXPERIMENT=simd for ~4× faster CPU training)"
		}
	}
	return b, why, nil
}

// memberGroups splits the members into contiguous groups [lo, hi) whose
// recurrences are built separately in one graph (for a graph of bucket T
// and batch B).
//
// The fast path runs all of an executor's members as one group: its
// matmuls keep a member's rounding at any group size (exact.go), and one
// group of 8 measured 26.9 CPU ms per member-step against 34.7 for the
// former groups of 3 (K=8, T=60, B=64, 2-core Zen 4).
//
// The general path's backward matmuls come from autodiff, outside
// dotPolicy's reach. Where the kernel choice counts the member batch, its
// groups are kept small enough that every product whose per-member size is
// below the kernel switch stays below it for the whole group: the kernel,
// and so each member's rounding, is then the one it gets alone (the rule
// main used for speed; per-member groups cost 1.8× the CPU time).
func (e *Ensemble) memberGroups(T, B int) [][2]int {
	gmax := e.k
	if e.groupMax > 0 {
		gmax = e.groupMax
	} else if p := e.dotPolicy(); e.path == pathGeneral && p != nil && p.batch {
		gmax = p.groupFor(e.generalProducts(T, B), e.k)
	}
	nGroups := (e.k + gmax - 1) / gmax
	out := make([][2]int, 0, nGroups)
	lo := 0
	for i := range nGroups {
		size := e.k / nGroups
		if i < e.k%nGroups {
			size++
		}
		out = append(out, [2]int{lo, lo + size})
		lo += size
	}
	return out
}

// generalProducts bounds the per-member multiply-adds of the general
// path's matmuls: every weight [out, in] against a step's batch (forward,
// and autodiff's two products per step), with one extra input for a bias,
// and a per-step readout's heads against all T·B outputs at once.
func (e *Ensemble) generalProducts(T, B int) []int {
	heads := map[string]bool{}
	for k := range e.cfg.Readout.Heads {
		heads[e.cfg.HeadName(k)+".weight"] = true
	}
	var fs []int
	for _, p := range e.specs {
		if len(p.Shape) != 2 {
			continue
		}
		f := p.Shape[0] * (p.Shape[1] + 1) * B
		if e.cfg.Readout.PerStep && heads[p.Name] {
			f *= T
		}
		fs = append(fs, f)
	}
	return fs
}

// goSmallMatMulLimit is the Go backend's switch to its packed matmul kernel
// (multiply-adds per DotGeneral).
const goSmallMatMulLimit = 4 * 1024 * 1024

// NewExecutors returns the backends of n executors for one ensemble (see
// NewEnsembleOn). On the Go backend each is a fresh backend that runs its
// ops in order on one thread: n of them keep n cores busy, where one
// backend with n threads leaves every non-matmul op on one core and splits
// only the large matmuls. Elsewhere (XLA: one accelerator) it returns base
// alone, whatever n.
func NewExecutors(base compute.Backend, n int) ([]compute.Backend, error) {
	if base == nil || base.String() != gobackend.BackendName {
		return []compute.Backend{base}, nil
	}
	out := make([]compute.Backend, max(1, n))
	for i := range out {
		b, err := newGoBackend(1)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// ExecutorsFor returns the executors of an ensemble of K members that has
// cores cores to itself: on the Go backend one single-threaded executor
// per core, at most one per member (NewExecutors), and for a single member
// (or a single core) one backend with cores threads, whose large matmuls
// still spread over them. Elsewhere: base.
func ExecutorsFor(base compute.Backend, K, cores int) ([]compute.Backend, error) {
	if base == nil || base.String() != gobackend.BackendName {
		return []compute.Backend{base}, nil
	}
	if K <= 1 || cores <= 1 {
		b, err := newGoBackend(max(1, cores))
		if err != nil {
			return nil, err
		}
		return []compute.Backend{b}, nil
	}
	return NewExecutors(base, min(K, cores))
}

// newGoBackend is a Go backend running its ops in order with the given
// number of worker threads.
func newGoBackend(threads int) (compute.Backend, error) {
	b, err := gobackend.New("ops_sequential")
	if err != nil {
		return nil, fmt.Errorf("gomlxmodels: executor backend: %w", err)
	}
	if err := setParallelism(b, threads); err != nil {
		return nil, err
	}
	return b, nil
}

// setParallelism sets a Go backend's worker count. The backend's own
// option for it ("parallelism=1") prints a line on stdout each time, which
// would land in the output of `cbrnn bench` and `cbrnn figures`; its
// worker pool is reached by reflection instead (an exported field and
// method of GoMLX's internal type). TestExecutorsSingleThreaded checks it.
func setParallelism(b compute.Backend, n int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gomlxmodels: cannot set the Go backend's parallelism: %v", r)
		}
	}()
	v := reflect.ValueOf(b)
	if v.Kind() != reflect.Pointer {
		return fmt.Errorf("gomlxmodels: cannot set the parallelism of backend %T", b)
	}
	m := v.Elem().FieldByName("Workers").MethodByName("SetMaxParallelism")
	if !m.IsValid() {
		return fmt.Errorf("gomlxmodels: backend %T has no Workers.SetMaxParallelism", b)
	}
	m.Call([]reflect.Value{reflect.ValueOf(n)})
	return nil
}
