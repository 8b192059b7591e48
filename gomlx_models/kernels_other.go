//go:build !(amd64 && goexperiment.simd)

package gomlxmodels

// goMatmulKernels: without Go's simd experiment (or off amd64) GoMLX's Go
// backend has its portable kernels only.
func goMatmulKernels() string { return "nosimd" }
