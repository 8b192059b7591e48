package experiments

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/trainer"
)

// fakeSwitchRun writes a switching run's record: the active task advances
// one N every `every` epochs (jittered), switching at multiples of 5.
func fakeSwitchRun(t *testing.T, dir string, every int, seed uint64, epochs int) *rundir.Dir {
	t.Helper()
	d, err := rundir.Create(dir, map[string]any{"fake": dir})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	n, active, left := 2, 0, every
	tasks := []string{"dms", "parity"}
	for ep := 1; ep <= epochs; ep++ {
		st := trainer.EpochStats{Epoch: ep, N: n, Active: tasks[active]}
		left--
		if left <= 0 {
			st.Solved = true
			n++
			if n%5 == 0 {
				active = 1 - active
			}
			left = every + r.IntN(3)
		}
		if err := d.AppendStats(st); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// TestSwitchFiguresFromRecords reads switching records from run directories
// and draws the authors' two switching figures; the table holds the
// switches and the adaptation of each group. The picture is left in
// $CBRNN_TEST_OUT when set, for a look.
func TestSwitchFiguresFromRecords(t *testing.T) {
	root := t.TempDir()
	desc := task.Description{Name: "switch", Heads: []int{2, 2}, HeadNames: []string{"dms", "parity"}}
	var cs []*Cohort
	for gi, g := range []Group{CBRNN, RNNMatched} {
		c := &Cohort{Group: g, Task: desc, Label: g.Label}
		for s := range 3 {
			c.Dirs = append(c.Dirs, fakeSwitchRun(t, filepath.Join(root, fmt.Sprintf("%d-%d", gi, s)), 6+4*gi, uint64(s+1), 120))
		}
		cs = append(cs, c)
	}
	tbl, err := SwitchTable(cs)
	if err != nil {
		t.Fatal(err)
	}
	r0 := tbl.Rows[0].Runs[0]
	if len(r0.EpochsToSwitch) == 0 || r0.Total == 0 || tbl.GlobalMax < 10 {
		t.Fatalf("switching metrics from records: %+v (global max %v)", r0, tbl.GlobalMax)
	}
	md := SwitchMarkdown("switching", tbl)
	if !strings.Contains(md, "epochs to switch 1") || !strings.Contains(md, "CB-RNN | 3 |") {
		t.Errorf("table:\n%s", md)
	}
	global, err := SwitchGlobalPanel("(c) Task switching", cs, 650)
	if err != nil {
		t.Fatal(err)
	}
	perTask, err := SwitchTaskPanels(cs, 650)
	if err != nil || len(perTask) != 2 {
		t.Fatalf("per-task panels: %d, %v", len(perTask), err)
	}
	out := os.Getenv("CBRNN_TEST_OUT")
	if out == "" {
		out = t.TempDir()
	}
	if err := plots.Save(plots.Grid([][]*plot.Plot{append([]*plot.Plot{global}, perTask...)}, 16, 4.4), filepath.Join(out, "switching")); err != nil {
		t.Fatal(err)
	}
	// A run without an active task is refused with a clear error.
	plain, _ := rundir.Create(filepath.Join(root, "plain"), map[string]any{"plain": 1})
	_ = plain.AppendStats(trainer.EpochStats{Epoch: 1, N: 2})
	if _, err := SwitchRun(plain); err == nil || !strings.Contains(err.Error(), "not a task-switching run") {
		t.Errorf("plain run: %v", err)
	}
}
