package figdata

import (
	"image/color"
	"math"
	"reflect"
	"testing"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

// switchRun is a run that trains dms at N = 2, 3 then parity at N = 2, 3.
func switchRun() []analysis.SwitchEpoch {
	return []analysis.SwitchEpoch{{N: 2, Task: "dms"}, {N: 3, Task: "dms"}, {N: 2, Task: "parity"}, {N: 3, Task: "parity"}}
}

func sampleSwitching() Switching {
	gs := []analysis.SwitchGroup{{Name: "CB-RNN", Runs: [][]analysis.SwitchEpoch{switchRun(), switchRun()}},
		{Name: "RNN", Runs: [][]analysis.SwitchEpoch{switchRun()}}}
	s := Switching{Tasks: []string{"dms", "parity"}, Table: analysis.SwitchTable(gs, []string{"dms", "parity"}, analysis.SwitchClip)}
	for i, g := range gs {
		s.Groups = append(s.Groups, SwitchCohort{Label: g.Name, Color: color.RGBA{R: uint8(i * 100), A: 255}, SwitchEvery: 2, Runs: g.Runs})
	}
	return s
}

// The switching panels are one per task (the first with the lines at N = 5
// and 15) and the global one, each with a line per group labelled with its
// runs, over the epochs the runs have.
func TestSwitchingPanels(t *testing.T) {
	s := sampleSwitching()
	tp := s.TaskPanels(analysis.SwitchClip)
	if len(tp) != 2 {
		t.Fatalf("%d task panels, want 2", len(tp))
	}
	for i, want := range []string{"Task switching: DMS", "Task switching: Parity"} {
		if tp[i].Title.Text != want {
			t.Errorf("panel %d title %q, want %q", i, tp[i].Title.Text, want)
		}
		if tp[i].X.Min != 1 || tp[i].X.Max != 5 {
			t.Errorf("panel %d x range [%g, %g], want [1, 5] (4 epochs)", i, tp[i].X.Min, tp[i].X.Max)
		}
	}
	g := s.GlobalPanel("(c) Task switching", analysis.SwitchClip)
	if g.Title.Text != "(c) Task switching" || g.X.Min != 1 || g.X.Max != 5 {
		t.Errorf("global panel %q x [%g, %g], want x [1, 5] (4 epochs)", g.Title.Text, g.X.Min, g.X.Max)
	}
}

// nanMeanSEM averages each epoch over the runs that have it.
func TestNanMeanSEM(t *testing.T) {
	mean, sem := nanMeanSEM([][]float64{{1, 3, math.NaN()}, {3}})
	if len(mean) != 3 || mean[0] != 2 || mean[1] != 3 || !math.IsNaN(mean[2]) {
		t.Errorf("mean %v, want [2 3 NaN]", mean)
	}
	if sem[0] != 1 {
		t.Errorf("sem[0] = %g, want 1", sem[0])
	}
}

// A LinePanel draws each line as mean ± SEM padded to its budget,
// labelled with its runs; Lines draws its rows in order.
func TestLinePanel(t *testing.T) {
	l := Lines{W: 11, H: 4.2, Rows: [][]LinePanel{
		{{Title: "a", YLabel: "N", IntegerY: true, Lines: []Line{
			{Label: "CB-RNN", Curves: [][]float64{{2, 3}, {2, 3, 4}}, Budget: 4, Color: color.RGBA{A: 255}},
			{Label: "RNN", Curves: [][]float64{{2}}, Budget: 4, Dashed: true}}}},
		{{Title: "b", YLabel: "test accuracy (%)"}},
	}}
	ps := l.Plots()
	if len(ps) != 2 || len(ps[0]) != 1 || len(ps[1]) != 1 {
		t.Fatalf("plots shape %d rows, want 2 rows of 1", len(ps))
	}
	if ps[0][0].Title.Text != "a" || ps[1][0].Title.Text != "b" || ps[0][0].Y.Label.Text != "N" {
		t.Errorf("titles %q, %q, y %q", ps[0][0].Title.Text, ps[1][0].Title.Text, ps[0][0].Y.Label.Text)
	}
	if _, ok := ps[0][0].Y.Tick.Marker.(plots.NiceTicks); !ok {
		t.Errorf("IntegerY panel has tick marker %T, want plots.NiceTicks", ps[0][0].Y.Tick.Marker)
	}
	ser := l.Rows[0][0].Series()
	if len(ser) != 2 || ser[0].Label != "CB-RNN (n=2)" || ser[1].Label != "RNN (n=1)" || !ser[1].Dashed {
		t.Fatalf("series %+v, want CB-RNN (n=2) and a dashed RNN (n=1)", ser)
	}
	// CB-RNN: runs 2,3 and 2,3,4 padded to 4 epochs: 2,3,3,3 and 2,3,4,4.
	if want := []float64{2, 3, 3.5, 3.5}; !reflect.DeepEqual(ser[0].Mean, want) || !reflect.DeepEqual(ser[0].X, []float64{1, 2, 3, 4}) {
		t.Errorf("CB-RNN mean %v over %v, want %v over 1…4", ser[0].Mean, ser[0].X, want)
	}
}

// The regimes' figure data survive Save and Load (gob, NaN included).
func TestRegimesRoundTrip(t *testing.T) {
	out := t.TempDir()
	dirs := []string{run(t, out, "a")}
	for _, tc := range []struct {
		id        string
		want, got any
	}{
		{"fig3", sampleSwitching(), &Switching{}},
		{"fig4", Fig4{Switching: sampleSwitching(), Periodic: "periodic-core", Periods: map[string]int{"dms": 10}}, &Fig4{}},
		{"continual", Continual{Plan: []string{"dms", "parity", "dms"}, PerPhase: 5, Threshold: 98,
			Savings: []Savings{{Group: "CB-RNN", Task: "dms", Runs: 2, E0: []float64{4, 5}, E1: []float64{2}, Ratio: []float64{0.5}}}}, &Continual{}},
		{"curricula", Curricula{SlidingWindow: 3, Fixed: []FixedSchedule{{Task: "dms", Label: "CB-RNN", Runs: 2, Passed: []float64{4}}}}, &Curricula{}},
		{"controls", Lines{W: 11, H: 4.2, Rows: [][]LinePanel{{{Title: "DMS", Lines: []Line{{Label: "x", Curves: [][]float64{{2, 3}}, Budget: 2}}}}}}, &Lines{}},
	} {
		if err := Save(out, tc.id, "smoke", dirs, tc.want); err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		if _, err := Load(out, tc.id, "smoke", tc.got); err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		got := reflect.ValueOf(tc.got).Elem().Interface()
		if tc.id == "fig3" || tc.id == "fig4" {
			continue // NaN in the switching table: compared below
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: read back %+v, want %+v", tc.id, got, tc.want)
		}
	}
	var s Switching
	if _, err := Load(out, "fig3", "smoke", &s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Groups, sampleSwitching().Groups) || len(s.Table.Rows) != 2 || s.Table.Rows[0].Name != "CB-RNN" {
		t.Errorf("switching read back %+v", s)
	}
}
