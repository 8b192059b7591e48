package verdicts

import (
	"slices"
	"testing"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"| DMS | yes | no |", []string{"yes", "no"}},
		{"larger AUC: Yes", []string{"larger", "Yes"}},
		{"as in the paper? no", []string{"no"}},
		{"In the paper the CB-RNN propagates its memory better than the RNN", []string{"better"}},
		{"Frozen-core beats the RNN", []string{"beats"}},
		{"switching: faster adaptation", []string{"faster"}},
		// Names and facts, not verdicts.
		{"one step with No CB, no runs, nothing, Bayesian, knowing", nil},
		{"chance is 50 %; the majority baseline 75 %", nil},
		{"yesterday, lowered, betterment", nil},
		// The paper's own statement, quoted and marked.
		{"> The paper: the CB-RNN learns faster\n> and beats the RNN.\n\nOurs is higher.", []string{"higher"}},
		{"> **The paper:** larger AUC", nil},
		{"> The paper (Table 4): the CB-RNN climbs further and faster", nil},
		// The sketch's statements, quoted and marked, likewise.
		{"> The sketch: the CB-RNN should converge faster", nil},
		{"the sketch says the CB-RNN converges faster", []string{"faster"}},
		// A quote that is not the paper's is no exemption.
		{"> ours: faster", []string{"faster"}},
	} {
		if got := Find(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("Find(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
