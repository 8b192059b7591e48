package analysis

import (
	"math"
	"testing"
)

// mkRun builds a switching run from (task, N…) pieces.
func mkRun(pieces ...any) []SwitchEpoch {
	var out []SwitchEpoch
	task := ""
	for _, p := range pieces {
		switch v := p.(type) {
		case string:
			task = v
		case int:
			out = append(out, SwitchEpoch{N: float64(v), Task: task})
		}
	}
	return out
}

// Run A, worked by hand (METHODS §4.2): DMS 2,2,3,4 (solves 4 → switch at
// epoch index 4), parity 5,5,5,6,7,8,9 (switch at index 11), DMS 10×4 never
// advancing; clip 13 cuts the last phase after 2 of its 4 epochs.
var (
	runA = mkRun("dms", 2, 2, 3, 4, "parity", 5, 5, 5, 6, 7, 8, 9, "dms", 10, 10, 10, 10)
	runB = mkRun("dms", 2, 3, 4, "parity", 5, 6)
)

func nearNaN(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) < 1e-9
}

func TestSwitchRunHandWorked(t *testing.T) {
	m := SwitchRun(runA, []string{"dms", "parity"}, 13)
	// Active line [2,2,3,4,5,5,5,6,7,8,9,10,10]: sum 76.
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"active mean N", m.ActiveMeanN, 76.0 / 13},
		{"active AUC", m.ActiveAUC, 76 - (2+10)/2.0},
		{"active final N", m.ActiveFinalN, 10},
		{"adaptation speed", m.AdaptationSpeed, 4},
		{"mean N gained", m.MeanNGained, 2},
		{"epochs to switch 1", m.EpochsToSwitch[0], 4},
		{"epochs to switch 2", m.EpochsToSwitch[1], 11},
		{"dms line final", m.Tasks["dms"].FinalN, 10},
		{"dms line mean", m.Tasks["dms"].MeanN, (2 + 2 + 3 + 4*8 + 10 + 10) / 13.0},
		{"parity line mean (leading fill 5)", m.Tasks["parity"].MeanN, (5*7 + 6 + 7 + 8 + 9*3) / 13.0},
	} {
		if !nearNaN(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if m.Successful != 1 || m.Total != 2 || m.CensoredCount != 1 {
		t.Errorf("phases successful/total/censored = %d/%d/%d, want 1/2/1", m.Successful, m.Total, m.CensoredCount)
	}
	a1, a2 := m.Adaptation[0], m.Adaptation[1]
	if a1.Task != "parity" || a1.EpochsToNextN != 4 || a1.Censored || a1.NGained != 4 || a1.Used != 7 {
		t.Errorf("phase 1 = %+v", a1)
	}
	if a2.Task != "dms" || !math.IsNaN(a2.EpochsToNextN) || !a2.Censored || a2.NGained != 0 || a2.Used != 2 || a2.PhaseLenFull != 4 {
		t.Errorf("phase 2 = %+v", a2)
	}
}

func TestSwitchRunPhaseAfterClipAndUncensored(t *testing.T) {
	// Without a clip the last phase is whole: never advances but is not censored.
	m := SwitchRun(runA, nil, 0)
	if a := m.Adaptation[1]; a.Censored || !math.IsNaN(a.EpochsToNextN) {
		t.Errorf("unclipped last phase = %+v, want uncensored NaN", a)
	}
	// Clip 11: phase 2 starts at 11, so it has no adaptation row and a NaN switch epoch.
	m = SwitchRun(runA, nil, 11)
	if m.Total != 1 || len(m.EpochsToSwitch) != 2 || !math.IsNaN(m.EpochsToSwitch[1]) {
		t.Errorf("clip 11: total %d, epochs to switch %v", m.Total, m.EpochsToSwitch)
	}
	// Solving the start N in the phase's first epoch gives 2 (N recorded before the advance).
	m = SwitchRun(mkRun("dms", 4, "parity", 5, 6), nil, 0)
	if m.Adaptation[0].EpochsToNextN != 2 {
		t.Errorf("immediate advance: %v, want 2", m.Adaptation[0].EpochsToNextN)
	}
}

func TestSwitchTableGlobalHalf(t *testing.T) {
	res := SwitchTable([]SwitchGroup{{"A", [][]SwitchEpoch{runA}}, {"B", [][]SwitchEpoch{runB}}}, []string{"dms", "parity"}, 13)
	if res.GlobalMax != 10 || res.HalfThreshold != 5 {
		t.Fatalf("global max %v half %v, want 10, 5", res.GlobalMax, res.HalfThreshold)
	}
	if h := res.Rows[0].Runs[0].ActiveHalf; h != 5 {
		t.Errorf("A half = %v, want 5", h)
	}
	if h := res.Rows[1].Runs[0].ActiveHalf; h != 4 {
		t.Errorf("B half = %v, want 4", h)
	}
	if s := res.Rows[1].AdaptationSpeed; s.N != 1 || s.Mean != 2 {
		t.Errorf("B adaptation speed %+v, want 2 over 1 run", s)
	}
	if len(res.Rows[0].EpochsToSwitch) != 2 || res.Rows[0].EpochsToSwitch[1].Mean != 11 {
		t.Errorf("A epochs to switch %+v", res.Rows[0].EpochsToSwitch)
	}
}

func TestTaskLines(t *testing.T) {
	wantPar := []float64{2, 2, 2, 2, 5, 5, 5, 6, 7, 8, 9, 10, 10, 10, 10}
	wantDMS := []float64{2, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 10, 10, 10, 10}
	for name, c := range map[string]struct{ got, want []float64 }{
		"parity drawn": {TaskLineDrawn(runA, "parity", 2), wantPar},
		"dms drawn":    {TaskLineDrawn(runA, "dms", 2), wantDMS},
		"parity line":  {TaskLine(runA, "parity", 6), []float64{5, 5, 5, 5, 5, 5}},
		"dms line":     {TaskLine(runA, "dms", 0), []float64{2, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 10, 10, 10, 10}},
	} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s: %v, want %v", name, c.got, c.want)
		}
		for i := range c.want {
			if c.got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", name, c.got, c.want)
				break
			}
		}
	}
	if got := SwitchEpochsInto(runA, "dms"); len(got) != 1 || got[0] != 12 {
		t.Errorf("switches into dms %v, want [12]", got)
	}
}

func TestActiveProgression(t *testing.T) {
	p := ActiveProgressionOf([][]SwitchEpoch{runA, runB}, "parity")
	if len(p.Mean) != 15 {
		t.Fatalf("length %d, want 15", len(p.Mean))
	}
	// Epoch 0: both on DMS at 2. Epoch 4: A parity 5, B parity 6. Epoch 6: only A recorded, B holds parity.
	for _, c := range []struct {
		t          int
		mean, frac float64
		n          int
	}{{0, 2, 0, 2}, {4, 5.5, 1, 2}, {6, 5, 1, 1}, {12, 10, 0.5, 1}} {
		if !nearNaN(p.Mean[c.t], c.mean) || !nearNaN(p.FracSecond[c.t], c.frac) || p.N[c.t] != c.n {
			t.Errorf("epoch %d: mean %v frac %v n %d, want %v %v %d", c.t, p.Mean[c.t], p.FracSecond[c.t], p.N[c.t], c.mean, c.frac, c.n)
		}
	}
	if !nearNaN(p.SEM[4], 0.5) { // SD 0.7071 / √2
		t.Errorf("SEM at 4 = %v, want 0.5", p.SEM[4])
	}
}
