package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMemoryDirection(t *testing.T) {
	// Class 0 around (3, 1), class 1 around (1, 1): direction (1, 0).
	states := [][]float64{{3, 1}, {3, 2}, {1, 1}, {1, 2}}
	d := MemoryDirection(states, []int32{0, 0, 1, 1})
	if !nearNaN(d[0], 1) || !nearNaN(d[1], 0) {
		t.Errorf("direction %v, want (1, 0)", d)
	}
	if MemoryDirection(states, []int32{0, 0, 0, 0}) != nil {
		t.Error("one class only: want nil")
	}
	if MemoryDirection([][]float64{{1, 1}, {1, 1}}, []int32{0, 1}) != nil {
		t.Error("equal centroids: want nil")
	}
}

func TestParityBookkeeping(t *testing.T) {
	bits := []int{1, 0, 1, 1, 0}
	// Windows of 3 ending at t: t=2: 1^0^1 = 0; t=3: 0^1^1 = 0; t=4: 1^1^0 = 0.
	for tt, want := range map[int]int{1: -1, 2: 0, 3: 0, 4: 0} {
		if got := WindowParity(bits, tt, 3); got != want {
			t.Errorf("window parity at %d = %d, want %d", tt, got, want)
		}
	}
	for g := range 8 {
		c, i, o := g>>2&1, g>>1&1, g&1
		if ParityGroup(c, i, o) != g || RequiredParity(g) != c^i^o {
			t.Errorf("group %d: ParityGroup/RequiredParity inconsistent", g)
		}
		same, other := SameNextParity(g), OtherNextParity(g)
		if len(same) != 3 || len(other) != 4 || slices.Contains(same, g) {
			t.Errorf("group %d: same %v other %v", g, same, other)
		}
		for _, k := range same {
			if RequiredParity(k) != RequiredParity(g) {
				t.Errorf("group %d: %d in Same has another parity", g, k)
			}
		}
	}
}

func TestParityReferenceAndScore(t *testing.T) {
	// Even states around (2, 0), odd around (0, 0): axis (1, 0), midpoint
	// (1, 0), half separation 1.
	states := [][]float64{{2, 1}, {2, -1}, {0, 1}, {0, -1}}
	a, ok := ParityReference(states, []int{0, 0, 1, 1})
	if !ok || !nearNaN(a.HalfSep, 1) || !nearNaN(a.Mid[0], 1) || !nearNaN(a.MHat[0], 1) {
		t.Fatalf("axis %+v ok %v", a, ok)
	}
	// (2, 5) sits on the even centroid's side: +1 if even is required, −1 if odd.
	if s := a.Score([]float64{2, 5}, 0); !nearNaN(s, 1) {
		t.Errorf("score even = %v, want 1", s)
	}
	if s := a.Score([]float64{2, 5}, 1); !nearNaN(s, -1) {
		t.Errorf("score odd = %v, want −1", s)
	}
}

func TestBorrowDonors(t *testing.T) {
	group := []int{0, 1, 2, 3, 4, 5, 6, 7, 0, 3, 5, 6}
	d1 := BorrowDonors(group, SameNextParity, rand.New(rand.NewPCG(1, 0)))
	d2 := BorrowDonors(group, SameNextParity, rand.New(rand.NewPCG(1, 0)))
	if !slices.Equal(d1, d2) {
		t.Error("not reproducible")
	}
	for i, d := range d1 {
		if d < 0 || group[d] == group[i] || RequiredParity(group[d]) != RequiredParity(group[i]) {
			t.Errorf("recipient %d (group %d) got donor %d (group %d)", i, group[i], d, group[d])
		}
	}
	// No donor available: −1.
	if d := BorrowDonors([]int{0, 0}, func(int) []int { return []int{7} }, rand.New(rand.NewPCG(1, 0))); d[0] != -1 {
		t.Errorf("donor %v without candidates", d)
	}
}

func TestOLSSlope(t *testing.T) {
	if s := OLSSlope([]float64{5, 6, 7, 8}, []float64{1, 1.5, 2, 2.5}); !nearNaN(s, 0.5) {
		t.Errorf("slope %v, want 0.5", s)
	}
	if s := OLSSlope([]float64{5}, []float64{1}); !math.IsNaN(s) {
		t.Errorf("slope of one point %v, want NaN", s)
	}
}

// smallCell is a hand-sized Elman cell with a two-layer ReLU CB that sees
// [h, x].
func smallCell(r *rand.Rand) *ElmanCell {
	H, I, G := 3, 1, 4
	rnd := func(n int, s float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = s * r.NormFloat64()
		}
		return v
	}
	return &ElmanCell{H: H, I: I, Alpha: 1 / 1.5, Slope: 0.01,
		Wx: rnd(H*I, 1), Bx: rnd(H, 0.3), Wh: rnd(H*H, 0.6), Bh: rnd(H, 0.3),
		CB: &FeedforwardCB{SeesHidden: true, SeesInput: true, Layers: []DenseLayer{
			{In: H + I, Out: G, W: rnd(G*(H+I), 1), B: rnd(G, 0.2), Act: "relu"},
			{In: G, Out: H, W: rnd(H*G, 0.7), B: rnd(H, 0.2), Act: "linear"},
		}}}
}

// TestJVPHandWorked: one unit, no CB: h' = (1−α)h + α·LeakyReLU(w_x x + w_h h),
// so dh'/dh = (1−α) + α·w_h on the positive side, (1−α) + α·0.01·w_h on the
// negative side.
func TestJVPHandWorked(t *testing.T) {
	c := &ElmanCell{H: 1, I: 1, Alpha: 0.5, Slope: 0.01, Wx: []float64{1}, Bx: []float64{0}, Wh: []float64{2}, Bh: []float64{0}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if j := c.JVP([]float64{1}, []float64{0}, []float64{1}, true)[0]; !nearNaN(j, 0.5+0.5*2) {
		t.Errorf("positive side: %v, want 1.5", j)
	}
	if j := c.JVP([]float64{-1}, []float64{0}, []float64{1}, true)[0]; !nearNaN(j, 0.5+0.5*0.01*2) {
		t.Errorf("negative side: %v, want 0.51", j)
	}
	if h := c.Step([]float64{1}, []float64{1}, []float64{0.5})[0]; !nearNaN(h, 0.5*1+0.5*(1+2+0.5)) {
		t.Errorf("step = %v, want 2.25", h)
	}
}

// TestJVPFiniteDifferences checks the full and CB-detached JVPs against
// central differences of the float64 step (tolerance 1e-6 relative; the
// points are drawn away from the ReLU kinks by the random state).
func TestJVPFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	c := smallCell(r)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	const eps = 1e-6
	for trial := range 20 {
		h := []float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		x := []float64{float64(trial % 2)}
		v := []float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		plus, minus := make([]float64, 3), make([]float64, 3)
		for i := range h {
			plus[i], minus[i] = h[i]+eps*v[i], h[i]-eps*v[i]
		}
		b := c.CBOutput(h, x)
		for _, through := range []bool{true, false} {
			var fp, fm []float64
			if through {
				fp, fm = c.Step(plus, x, c.CBOutput(plus, x)), c.Step(minus, x, c.CBOutput(minus, x))
			} else {
				fp, fm = c.Step(plus, x, b), c.Step(minus, x, b)
			}
			j := c.JVP(h, x, v, through)
			for i := range j {
				fd := (fp[i] - fm[i]) / (2 * eps)
				if math.Abs(fd-j[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
					t.Errorf("trial %d through=%v unit %d: JVP %v, finite difference %v", trial, through, i, j[i], fd)
				}
			}
		}
		// Without the CB derivative: J_det·v = (1−α)v + α·D·W_h·v.
		jd := c.JVP(h, x, v, false)
		pre := c.corePre(h, x)
		wv := matVec(c.Wh, 3, 3, v, nil)
		for i := range jd {
			want := (1-c.Alpha)*v[i] + c.Alpha*dleaky(pre[i]+b[i], c.Slope)*wv[i]
			if math.Abs(jd[i]-want) > 1e-12 {
				t.Errorf("J_det formula: %v, want %v", jd[i], want)
			}
		}
	}
}
