package gomlxmodels

import "math"

// Sequence lengths are padded up to a bucket so that graphs are compiled
// for few lengths: multiples of 4 up to 64 (padding wastes at most 3
// steps), then steps of 12.5 % (⌈b·9/8⌉: 72, 81, 92, 104, 117, 132, 149,
// 168, …), which waste less than 12.5 % of a sequence. Up to a longest
// length T there are at most MaxBuckets(T) = 16 + ⌈log_{9/8}(T/64)⌉
// buckets (23 up to the paper's 4·36+1 = 145, 35 up to 600), each compiled
// once per kind of graph (about 13 ms per 60 steps; internal/costmodel
// prices it). The former buckets (8, 12, 16, 24, … alternately ×1.5 and
// ×4/3) wasted up to a third: T = 60 ran in the 64-step bucket, T = 65 in
// the 96-step one.

const (
	minBucket  = 4
	fineBucket = 64 // multiples of minBucket up to here
)

// BucketFor returns the smallest bucket length ≥ t.
func BucketFor(t int) int {
	b := minBucket
	for b < t {
		b = nextBucket(b)
	}
	return b
}

func nextBucket(b int) int {
	if b < fineBucket {
		return b + minBucket
	}
	return (b*9 + 7) / 8 // ⌈b·9/8⌉
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

// MaxBuckets is the bound on len(Buckets(maxT)) stated above.
func MaxBuckets(maxT int) int {
	n := fineBucket / minBucket
	if maxT > fineBucket {
		n += int(math.Ceil(math.Log(float64(maxT)/fineBucket) / math.Log(9.0/8)))
	}
	return n
}
