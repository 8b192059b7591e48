package tasks

import (
	"fmt"
	"math"
	"strconv"
)

// Parameter domains. Every parameter a paper task takes has a domain, stated
// in its Help text and checked here before any data is made, so a typo such
// as p_stable=5 or noise=-1 is refused with the parameter, the value and the
// allowed range instead of silently producing a different task. (A general
// domain mechanism in the SDK may later check the same declarations on the
// host side; these checks stay as the generator's own guard.)

// probability parses the float parameter key and requires it to lie in
// [0, 1]; task names the task in the error.
func probability(taskName string, p map[string]string, key string) (float64, error) {
	return floatIn(taskName, p, key, 0, 1)
}

// floatIn parses the float parameter key and requires lo ≤ v ≤ hi (NaN and
// ±Inf are refused: they lie in no interval).
func floatIn(taskName string, p map[string]string, key string, lo, hi float64) (float64, error) {
	s := p[key]
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("task %s: parameter %s = %q is not a number (allowed: a number in [%g, %g])", taskName, key, s, lo, hi)
	}
	if math.IsNaN(v) || v < lo || v > hi {
		return 0, fmt.Errorf("task %s: parameter %s = %s is outside its domain [%g, %g]", taskName, key, s, lo, hi)
	}
	return v, nil
}

// uint32Param parses the parameter key as a decimal integer in
// [0, 4294967295]: the seeds PyTorch's Mersenne Twister uses (it keeps only
// the low 32 bits of a seed, so a larger value would silently alias).
func uint32Param(taskName string, p map[string]string, key string) (uint32, error) {
	s := p[key]
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("task %s: parameter %s = %q is not an integer in [0, %d]", taskName, key, s, uint64(math.MaxUint32))
	}
	return uint32(v), nil
}
