package gomlxmodels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
)

// TestLayoutIndependence: a member's numbers (loss, gradient norm, weights
// and momentum after every step, test logits) are bit for bit those it gets
// alone, whatever shares its graph: K, the member groups, the executors,
// and the bucket its batch is padded to (its partners' lengths). At the
// paper's sizes, where the Go backend's kernel choice and the 128-term
// panels come into play, on both gradient paths, at batch sizes that are
// and are not multiples of 16.
func TestLayoutIndependence(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-size networks")
	}
	cases := []struct {
		name string
		c    Config
		B    int
		Ts   []int // per member; the bucket of the longest is shared
	}{
		{"cb-rnn_B32", paperCB, 32, []int{21, 9, 17, 30, 5, 26, 13, 24}},
		{"cb-rnn_B64", paperCB, 64, []int{11, 19, 7, 15, 8, 16}},
		{"cb-rnn_B40", paperCB, 40, []int{14, 6, 12, 9}},
		{"cb-rnn_B16", paperCB, 16, []int{14, 6, 12, 9}},
		{"rnn", MustBuild("rnn", Options{}), 32, []int{21, 9, 17, 30, 5}},
		{"gru", MustBuild("gru", Options{}), 32, []int{12, 20, 7, 16}},
		{"cb-gru", MustBuild("cb-gru", Options{}), 32, []int{12, 20, 7, 16}},
		{"aux-rnn-cb_autodiff", MustBuild("aux-rnn-cb", Options{}), 32, []int{12, 20, 7, 16}},
		{"seed-sketch_per_step", MustBuild("seed-sketch", Options{Inputs: 1, Heads: []int{2}}), 32, []int{12, 20, 7}},
	}
	be := backendForTest(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, K := tc.c, len(tc.Ts)
			rng := rand.New(rand.NewPCG(14, uint64(K)))
			ws := make([]Weights, K)
			for k := range ws {
				ws[k] = InitWeights(c, rng)
			}
			perStep := c.Readout.PerStep
			var steps []StepInput
			for s := range 3 {
				Ts := slices.Clone(tc.Ts)
				Ts[s%K] = max(1, Ts[s%K]-s) // lengths change from step to step
				in := randomInput(c, tc.B, Ts, rng)
				if perStep {
					in = perStepLabels(c, in, rng)
				}
				steps = append(steps, in)
			}
			opt := Optim{LR: 0.05, Momentum: 0.5, ClipNorm: 0.5, Nesterov: true}

			// Each member alone: the reference.
			type result struct {
				loss, norm []float64
				w, m       Weights
				logits     [][]float32
			}
			alone := make([]result, K)
			for k := range K {
				e := newEnsemble(t, c, ws[k])
				for _, in := range steps {
					o, err := e.TrainStep(memberInput(in, k), opt)
					if err != nil {
						t.Fatal(err)
					}
					alone[k].loss = append(alone[k].loss, o.Loss[0])
					alone[k].norm = append(alone[k].norm, o.GradNorm[0])
				}
				alone[k].w, _ = e.Weights(0)
				alone[k].m, _ = e.Momentum(0)
				ev, err := e.Eval(EvalInput{Input: memberInput(steps[0], k).Input, PerStep: perStep})
				if err != nil {
					t.Fatal(err)
				}
				alone[k].logits = ev.Logits[0]
			}

			layouts := []struct {
				name      string
				executors int
				groupMax  int
			}{
				{"one executor, one group", 1, 0},
				{"one executor, groups of 3", 1, 3},
				{"two executors", 2, 0},
				{"three executors", 3, 0},
			}
			for _, l := range layouts {
				bs := make([]compute.Backend, l.executors)
				for i := range bs {
					bs[i] = be
				}
				if l.executors > 1 {
					var err error
					if bs, err = NewExecutors(be, l.executors); err != nil {
						t.Fatal(err)
					}
				}
				e, err := NewEnsembleOn(bs, c, ws)
				if err != nil {
					t.Fatal(err)
				}
				e.groupMax = l.groupMax
				for _, p := range e.parts {
					p.groupMax = l.groupMax
				}
				var bad []string
				for s, in := range steps {
					o, err := e.TrainStep(in, opt)
					if err != nil {
						t.Fatal(err)
					}
					for k := range K {
						if o.Loss[k] != alone[k].loss[s] || o.GradNorm[k] != alone[k].norm[s] {
							bad = append(bad, fmt.Sprintf("step %d member %d: loss %v norm %v, alone %v %v",
								s, k, o.Loss[k], o.GradNorm[k], alone[k].loss[s], alone[k].norm[s]))
						}
					}
				}
				ev, err := e.Eval(EvalInput{Input: steps[0].Input, PerStep: perStep})
				if err != nil {
					t.Fatal(err)
				}
				for k := range K {
					w, _ := e.Weights(k)
					m, _ := e.Momentum(k)
					for _, p := range c.Params() {
						if !slices.Equal(w[p.Name], alone[k].w[p.Name]) || !slices.Equal(m[p.Name], alone[k].m[p.Name]) {
							bad = append(bad, fmt.Sprintf("member %d: %s (or its momentum) differs", k, p.Name))
						}
					}
					for h := range ev.Logits[k] {
						if !slices.Equal(ev.Logits[k][h], alone[k].logits[h]) {
							bad = append(bad, fmt.Sprintf("member %d: test logits of head %d differ", k, h))
						}
					}
				}
				if len(bad) > 0 {
					t.Errorf("%s (%s): %d differences from the members alone, e.g. %s", l.name, e.Layout(), len(bad),
						strings.Join(bad[:min(4, len(bad))], "; "))
				}
			}
		})
	}
}

// TestExecutors: NewExecutors gives single-threaded Go backends; a spread
// ensemble routes members, refuses bad input, and reports its layout.
func TestExecutors(t *testing.T) {
	be := backendForTest(t)
	bs, err := NewExecutors(be, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0] == bs[1] {
		t.Fatalf("NewExecutors(go, 2) = %v", bs)
	}
	for _, b := range bs {
		if !strings.Contains(b.Description(), "parallelism=1") {
			t.Errorf("executor backend %q is not single-threaded", b.Description())
		}
	}
	c := smallElmanCB
	rng := rand.New(rand.NewPCG(1, 1))
	ws := []Weights{InitWeights(c, rng), InitWeights(c, rng), InitWeights(c, rng)}
	e, err := NewEnsembleOn(bs, c, ws)
	if err != nil {
		t.Fatal(err)
	}
	if e.K() != 3 || e.Executors() != 2 {
		t.Errorf("K %d, executors %d; want 3 and 2", e.K(), e.Executors())
	}
	if l := e.Layout(); !strings.Contains(l, "2 executor(s) × members [2 1]") {
		t.Errorf("layout %q", l)
	}
	for k, w := range ws {
		got, err := e.Weights(k)
		if err != nil {
			t.Fatal(err)
		}
		closeWeights(t, fmt.Sprintf("member %d", k), got, w, 0)
	}
	if _, err := e.Weights(3); err == nil {
		t.Error("member 3 of 3 accepted")
	}
	in := randomInput(c, 4, []int{5, 6}, rng)
	if _, err := e.TrainStep(in, PaperOptim()); err == nil || !strings.Contains(err.Error(), "ensemble has 3") {
		t.Errorf("2 members' input for 3: %v", err)
	}
	in = randomInput(c, 4, []int{5, 6, 7}, rng)
	in.HeadWeight = [][]float32{{1}}
	if _, err := e.TrainStep(in, PaperOptim()); err == nil || !strings.Contains(err.Error(), "HeadWeight") {
		t.Errorf("HeadWeight for 1 member of 3: %v", err)
	}
	if _, err := NewEnsembleOn(bs, c, []Weights{ws[0], {}}); err == nil || !strings.Contains(err.Error(), "member 1") {
		t.Errorf("bad member 1: %v", err)
	}
	for _, tc := range []struct{ K, cores, n, threads int }{{8, 2, 2, 1}, {8, 16, 8, 1}, {1, 2, 1, 2}, {5, 1, 1, 1}} {
		bs, err := ExecutorsFor(be, tc.K, tc.cores)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("parallelism=%d", tc.threads); len(bs) != tc.n || !strings.Contains(bs[0].Description(), want) {
			t.Errorf("ExecutorsFor(go, K=%d, %d cores): %d executors (%s), want %d with %s", tc.K, tc.cores, len(bs), bs[0].Description(), tc.n, want)
		}
	}
}
