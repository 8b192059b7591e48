package costmodel

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/taskplugins/tasks"
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
	// The paper's rule, as DMS declares it, at N = 2 with one member:
	// T ∈ {4..9}, 1/6 at bucket 4, 4/6 at 8, 1/6 at 12.
	p.Members = 1
	d, err = c.Epoch(p, tasks.DMS.Desc.TBounds, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := (1.0/6)*550 + (4.0/6)*1100 + (1.0/6)*2200
	if math.Abs(float64(d)/float64(ms)-want) > 1e-6 {
		t.Errorf("paper N=2: %v, want %.3f ms", d, want)
	}
}

func TestTableScaling(t *testing.T) {
	ms := time.Millisecond
	ref := NewTable("go", "measured in a test", "cb-rnn", 1000, 8, 64, 1.0/8, Costs{
		8:  {Train: 80 * ms, Eval: 16 * ms, Compile: 2 * time.Second},
		12: {Train: 120 * ms, Eval: 24 * ms, Compile: 3 * time.Second},
	})
	for _, tc := range []struct {
		name                   string
		params, members, batch int
		train8                 time.Duration
	}{
		{"the reference itself", 1000, 8, 64, 80 * ms},
		{"half the members costs half (linear backend)", 1000, 4, 64, 40 * ms},
		{"one member", 1000, 1, 64, 10 * ms},
		{"twice the parameters", 2000, 8, 64, 160 * ms},
		{"half the batch (no measured batch scale: in proportion)", 1000, 8, 32, 40 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ref.For(tc.params, tc.members, tc.batch)
			if err != nil {
				t.Fatal(err)
			}
			if d := c[8].Train - tc.train8; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("bucket 8 training step %v, want %v", c[8].Train, tc.train8)
			}
			if c[12].Compile != 3*time.Second {
				t.Errorf("compile %v was scaled", c[12].Compile)
			}
		})
	}

	// A measured batch scale replaces the proportional one: interpolated
	// between the measured sizes, the smallest's below them, proportional
	// above the reference.
	scaled := ref
	scaled.BatchScale = []BatchFactor{{Batch: 32, Factor: 0.625}, {Batch: 16, Factor: 0.75}}
	for _, tc := range []struct {
		batch  int
		train8 time.Duration
	}{
		{64, 80 * ms}, {32, 50 * ms}, {16, 60 * ms}, {8, 60 * ms}, {48, 65 * ms}, {128, 160 * ms},
	} {
		c, err := scaled.For(1000, 8, tc.batch)
		if err != nil {
			t.Fatal(err)
		}
		if d := c[8].Train - tc.train8; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("measured batch scale, batch %d: training step %v, want %v", tc.batch, c[8].Train, tc.train8)
		}
	}
	for _, bad := range [][]BatchFactor{{{Batch: 64, Factor: 1}}, {{Batch: 16, Factor: 0}}, {{Batch: -1, Factor: 1}}} {
		b := ref
		b.BatchScale = bad
		if err := b.Validate(); err == nil {
			t.Errorf("batch scale %+v accepted", bad)
		}
	}

	path := t.TempDir() + "/t.json"
	scaledPath := t.TempDir() + "/s.json"
	if err := SaveTable(scaledPath, scaled); err != nil {
		t.Fatal(err)
	}
	if back, err := LoadTable(scaledPath); err != nil || len(back.BatchScale) != 2 || back.BatchScale[1].Factor != 0.75 {
		t.Fatalf("round trip of the batch scale: %+v, %v", back, err)
	}
	if err := SaveTable(path, ref); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTable(path)
	if err != nil || back.Source != ref.Source || len(back.Buckets) != 2 || back.Buckets[1].TrainMS != 120 {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	bad := ref
	bad.Source = ""
	if err := SaveTable(path, bad); err == nil || !strings.Contains(err.Error(), "source") {
		t.Errorf("a table without a source was saved: %v", err)
	}
}

// TestGPUAssumption pins the assumed H200 table to METHODS §7's figure: at the
// measured length a step costs 4.3 ms, at B=512 (8 members of 64) 6.7 ms.
func TestGPUAssumption(t *testing.T) {
	tb := GPUAssumption(145)
	if !strings.HasPrefix(tb.Source, "ASSUMPTION") {
		t.Errorf("the assumed table does not say so: %q", tb.Source)
	}
	c, err := tb.For(41922, 1, 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := ms64(c[48].Train) * 60 / 48; math.Abs(got-4.3) > 1e-4 {
		t.Errorf("one network at T=60 costs %.3f ms, METHODS §7 says 4.3", got)
	}
	c8, _ := tb.For(41922, 8, 64)
	if got := ms64(c8[48].Train) * 60 / 48; math.Abs(got-6.7) > 1e-4 {
		t.Errorf("eight networks at T=60 cost %.3f ms, METHODS §7 says 6.7 for 512 trials", got)
	}
	if last := tb.Buckets[len(tb.Buckets)-1].T; last < 145 {
		t.Errorf("buckets stop at %d, below the longest sequence 145", last)
	}
}
