package examplefig

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// TestREADMEExample keeps README.md's "Adding a figure" block identical to
// this package's file.
func TestREADMEExample(t *testing.T) {
	src, err := os.ReadFile("dms_curves.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```") {
		t.Error("README.md's \"Adding a figure\" block differs from experiments/examplefig/dms_curves.go")
	}
}

// TestDrawExample registers the example, draws it from synthetic cohorts
// (curves made up here, shaped as a trained cohort's) and saves it.
func TestDrawExample(t *testing.T) {
	if !slices.Contains(experiments.IDs(), "dms-curves") {
		t.Fatalf("the example is not registered: %v", experiments.IDs())
	}
	f, err := experiments.LookupFigure("dms-curves")
	if err != nil {
		t.Fatal(err)
	}
	p := experiments.Profile{Name: "test", Epochs: 4}
	dms := task.Description{Name: "dms"}
	cs := [][][]*experiments.Cohort{{{
		{Group: experiments.CBRNN, Task: dms, Label: "CB-RNN", Budget: 4, Curves: [][]float64{{2, 3, 4, 5}, {2, 3, 3}}},
		{Group: experiments.RNNMatched, Task: dms, Label: "RNN-202", Budget: 4, Curves: [][]float64{{2, 2, 3, 3}, {2, 3, 3, 4}}},
	}}}
	d, err := f.Draw(context.Background(), nil, p, cs)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Save(t.TempDir(), f)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(res.PNGs[0]); err != nil || fi.Size() < 1000 {
		t.Errorf("no real PNG at %s (%v)", res.PNGs[0], err)
	}
	// The run that stopped at N = 3 after three epochs is padded to the
	// budget: its mean N is 2.75 (not 2.67), the other's 3.5, so the
	// group's mean N is 3.12 ± 0.37; max and final N are 5 and 3.
	for _, want := range []string{"| group | n | max N |", "| CB-RNN | 2 | 4.00 ± 1.00 | 4.00 ± 1.00 | 3.12 ± 0.37 |", "| RNN-202 | 2 | 3.50 ± 0.50 |"} {
		if !strings.Contains(res.Markdown, want) {
			t.Errorf("markdown lacks %q:\n%s", want, res.Markdown)
		}
	}
}
