package examplefig_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cbrnn/cbrnn/experiments"
	_ "github.com/cbrnn/cbrnn/experiments/examplefig" // registers "dms-curves"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Draw a registered figure from cohorts at hand: here two made-up cohorts of
// two runs each, shaped as trained ones (N per epoch). `cbrnn figures` does
// the same with the cohorts of a profile's cached runs, and
// experiments.CohortFromDirs makes cohorts from any run directories.
func Example_drawFigure() {
	f, err := experiments.LookupFigure("dms-curves")
	if err != nil {
		fmt.Println(err)
		return
	}
	dms := task.Description{Name: "dms"}
	p := experiments.Profile{Name: "example", Epochs: 4}
	// cs[need][task][group], as f.Needs declares them: one need, one task,
	// two groups.
	cs := [][][]*experiments.Cohort{{{
		{Group: experiments.CBRNN, Task: dms, Label: "CB-RNN", Budget: 4, Curves: [][]float64{{2, 3, 4, 5}, {2, 3, 3}}},
		{Group: experiments.RNNMatched, Task: dms, Label: "RNN-202", Budget: 4, Curves: [][]float64{{2, 2, 3, 3}, {2, 3, 3, 4}}},
	}}}
	d, err := f.Draw(context.Background(), nil, p, cs)
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "cbrnn-figure-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if _, err := d.Save(dir, f); err != nil {
		fmt.Println(err)
		return
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, fi := range files {
		fmt.Println(fi.Name())
	}
	md, err := os.ReadFile(filepath.Join(dir, "dms-curves.md"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Split(string(md), "\n")[0])
	// Output:
	// dms-curves.md
	// dms-curves.png
	// dms-curves.svg
	// # N-DMS: CB-RNN vs parameter-matched RNN
}
