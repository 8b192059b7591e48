//go:build amd64 && goexperiment.simd

package gomlxmodels

import (
	"os"
	"simd/archsimd"
	"strconv"
)

// goMatmulKernels names the float32 matmul kernels GoMLX's Go backend
// registers on this CPU: "avx512", "avx2" or "nosimd" (the same test as
// its matmul package, GOMLX_SIMD_AVX512 / GOMLX_SIMD_AVX2 included).
func goMatmulKernels() string {
	allowed := func(env string) bool {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return true
		}
		b, err := strconv.ParseBool(v)
		return err != nil || b
	}
	if !allowed("GOMLX_DOT_MATMUL") {
		return "nosimd"
	}
	switch {
	case allowed("GOMLX_SIMD_AVX512") && archsimd.X86.AVX512():
		return "avx512"
	case allowed("GOMLX_SIMD_AVX2") && archsimd.X86.AVX2():
		return "avx2"
	}
	return "nosimd"
}
