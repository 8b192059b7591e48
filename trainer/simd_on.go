//go:build goexperiment.simd

package trainer

// simdBuild: this binary was built with GOEXPERIMENT=simd, so GoMLX's Go
// backend uses its SIMD kernels, whose float32 sums round differently.
const simdBuild = true
