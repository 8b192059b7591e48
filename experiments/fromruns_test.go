package experiments

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// TestFigureFromRuns draws the analysis figures from given runs: CB-RNN
// and Frozen-core runs join their groups, a run of another model is left
// out and listed, and figures that compare fixed-budget learning curves are
// refused. (The path from the authors' own run folders, through `cbrnn
// import-run`, is tested in cmd/cbrnn's TestAuthorsRoundTrip.)
func TestFigureFromRuns(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	dms, _ := e.Source.Describe(ctx, "dms")
	parity, _ := e.Source.Describe(ctx, "parity")
	var cfgs []trainer.Config
	for _, gd := range []struct {
		g    Group
		name string
	}{{CBRNN, "dms"}, {CBRNN, "parity"}, {FrozenCoreGroup, "dms"}, {RNNMatched, "dms"}} {
		d := dms
		if gd.name == "parity" {
			d = parity
		}
		cs, err := Configs(gd.g, d, tinyProfile, 2)
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, cs[0])
	}
	dirs, err := e.Ensure(ctx, cfgs)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "figs")
	for _, tc := range []struct {
		id       string
		runs     []*rundir.Dir
		want     []string // in the markdown
		leftOut  int
		wantFail string
	}{
		{"fig5", dirs, []string{"**DMS**", "**Parity**", "RNN (n=1)"}, 1, ""},   // the frozen-core run is not fig5's
		{"appG", dirs, []string{"| CB-RNN | RNN", "| Frozen-core | GC"}, 1, ""}, // the RNN run is not appG's
		{"appH", dirs[:2], []string{"readout trained"}, 0, ""},
		{"fig2a", dirs, nil, 0, `"fig2a" cannot be drawn from given runs`},
		{"fig5", dirs[3:], nil, 0, "CB ablation: no CB runs"},
		{"appH", dirs[2:3], nil, 0, "none of the runs fits its groups (CB-RNN = cb-rnn standard on dms/parity)"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			res, err := e.FigureFromRuns(ctx, tc.id, tinyProfile, tc.runs, out)
			if tc.wantFail != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantFail) {
					t.Errorf("error %v, want %q", err, tc.wantFail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(res.PNGs[0])
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil || img.Bounds().Dx() < 300 || filepath.Dir(res.PNGs[0]) != out {
				t.Errorf("%s: not a real PNG in %s (%v)", res.PNGs[0], out, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Markdown, w) {
					t.Errorf("markdown lacks %q:\n%s", w, res.Markdown)
				}
			}
			_, left, _ := strings.Cut(res.Markdown, "Left out")
			left, _, _ = strings.Cut(left, "\n") // the line that lists them
			if got := strings.Count(left, "; ") + 1; left == "" && tc.leftOut != 0 || left != "" && got != tc.leftOut {
				t.Errorf("left out %q, want %d runs", left, tc.leftOut)
			}
			if md, err := os.ReadFile(filepath.Join(out, tc.id+".md")); err != nil || !strings.Contains(string(md), "Drawn from given runs") {
				t.Errorf("%s.md: %v", tc.id, err)
			}
		})
	}
}
