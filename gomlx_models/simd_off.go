//go:build !goexperiment.simd

package gomlxmodels

const simdCompiledIn = false
