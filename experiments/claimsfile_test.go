package experiments

import (
	"slices"
	"testing"
)

// TestClaimsOf: a figure's claims are those it computed and those whose
// Where names it as a whole word (fig4 is not fig4b).
func TestClaimsOf(t *testing.T) {
	rs := []ClaimRecord{
		{ID: "a", Figure: "table4", Where: "Table 4 and fig2a, DMS"},
		{ID: "b", Figure: "table4", Where: "Table 4, DMS"},
		{ID: "c", Figure: "fig4", Where: "fig3, fig4b (multitask, N of DMS)"},
		{ID: "d", Figure: "fig5", Where: "fig5"},
	}
	for _, tc := range []struct {
		figure string
		want   []string
	}{
		{"fig2a", []string{"a"}},
		{"table4", []string{"a", "b"}},
		{"fig3", []string{"c"}},
		{"fig4", []string{"c"}},
		{"fig5", []string{"d"}},
		{"fig6", nil},
	} {
		var got []string
		for _, r := range ClaimsOf(rs, tc.figure) {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ClaimsOf(%s) = %v, want %v", tc.figure, got, tc.want)
		}
	}
}
