package suggest

import "testing"

func TestUnknown(t *testing.T) {
	tasks := []string{"dms", "mod3", "parity", "switch"}
	for _, c := range []struct {
		kind, name string
		known      []string
		want       string
	}{
		{"task", "partiy", tasks, `unknown task "partiy": did you mean parity? (known: dms, mod3, parity, switch)`},
		{"task", "DMS", tasks, `unknown task "DMS": did you mean dms? (known: dms, mod3, parity, switch)`},
		{"task", "zzzzzz", tasks, `unknown task "zzzzzz" (known: dms, mod3, parity, switch)`},
		{"model", "elmn", []string{"elman", "gru"}, `unknown model "elmn": did you mean elman? (known: elman, gru)`},
		{"figure", "fig2", []string{"fig2a", "fig2b", "fig3"}, `unknown figure "fig2": did you mean fig2a? (known: fig2a, fig2b, fig3)`},
		{"task", "x", nil, `unknown task "x" (known: )`},
	} {
		if got := Unknown(c.kind, c.name, c.known).Error(); got != c.want {
			t.Errorf("Unknown(%q, %q):\n got %s\nwant %s", c.kind, c.name, got, c.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"partiy", "parity", 2}, {"kitten", "sitting", 3}, {"é", "e", 1}} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
