package gomlxmodels

import (
	"fmt"
	"os"
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
// recurrences are built separately in one graph. With SIMD (GOEXPERIMENT=
// simd) the Go backend's small-matrix kernel beats its packed kernel, which
// it switches to for batched matmuls of ≥ 4M multiply-adds and which repacks
// both operands on every call; groups keep every per-step matmul below that
// size (a group's batch still spreads over the cores). Without SIMD the
// packed kernel is the faster one, and other backends compile the batched
// graph well: one group.
func (e *Ensemble) memberGroups(B int) [][2]int {
	gmax := e.k
	if e.groupMax > 0 {
		gmax = e.groupMax
	} else if e.isGoBackend && simdCompiledIn {
		// The largest per-step matmul: a weight [out, in] with the bias
		// folded in as an extra input column.
		layer := 1
		for _, p := range e.specs {
			if len(p.Shape) == 2 {
				layer = max(layer, p.Shape[0]*(p.Shape[1]+1))
			}
		}
		gmax = max(1, (goSmallMatMulLimit-1)/(layer*B))
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

// goSmallMatMulLimit is the Go backend's switch to its packed matmul kernel
// (multiply-adds per DotGeneral).
const goSmallMatMulLimit = 4 * 1024 * 1024
