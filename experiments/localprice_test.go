package experiments

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestLearningCurve: the predicted N curve gives quick's CB-RNN its
// measured max N after 150 epochs of 40 (8.67 → N = 8 on DMS, 6 on parity),
// starts at StartN, levels off at the ceiling, and a fixed-N run stays at
// its N.
func TestLearningCurve(t *testing.T) {
	for _, tc := range []struct {
		c     trainer.Config
		epoch int
		want  int
	}{
		{trainer.Config{Task: "dms", StartN: 2, MaxN: 150, Steps: 40}, 0, 2},
		{trainer.Config{Task: "dms", StartN: 2, MaxN: 150, Steps: 40}, 150, 8},
		{trainer.Config{Task: "parity", StartN: 2, MaxN: 150, Steps: 40}, 150, 6},
		{trainer.Config{Task: "multitask", StartN: 2, MaxN: 150, Steps: 40}, 150, 8},
		{trainer.Config{Task: "dms", StartN: 2, MaxN: 150, Steps: 100}, 100000, costmodel.PaperCeilingN},
		{trainer.Config{Task: "dms", StartN: 2, MaxN: 5, Steps: 40}, 150, 5},
		{trainer.Config{Task: "dms", StartN: 2, MaxN: 150, Steps: 40, Regime: trainer.FixedN, FixedN: 12}, 3, 12},
	} {
		if got := LearningCurve(tc.c)(tc.epoch); got != tc.want {
			t.Errorf("%s %s epoch %d: N = %d, want %d", tc.c.Task, tc.c.Regime, tc.epoch, got, tc.want)
		}
	}
}

// TestPriceLocal: on quick's 85 runs of the paper's figures the local
// prediction prices QuickPriced (within 2 %), the calibration's premise; and the whole standard reproduction
// (training predicted, plus StandardDrawing) stays within 2 h 45 min.
func TestPriceLocal(t *testing.T) {
	e := testEnv(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	e.Root, e.Out = root, t.TempDir() // no finished runs: price every one
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join("testdata", "quick_runs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	golden := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		golden[strings.Fields(line)[0]] = true
	}
	ens, _, err := e.Pending(ctx, Profiles["quick"], nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var old [][]trainer.PlannedRun
	for _, runs := range ens {
		var keep []trainer.PlannedRun
		for _, r := range runs {
			if golden[filepath.Base(r.Path)] {
				keep = append(keep, r)
			}
		}
		if len(keep) > 0 {
			old = append(old, keep)
		}
	}
	tab, err := costmodel.LoadTable(filepath.Join(root, "bench", "costs", "go.json"))
	if err != nil {
		t.Fatal(err)
	}
	src := PlanSource{Env: e, Profile: Profiles["quick"]}
	q, err := PriceLocal(old, tab, func(task string) (costmodel.Lengths, error) { return src.Lengths(ctx, task) }, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("quick, 85 runs: %+v", q)
	if q.Runs != 85 || q.Priced < QuickPriced*98/100 || q.Priced > QuickPriced*102/100 {
		t.Errorf("quick's 85 runs priced %s in %d runs, want 85 runs near QuickPriced = %s", q.Priced, q.Runs, QuickPriced)
	}
	all, err := e.PriceProfileLocal(ctx, Profiles["quick"], nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("quick, all: %+v", all)

	s, err := e.PriceProfileLocal(ctx, Profiles["standard"], nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("standard: %+v; whole %s", s, s.Predicted+StandardDrawing)
	if s.Predicted+StandardDrawing > 165*time.Minute {
		t.Errorf("standard predicted %s training + %s figures and notebooks, over 2 h 45 min", s.Predicted, StandardDrawing)
	}
}
