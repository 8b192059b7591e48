package experiments

import (
	"reflect"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

func TestPaperNumbersAreThePapers(t *testing.T) {
	m, ok := PaperTable4("dms", "CB-RNN")
	if !ok || m != (PaperMetrics{MaxN: 34.75, Half: 215, AUC: 25041}) {
		t.Errorf("Table 4, DMS CB-RNN = %+v %v", m, ok)
	}
	if m, ok := PaperTable4("parity", "RNN"); !ok || m != (PaperMetrics{MaxN: 16.75, Half: 312, AUC: 11505}) {
		t.Errorf("Table 4, parity RNN = %+v %v", m, ok)
	}
	if _, ok := PaperTable4("dms", "GRU"); ok {
		t.Error("Table 4 has no GRU row")
	}
	// Appendix B: the registry builds exactly the paper's counts.
	for name, want := range PaperParams {
		if got := gm.MustBuild(name, gm.Options{}).Count().Total; got != want {
			t.Errorf("%s: %d parameters, the paper's appendix B says %d", name, got, want)
		}
	}
}

func TestUnitsByTime(t *testing.T) {
	// [T=2, 1, units=3]: step-major.
	a := gm.Array{Shape: []int{2, 1, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	got := UnitsByTime(a)
	want := [][]float64{{1, 4}, {2, 5}, {3, 6}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UnitsByTime = %v, want %v", got, want)
	}
}
