package trainer

import (
	"context"
	"fmt"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// testPass is one stream of an epoch's test batches and the heads scored on
// it. Every curriculum tests once per epoch at the run's N, except the
// continual one, which tests every task of its plan on its own batches at
// its own N (tasks/continual.py: _eval_all).
type testPass struct {
	N      int
	Params map[string]string
	Heads  []bool
}

func (cu *curriculum) testPasses(s State) []testPass {
	n := len(cu.desc.Heads)
	if cu.kind == Continual {
		out := make([]testPass, 0, len(cu.planHeads))
		for _, h := range cu.planHeads {
			as := s
			as.Active = h
			heads := make([]bool, n)
			heads[h] = true
			out = append(out, testPass{N: s.Continual.Tasks[h].N, Params: cu.requestParams(as), Heads: heads})
		}
		return out
	}
	all := make([]bool, n)
	for h := range all {
		all[h] = true
	}
	return []testPass{{N: s.N, Params: cu.requestParams(s), Heads: all}}
}

// passes is how many streams a member draws for a split in an epoch.
func (m *member) passes(split task.Split) int {
	if split == task.Test {
		return len(m.cu.testPasses(m.state))
	}
	return 1
}

// batchIndex is the position of a batch in its run's stream of one split:
// epoch-major, then pass, then step. With one pass it is epoch·steps + step,
// the index of every curriculum but the continual one.
func batchIndex(epoch, pass, passes, steps, step int) uint64 {
	return uint64((epoch*passes+pass)*steps + step)
}

// testEpoch runs every active member's test passes of one epoch and returns
// each member's test accuracy (%) per head: the mean over the pass's batches
// of the percentage correct, from the pass that scores the head. The test
// batches follow the epoch's steps training batches, pass after pass, in one
// count: a stop at a batch boundary saves there with the sums so far (a's
// correct), and an epoch that resumed there (a.from) starts with that batch.
func testEpoch(ctx context.Context, ens *gm.Ensemble, ms []*member, opt Options, steps, testSteps int, a *sums) ([][]float64, error) {
	cfg := ens.Config()
	b := ms[0].run.Config.Batch
	perStep := ms[0].cu.desc.Labels == task.PerStep
	nHeads := len(cfg.Readout.Heads)
	K := len(ms)
	passes := make([][]testPass, K)
	most := 0
	for k, m := range ms {
		if !m.state.Done {
			passes[k] = m.cu.testPasses(m.state)
			most = max(most, len(passes[k]))
		}
	}
	correct := a.correct // sums of per-batch accuracy fractions, restored on resume
	first := max(a.from-steps, 0)
	cbOn := make([]bool, K)
	for k := range cbOn {
		cbOn[k] = true
	}
	for p := range most {
		from := first - p*testSteps // the pass's first batch to run
		if from >= testSteps {
			continue // done before the stop this epoch resumed from
		}
		from = max(from, 0)
		ss := make([]*task.Stream, K)
		for k, m := range ms {
			if p >= len(passes[k]) {
				continue // a finished run, or one with fewer passes: dummy input
			}
			pass := passes[k][p]
			reqs := make([]task.Request, testSteps-from)
			for i := range reqs {
				reqs[i] = task.Request{
					Task: m.run.Config.Task, Params: pass.Params, N: pass.N, B: b, Seed: m.run.Config.Seed,
					Index: batchIndex(m.state.Epoch, p, len(passes[k]), testSteps, from+i), Split: task.Test,
				}
			}
			ss[k] = task.Prefetch(ctx, opt.Source, reqs, opt.Prefetch)
		}
		err := func() error {
			defer closeAll(ss)
			for s := from; s < testSteps; s++ {
				in, labels, err := input(ss, ms, task.Test, s, p, b, cfg)
				if err := stopAt(ctx, err, ens, ms, steps+p*testSteps+s, a); err != nil {
					return err
				}
				out, err := ens.Eval(gm.EvalInput{Input: in, CBOn: cbOn, PerStep: perStep})
				if err != nil {
					return fmt.Errorf("test step %d: %w", s, err)
				}
				for k := range ms {
					if ss[k] == nil {
						continue
					}
					for h, on := range passes[k][p].Heads {
						if on {
							// Per-step labels: the accuracy over every step and trial.
							correct[k][h] += gm.Accuracy(out.Logits[k][h], cfg.Readout.Heads[h], labels[k][h])
							a.testLoss[k] += gm.CrossEntropy(out.Logits[k][h], cfg.Readout.Heads[h], labels[k][h])
							a.testLossN[k]++
						}
					}
				}
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
	}
	accs := make([][]float64, K)
	for k := range correct {
		accs[k] = make([]float64, nHeads)
		for h := range correct[k] {
			accs[k][h] = 100 * correct[k][h] / float64(testSteps)
		}
	}
	return accs, nil
}
