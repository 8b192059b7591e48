package trainer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// The per-task-CB model (one cerebellar module per task) trains through
// autodiff in the continual curriculum, standard and frozen-core: across a
// parity epoch, DMS's module and head stay exactly as they were, parity's
// module learns, and under frozen-core (core frozen at DMS's first
// advance) the recurrent weights stay too. The same model trains in the
// multitask curriculum, both modules learning together.
func TestPerTaskCBContinual(t *testing.T) {
	for _, regime := range []string{Standard, FrozenCore} {
		t.Run(regime, func(t *testing.T) {
			src := switchFake()
			c := fakeConfig(2, 6)
			c.Model = gm.MustBuild(gm.PerTaskModel, gm.Options{Hidden: 8, GC: 16, PC: 4, Inputs: 2, Heads: []int{2, 2}})
			c.ModelName = gm.PerTaskModel
			c.Task, c.Regime = "fakeswitch", regime
			c.Curricula = Curricula{Curriculum: Continual, Plan: "dms,parity,dms", EpochsPerPhase: 3}
			r := trainFake(t, c, src, t.TempDir())
			if st := stats(t, r.Dir); len(st) != 6 || st[3].Active != "parity" {
				t.Fatalf("%d epochs, epoch 4 trains %q: want 6, parity", len(st), st[min(3, len(st)-1)].Active)
			}
			load := func(name string) gm.Weights {
				ts, _, err := r.Dir.LoadNamedCheckpoint(name)
				if err != nil {
					t.Fatal(err)
				}
				w, err := FromTensors(c.Model, ts, "")
				if err != nil {
					t.Fatal(err)
				}
				return w
			}
			// dms-ep0003: the end of phase 0; parity-ep0004: one parity epoch later.
			end0, in1 := load("dms-ep0003-N004"), load("parity-ep0004-N002")
			for name := range end0 {
				same := slices.Equal(end0[name], in1[name])
				idle := strings.HasPrefix(name, "cbs.0.") || strings.HasPrefix(name, "heads.0.") ||
					(regime == FrozenCore && strings.HasPrefix(name, "hh."))
				if idle != same {
					t.Errorf("%s: unchanged across a parity epoch = %v, want %v", name, same, idle)
				}
			}
		})
	}
}

func TestPerTaskCBMultitask(t *testing.T) {
	for _, regime := range []string{Standard, FrozenCore} {
		t.Run(regime, func(t *testing.T) {
			src := newFake(2, func(task.Request, int, int, *rand.Rand) int32 { return 0 })
			c := fakeConfig(2, 3)
			c.Model = gm.MustBuild(gm.PerTaskModel, gm.Options{Hidden: 8, GC: 16, PC: 4, Heads: []int{2, 2}})
			c.ModelName = gm.PerTaskModel
			c.Regime = regime
			r := trainFake(t, c, src, t.TempDir())
			st := stats(t, r.Dir)
			if len(st) != 3 || st[len(st)-1].N <= c.StartN {
				t.Fatalf("%d epochs ending at N=%d: want 3 epochs and an advance", len(st), st[len(st)-1].N)
			}
			w0 := gm.InitWeights(c.Model, rand.New(rand.NewPCG(c.Seed, 0x5eed)))
			w := stateWeights(t, r)
			for _, name := range []string{"cbs.0.dcn.weight", "cbs.1.dcn.weight"} {
				if slices.Equal(w0[name], w[name]) {
					t.Errorf("%s never changed: both modules train in multitask", name)
				}
			}
		})
	}
}
