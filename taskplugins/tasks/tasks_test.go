package tasks_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// trials turns channel ch of a batch into one []int sequence per trial, so
// the checks below read like the SPEC (x[M-N] == x[M-1]) rather than like
// the generators' strided indexing.
func trials(b *task.Batch, ch int) [][]int {
	out := make([][]int, b.B)
	for bi := range b.B {
		out[bi] = make([]int, b.T)
		for t := range b.T {
			out[bi][t] = int(b.At(t, bi, ch))
		}
	}
	return out
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

func dms(s []int, n int) int32 {
	m := len(s)
	if s[m-n] == s[m-1] {
		return 1
	}
	return 0
}

func parity(s []int, n int) int32 { return int32(sum(s[len(s)-n:]) % 2) }
func mod3(s []int, n int) int32   { return int32(sum(s[len(s)-n:]) % 3) }

// oddball re-derives the oddball label from the sequence alone: the N bits
// before the probe are the context; volatile iff transitions/max(1, N−1) >
// 0.35 (the authors' get_volatility_oddball_label).
func oddball(s []int, n int) int32 {
	m := len(s)
	ctx, probe := s[m-1-n:m-1], s[m-1]
	trans := 0
	for k := 1; k < n; k++ {
		if ctx[k] != ctx[k-1] {
			trans++
		}
	}
	expected := ctx[n-1]
	if float64(trans)/float64(max(1, n-1)) > 0.35 {
		expected = 1 - expected
	}
	if probe == expected {
		return 1
	}
	return 0
}

type check func(s []int, n int) int32

func TestLabelsAgainstIndependentCheck(t *testing.T) {
	cases := []struct {
		g      task.Generator
		heads  []check
		params map[string]string
	}{
		{tasks.DMS, []check{dms}, nil},
		{tasks.Parity, []check{parity}, nil},
		{tasks.Mod3, []check{mod3}, nil},
		{tasks.Oddball, []check{oddball}, nil},
		{tasks.OddballStructured, []check{oddball}, nil},
		{tasks.DMSFixed, []check{dms}, nil},
		{tasks.ParityFixed, []check{parity}, map[string]string{"pool_seed": "7"}},
		{tasks.Multitask, []check{dms, parity}, nil},
		{tasks.Switch, []check{dms, parity}, map[string]string{"active": "parity"}},
	}
	for _, c := range cases {
		t.Run(c.g.Desc.Name, func(t *testing.T) {
			for _, n := range []int{max(1, c.g.Desc.MinN), 2, 3, 7, 30} {
				for idx := range uint64(20) {
					r := task.Request{Task: c.g.Desc.Name, Params: c.params, N: n, B: 32, Seed: 11, Index: idx}
					b, err := c.g.Batch(r)
					if err != nil {
						t.Fatal(err)
					}
					if b.T < n+2 || b.T > 4*n+1 {
						t.Fatalf("%v: T=%d outside {N+2..4N+1}", r, b.T)
					}
					for _, v := range b.X {
						if v != 0 && v != 1 {
							t.Fatalf("%v: x has %v", r, v)
						}
					}
					for h, f := range c.heads {
						for bi, s := range trials(b, 0) {
							if want := f(s, n); b.Labels[h][bi] != want {
								t.Fatalf("%v head %d trial %d: label %d, independent check %d (x=%v)", r, h, bi, b.Labels[h][bi], want, s)
							}
						}
					}
				}
			}
		})
	}
}

// M is uniform on {N+2, …, 4N+1}: every value turns up, nothing else does.
func TestSeqLenRange(t *testing.T) {
	for _, g := range tasks.All {
		n := max(3, g.Desc.MinN)
		seen := map[int]int{}
		for idx := range uint64(600) {
			b, err := g.Batch(task.Request{N: n, B: 1, Index: idx})
			if err != nil {
				t.Fatal(err)
			}
			seen[b.T]++
		}
		for m := n + 2; m <= 4*n+1; m++ {
			if seen[m] == 0 {
				t.Errorf("%s: M=%d never drawn in 600 batches (%v)", g.Desc.Name, m, seen)
			}
			delete(seen, m)
		}
		if len(seen) != 0 {
			t.Errorf("%s: M outside the range: %v", g.Desc.Name, seen)
		}
	}
}

// Bits are Bernoulli(1/2) and labels balanced: within 5 standard errors.
// (The structured oddball's bits are not independent, so only its labels are
// checked: the probe matches with p_match = 1/2.)
func TestBalance(t *testing.T) {
	for _, c := range []struct {
		g     task.Generator
		label bool // check that label 1 has frequency 1/2
		bits  bool // check that bit 1 has frequency 1/2
	}{
		{tasks.DMS, true, true}, {tasks.Parity, true, true}, {tasks.Oddball, true, true},
		{tasks.OddballStructured, true, false},
		{tasks.DMSFixed, true, true}, {tasks.ParityFixed, true, true}, {tasks.Mod3, false, true},
	} {
		ones, bits, pos, labels := 0.0, 0.0, 0.0, 0.0
		for idx := range uint64(200) {
			b, err := c.g.Batch(task.Request{N: 10, B: 64, Index: idx, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range b.X {
				ones += float64(v)
			}
			bits += float64(len(b.X))
			for _, l := range b.Labels[0] {
				pos += float64(l)
			}
			labels += float64(b.B)
		}
		if p := ones / bits; c.bits && math.Abs(p-0.5) > 5*0.5/math.Sqrt(bits) {
			t.Errorf("%s: fraction of 1 bits %.4f over %.0f bits", c.g.Desc.Name, p, bits)
		}
		if p := pos / labels; c.label && math.Abs(p-0.5) > 5*0.5/math.Sqrt(labels) {
			t.Errorf("%s: fraction of label 1 %.4f over %.0f trials", c.g.Desc.Name, p, labels)
		}
	}
}

// Mod3 uses all three classes, roughly as the binomial window predicts.
func TestMod3Classes(t *testing.T) {
	var count [3]int
	for idx := range uint64(100) {
		b, err := tasks.Mod3.Batch(task.Request{N: 6, B: 64, Index: idx})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range b.Labels[0] {
			count[l]++
		}
	}
	for c, k := range count {
		if k < 1500 { // each class has probability ≈ 1/3 of 6400
			t.Errorf("class %d drawn %d times of 6400", c, k)
		}
	}
}

// Structured oddball contexts come in both regimes, and noise sometimes
// makes the observed regime differ from the generating one.
func TestOddballVolatility(t *testing.T) {
	n := 12
	volatile, stable := 0, 0
	for idx := range uint64(50) {
		b, err := tasks.OddballStructured.Batch(task.Request{N: n, B: 64, Index: idx})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range trials(b, 0) {
			ctx := s[len(s)-1-n : len(s)-1]
			trans := 0
			for k := 1; k < n; k++ {
				if ctx[k] != ctx[k-1] {
					trans++
				}
			}
			if float64(trans)/float64(n-1) > 0.35 {
				volatile++
			} else {
				stable++
			}
		}
	}
	if volatile < 1200 || stable < 1200 {
		t.Errorf("volatile %d, stable %d of 3200 contexts: want both near half", volatile, stable)
	}
}

func TestSwitchPulse(t *testing.T) {
	b, err := tasks.Switch.Batch(task.Request{N: 4, B: 8})
	if err != nil {
		t.Fatal(err)
	}
	for tt := range b.T {
		for bi := range b.B {
			want := float32(0)
			if tt < tasks.SwitchPulse {
				want = 1
			}
			if got := b.At(tt, bi, 1); got != want {
				t.Fatalf("pulse channel at t=%d trial %d = %v, want %v", tt, bi, got, want)
			}
		}
	}
	if _, err := tasks.Switch.Batch(task.Request{N: 4, B: 8, Params: map[string]string{"active": "mod3"}}); err == nil {
		t.Error("active=mod3 accepted")
	}
}

func batchHash(b *task.Batch) [32]byte {
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, int64(b.T))
	binary.Write(h, binary.LittleEndian, b.X)
	for _, l := range b.Labels {
		binary.Write(h, binary.LittleEndian, l)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func TestDeterministicAndDisjoint(t *testing.T) {
	for _, g := range tasks.All {
		seen := map[[32]byte]string{}
		for _, split := range []task.Split{task.Train, task.Test} {
			for idx := range uint64(150) {
				r := task.Request{N: 2, B: 64, Seed: 1, Index: idx, Split: split}
				b1, err := g.Batch(r)
				if err != nil {
					t.Fatal(err)
				}
				b2, _ := g.Batch(r)
				k := batchHash(b1)
				if k != batchHash(b2) {
					t.Fatalf("%s %v: two calls differ", g.Desc.Name, r)
				}
				if prev, dup := seen[k]; dup {
					t.Fatalf("%s: %v repeats %s", g.Desc.Name, r, prev)
				}
				seen[k] = r.String()
			}
		}
	}
}

func TestRequestChecks(t *testing.T) {
	cases := []struct {
		name string
		g    task.Generator
		r    task.Request
		want string
	}{
		{"N too small", tasks.DMS, task.Request{N: 1, B: 4}, "outside the supported range"},
		{"N too big for the pool", tasks.DMSFixed, task.Request{N: 1000, B: 4}, "outside the supported range"},
		{"zero batch", tasks.Parity, task.Request{N: 3, B: 0}, "batch size"},
		{"unknown param", tasks.Parity, task.Request{N: 3, B: 4, Params: map[string]string{"pool": "1"}}, `no parameter "pool"`},
		{"wrong task", tasks.Parity, task.Request{Task: "dms", N: 3, B: 4}, "sent to"},
		{"bad float", tasks.OddballStructured, task.Request{N: 3, B: 4, Params: map[string]string{"noise": "x"}}, `noise = "x" is not a number`},
		{"p_stable above 1", tasks.OddballStructured, task.Request{N: 3, B: 4, Params: map[string]string{"p_stable": "5"}}, `p_stable = "5" is outside its domain: a number in [0, 1]`},
		{"p_volatile NaN", tasks.OddballStructured, task.Request{N: 3, B: 4, Params: map[string]string{"p_volatile": "NaN"}}, `p_volatile = "NaN" is outside its domain: a number in [0, 1]`},
		{"negative noise", tasks.OddballStructured, task.Request{N: 3, B: 4, Params: map[string]string{"noise": "-1"}}, `noise = "-1" is outside its domain: a number in [0, 1]`},
		{"p_match Inf", tasks.OddballStructured, task.Request{N: 3, B: 4, Params: map[string]string{"p_match": "+Inf"}}, `p_match = "+Inf" is outside its domain: a number in [0, 1]`},
		{"prefix_prob above 1", tasks.OddballStructured, task.Request{N: 3, B: 4, Params: map[string]string{"prefix_prob": "1.5"}}, `prefix_prob = "1.5" is outside`},
		{"threshold above 1", tasks.Oddball, task.Request{N: 3, B: 4, Params: map[string]string{"threshold": "1.01"}}, `task oddball: parameter threshold = "1.01" is outside its domain: a number in [0, 1]`},
		{"oddball has no noise", tasks.Oddball, task.Request{N: 3, B: 4, Params: map[string]string{"noise": "0.1"}}, `no parameter "noise"`},
		{"pool seed not a number", tasks.DMSFixed, task.Request{N: 3, B: 4, Params: map[string]string{"pool_seed": "x"}}, `pool_seed = "x" is not an integer: an integer in [0, 4294967295]`},
		{"negative pool seed", tasks.ParityFixed, task.Request{N: 3, B: 4, Params: map[string]string{"pool_seed": "-1"}}, "task parity_fixed: parameter pool_seed"},
		{"pool seed past 32 bits", tasks.DMSFixed, task.Request{N: 3, B: 4, Params: map[string]string{"pool_seed": "4294967296"}}, "pool_seed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.g.Batch(c.r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
	// The largest N the pool allows works.
	if _, err := tasks.DMSFixed.Batch(task.Request{N: tasks.DMSFixed.Desc.MaxN, B: 2}); err != nil {
		t.Fatal(err)
	}
}

func TestDescriptionsValid(t *testing.T) {
	for _, g := range tasks.All {
		if err := g.Desc.CheckDescription(); err != nil {
			t.Error(err)
		}
		if lo, hi := g.Desc.TBounds(10); lo != 12 || hi != 41 {
			t.Errorf("%s: T bounds at N=10 are [%d, %d]", g.Desc.Name, lo, hi)
		}
	}
}

func TestLocal(t *testing.T) {
	l := tasks.NewLocal()
	var zero tasks.Local
	ctx := context.Background()
	for _, g := range tasks.All {
		d, err := zero.Describe(ctx, g.Desc.Name)
		if err != nil || d.Name != g.Desc.Name {
			t.Fatalf("Describe(%s) = %v, %v", g.Desc.Name, d.Name, err)
		}
		r := task.Request{Task: g.Desc.Name, N: 5, B: 3}
		b, err := l.Batch(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Validate(d, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Batch(ctx, task.Request{Task: "nope", N: 5, B: 3}); err == nil {
		t.Error("unknown task served")
	}
}
