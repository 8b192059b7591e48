package analysis

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMetricsByHand(t *testing.T) {
	tests := []struct {
		name  string
		curve []float64
		want  RunMetrics
	}{
		{"staircase", []float64{2, 2, 3, 3, 4, 5, 5, 5},
			// mean 29/8; trapz: 2+2.5+3+3.5+4.5+5+5
			RunMetrics{MaxN: 5, FinalN: 5, MeanN: 3.625, AUC: 25.5, Epochs: 8}},
		{"drop after max", []float64{2, 6, 4},
			RunMetrics{MaxN: 6, FinalN: 4, MeanN: 4, AUC: 4 + 5, Epochs: 3}},
		{"one epoch", []float64{7}, RunMetrics{MaxN: 7, FinalN: 7, MeanN: 7, AUC: 0, Epochs: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Metrics(tc.curve)
			if got != tc.want {
				t.Fatalf("Metrics = %+v, want %+v", got, tc.want)
			}
		})
	}
	if m := Metrics(nil); !math.IsNaN(m.AUC) || m.Epochs != 0 {
		t.Fatalf("empty curve: %+v", m)
	}
}

func TestEpochsToHalf(t *testing.T) {
	curve := []float64{2, 2, 3, 3, 4, 5, 5, 5}
	tests := []struct {
		globalMax float64
		want      int
		ok        bool
	}{
		{8, 5, true},   // threshold 4: first reached in epoch 5 (index 4)
		{9, 6, true},   // threshold 4.5: first N ≥ 4.5 is 5, in epoch 6
		{4, 1, true},   // threshold 2: already in the first epoch
		{12, 0, false}, // threshold 6: never; no value
	}
	for _, tc := range tests {
		got, ok := EpochsToHalf(curve, tc.globalMax)
		if got != tc.want || ok != tc.ok {
			t.Errorf("EpochsToHalf(max %v) = %d,%v want %d,%v", tc.globalMax, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSummarise(t *testing.T) {
	// Mean 5; Σ(x−5)² = 32; SD = √(32/7); SEM = SD/√8.
	s := Summarise([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	sd := math.Sqrt(32.0 / 7)
	if s.N != 8 || !near(s.Mean, 5, 1e-12) || !near(s.SD, sd, 1e-12) || !near(s.SEM, sd/math.Sqrt(8), 1e-12) {
		t.Fatalf("Summarise = %+v, want mean 5 sd %v sem %v", s, sd, sd/math.Sqrt(8))
	}
	if s := Summarise([]float64{3}); s != (Summary{Mean: 3, N: 1}) {
		t.Fatalf("single value: %+v", s)
	}
	if s := Summarise(nil); !math.IsNaN(s.Mean) || s.N != 0 {
		t.Fatalf("empty: %+v", s)
	}
}

func TestPadTo(t *testing.T) {
	got := PadTo([]float64{2, 3, 4}, 5)
	want := []float64{2, 3, 4, 4, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("PadTo = %v want %v", got, want)
		}
	}
	if got := PadTo([]float64{1, 2, 3}, 2); len(got) != 2 || got[1] != 2 {
		t.Fatalf("truncate: %v", got)
	}
}

func TestGroupTable(t *testing.T) {
	groups := []Group{
		{Name: "A", Curves: [][]float64{{2, 3, 4}, {2, 2, 6, 8}}},
		{Name: "B", Curves: [][]float64{{2, 2, 2, 3, 3}, {}}}, // empty run ignored
	}
	res := GroupTable(groups, 5)
	if res.GlobalMax != 8 || res.HalfThreshold != 4 {
		t.Fatalf("global max %v thr %v", res.GlobalMax, res.HalfThreshold)
	}
	a, b := res.Rows[0], res.Rows[1]
	// A padded: {2,3,4,4,4} AUC 2.5+3.5+4+4 = 14, half in epoch 3;
	//           {2,2,6,8,8} AUC 2+4+7+8 = 21, half in epoch 3.
	if a.Name != "A" || a.AUC.N != 2 || !near(a.AUC.Mean, 17.5, 1e-12) || !near(a.AUC.SD, math.Sqrt(24.5), 1e-12) {
		t.Fatalf("A AUC %+v", a.AUC)
	}
	if a.Half.Mean != 3 || a.HalfNotReached != 0 || a.MaxN.Mean != 6 || a.FinalN.Mean != 6 {
		t.Fatalf("A row %+v", a)
	}
	if !near(a.MeanN.Mean, (17.0/5+26.0/5)/2, 1e-12) {
		t.Fatalf("A mean N %+v", a.MeanN)
	}
	// B: {2,2,2,3,3} never reaches 4: no half value, counted as not reached.
	if b.AUC.N != 1 || b.Half.N != 0 || !math.IsNaN(b.Half.Mean) || b.HalfNotReached != 1 || b.AUC.Mean != 2+2+2.5+3 {
		t.Fatalf("B row %+v", b)
	}
}

func TestMeanSEMCurve(t *testing.T) {
	mean, sem := MeanSEMCurve([][]float64{{1, 2, 3}, {3, 4}, nil})
	// second curve padded to {3,4,4}
	wantM := []float64{2, 3, 3.5}
	wantS := []float64{1, 1, 0.5} // SD/√2 of (1,3),(2,4),(3,4)
	for i := range wantM {
		if !near(mean[i], wantM[i], 1e-12) || !near(sem[i], wantS[i], 1e-12) {
			t.Fatalf("mean %v sem %v, want %v %v", mean, sem, wantM, wantS)
		}
	}
	if m, s := MeanSEMCurve(nil); m != nil || s != nil {
		t.Fatal("empty input should give nil")
	}
}

// TestHalfThreshold: the authors' half of the global max where it lies
// above the start N; half the way from the start otherwise (appC's DMS: max
// 4, start 2, ½·max = 2 = start → 3); none when nothing moved.
func TestHalfThreshold(t *testing.T) {
	for _, tc := range []struct {
		max, start, want float64
	}{{38, 2, 19}, {4, 2, 3}, {6, 4, 5}, {5, 2, 2.5}, {2, 2, math.NaN()}, {math.NaN(), 2, math.NaN()}} {
		got, rule := HalfThreshold(tc.max, tc.start)
		if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) || rule == "" {
			t.Errorf("HalfThreshold(%v, %v) = %v (%q), want %v", tc.max, tc.start, got, rule, tc.want)
		}
	}
	// A sliding curriculum from N = 4 to a max of 6: threshold 5, so a run
	// that starts at 4 is not "at half" in its first epoch.
	res := GroupTable([]Group{{Name: "s", Curves: [][]float64{{4, 4, 5, 6}, {4, 5, 5, 5}}}}, 0)
	if res.StartN != 4 || res.HalfThreshold != 5 || res.Rows[0].Half.Mean != 2.5 {
		t.Errorf("sliding: start %v thr %v half %+v, want 4, 5, 2.5", res.StartN, res.HalfThreshold, res.Rows[0].Half)
	}
	if got := res.Rows[0].Values.AUC; len(got) != 2 || got[0] != 4+4.5+5.5 {
		t.Errorf("per-run AUC %v", got)
	}
}
