package costmodel

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestBucketDist(t *testing.T) {
	// Lengths 7..16 are 10 equally likely values; buckets 8 {7,8}, 12 {9..12}, 16 {13..16}.
	tests := []struct {
		name      string
		lo, hi, k int
		want      map[int]float64
	}{
		{"one member is the uniform law", 7, 16, 1, map[int]float64{8: 0.2, 12: 0.4, 16: 0.4}},
		// P(max ≤ 8) = 0.2², P(max ≤ 12) = 0.6², P(max ≤ 16) = 1.
		{"two members: the longer one decides", 7, 16, 2, map[int]float64{8: 0.04, 12: 0.32, 16: 0.64}},
		{"one length", 10, 10, 5, map[int]float64{12: 1}},
		// N = 2 of the paper: {4, …, 9} → buckets 4 {4}, 8 {5..8}, 12 {9}.
		{"paper N=2, 8 members", 4, 9, 8, map[int]float64{4: math.Pow(1.0/6, 8), 8: math.Pow(5.0/6, 8) - math.Pow(1.0/6, 8), 12: 1 - math.Pow(5.0/6, 8)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BucketDist(tt.lo, tt.hi, tt.k)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for b, p := range tt.want {
				if math.Abs(got[b]-p) > 1e-12 {
					t.Errorf("bucket %d: got %.6f, want %.6f", b, got[b], p)
				}
			}
		})
	}
	for _, bad := range [][3]int{{0, 5, 1}, {6, 5, 1}, {2, 5, 0}} {
		if _, err := BucketDist(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("BucketDist%v accepted", bad)
		}
	}
}

func TestEpochAndRun(t *testing.T) {
	ms := time.Millisecond
	c := Costs{
		4:  {Train: 5 * ms, Eval: 1 * ms, Compile: time.Second / 2},
		8:  {Train: 10 * ms, Eval: 2 * ms, Compile: time.Second},
		12: {Train: 20 * ms, Eval: 4 * ms, Compile: 2 * time.Second},
		16: {Train: 30 * ms, Eval: 6 * ms, Compile: 3 * time.Second},
	}
	p := Protocol{Epochs: 10, Steps: 100, TestSteps: 50, Members: 1}
	lengths := func(n int) (int, int) { return n, n } // every batch exactly N long

	// N = 10 runs at bucket 12: 100·20 ms + 50·4 ms = 2.2 s.
	d, err := c.Epoch(p, lengths, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d != 2200*ms {
		t.Errorf("epoch at N=10: %v, want 2.2s", d)
	}
	// Half the epochs at N=8 (1.1 s), half at N=16 (3.3 s); buckets 8 and 16 compiled once.
	est, err := c.Run(p, lengths, func(e int) int {
		if e < 5 {
			return 8
		}
		return 16
	})
	if err != nil {
		t.Fatal(err)
	}
	if est.Training != 22*time.Second || est.Compile != 4*time.Second || est.Total() != 26*time.Second {
		t.Errorf("run: %+v, want 22s training + 4s compile", est)
	}
	if len(est.Buckets) != 2 || est.Buckets[0] != 8 || est.Buckets[1] != 16 {
		t.Errorf("buckets %v, want [8 16]", est.Buckets)
	}
	// A length beyond the measured buckets is an error that names the bucket.
	if _, err := c.Epoch(p, lengths, 20); err == nil || !strings.Contains(err.Error(), "bucket 20") {
		t.Errorf("unmeasured bucket: %v", err)
	}
	// The paper's rule at N = 2 with one member: T ∈ {4..9}, 1/6 at bucket
	// 4, 4/6 at 8, 1/6 at 12.
	p.Members = 1
	d, err = c.Epoch(p, PaperLengths, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := (1.0/6)*550 + (4.0/6)*1100 + (1.0/6)*2200
	if math.Abs(float64(d)/float64(ms)-want) > 1e-6 {
		t.Errorf("paper N=2: %v, want %.3f ms", d, want)
	}
}
