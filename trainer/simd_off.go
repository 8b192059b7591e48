//go:build !goexperiment.simd

package trainer

// simdBuild: this binary was built without GOEXPERIMENT=simd.
const simdBuild = false
