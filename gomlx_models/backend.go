package gomlxmodels

import (
	"fmt"
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// DefaultGoBackendConfig is the Go backend's configuration when
// GOMLX_BACKEND is unset.
const DefaultGoBackendConfig = "ops_sequential"

// xlaCompiledIn is set by backend_xla.go (build tag "xla").
var xlaCompiledIn bool

// NewBackend returns the compute backend to run the models on and a line
// saying which one and why. With GOMLX_BACKEND set it is honoured
// ("go", "go:parallelism=2", "xla:cuda", "xla:/abs/pjrt_plugin.so", …; XLA
// needs a binary built with -tags xla and cgo). Without it the pure-Go
// backend is used explicitly, so that nothing tries to auto-install an XLA
// plugin. It never panics: a failing backend constructor becomes an error.
func NewBackend() (b compute.Backend, why string, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("gomlxmodels: creating backend %q failed: %v", os.Getenv(compute.ConfigEnvVar), r)
			if !xlaCompiledIn {
				err = fmt.Errorf("%w (this binary has no XLA: build with -tags xla and cgo for xla:…)", err)
			}
		}
	}()
	if cfg, ok := os.LookupEnv(compute.ConfigEnvVar); ok && cfg != "" {
		b, err = compute.NewWithConfig(cfg)
		if err != nil {
			return nil, "", fmt.Errorf("gomlxmodels: backend %s=%q: %w", compute.ConfigEnvVar, cfg, err)
		}
		return b, fmt.Sprintf("backend %s (%s), from %s=%q", b.Name(), b.Description(), compute.ConfigEnvVar, cfg), nil
	}
	// ops_sequential: the Go backend's default inter-op scheduler shares one
	// worker pool with the ops' own parallel loops and deadlocks on the
	// large batched matmuls of an ensemble (seen with K=24: every worker
	// waiting in WaitToStart). Our graphs are a chain of time steps anyway,
	// so running ops in order and parallelising inside each op loses little.
	b, err = gobackend.New(DefaultGoBackendConfig)
	if err != nil {
		return nil, "", fmt.Errorf("gomlxmodels: Go backend: %w", err)
	}
	return b, fmt.Sprintf("%s (%s): default, %s unset", b.Name(), b.Description(), compute.ConfigEnvVar), nil
}
