package gomlxmodels

// Sequence lengths are padded up to a bucket so that the number of compiled
// graphs grows logarithmically with the longest length: the buckets are
// 8, 12, 16, 24, 32, 48, … (8·2ⁿ and 12·2ⁿ), so padding wastes at most a
// third of the steps.

const minBucket = 8

// BucketFor returns the smallest bucket length ≥ t.
func BucketFor(t int) int {
	b := minBucket
	for b < t {
		b = nextBucket(b)
	}
	return b
}

func nextBucket(b int) int {
	// 8→12→16→24→32: alternately ×1.5 and ×4/3.
	if b&(b-1) == 0 { // power of two
		return b + b/2
	}
	return b / 3 * 4
}

// Buckets lists the bucket lengths up to and including BucketFor(maxT).
func Buckets(maxT int) []int {
	var out []int
	b := minBucket
	for {
		out = append(out, b)
		if b >= maxT {
			return out
		}
		b = nextBucket(b)
	}
}
