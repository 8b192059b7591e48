package task_test

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

var desc = task.Description{
	Name: "toy", Inputs: 1, Heads: []int{2}, MinN: 1, MaxN: 10,
	Params:  []task.Param{{Key: "a", Default: "1"}, {Key: "b", Default: "x"}},
	MinTMul: 1, MinTAdd: 2, MaxTMul: 4, MaxTAdd: 1,
}

// toy makes T = N+2 random bits labelled by the first bit; broken breaks
// the batch in a chosen way.
func toy(broken string) task.Generator {
	return task.Generator{Desc: desc, Generate: func(rng *rand.Rand, n, b int, _ map[string]string) ([]float32, int, [][]int32, error) {
		t := n + 2
		x := make([]float32, t*b)
		l := make([]int32, b)
		for i := range x {
			x[i] = float32(rng.IntN(2))
		}
		for i := range l {
			l[i] = int32(x[i])
		}
		switch broken {
		case "short":
			x = x[1:]
		case "label":
			l[0] = 2
		}
		return x, t, [][]int32{l}, nil
	}}
}

func TestSeedKeyCoversEveryField(t *testing.T) {
	base := task.Request{N: 3, B: 4, Seed: 5, Index: 6, Split: task.Train}
	p := map[string]string{"a": "1", "b": "x"}
	k0 := task.SeedKey("toy", p, base)
	variants := map[string]func() [32]byte{
		"name":  func() [32]byte { return task.SeedKey("toy2", p, base) },
		"param": func() [32]byte { return task.SeedKey("toy", map[string]string{"a": "2", "b": "x"}, base) },
		"N":     func() [32]byte { r := base; r.N++; return task.SeedKey("toy", p, r) },
		"B":     func() [32]byte { r := base; r.B++; return task.SeedKey("toy", p, r) },
		"seed":  func() [32]byte { r := base; r.Seed++; return task.SeedKey("toy", p, r) },
		"index": func() [32]byte { r := base; r.Index++; return task.SeedKey("toy", p, r) },
		"split": func() [32]byte { r := base; r.Split = task.Test; return task.SeedKey("toy", p, r) },
		// Length prefixes keep "a"+"1x" apart from "a1"+"x".
		"boundary": func() [32]byte { return task.SeedKey("toy", map[string]string{"a1": "", "b": "x"}, base) },
	}
	for name, f := range variants {
		if f() == k0 {
			t.Errorf("changing %s does not change the seed", name)
		}
	}
	// The request's Task does not enter the key: the generator's name does.
	r := base
	r.Task = "other"
	if task.SeedKey("toy", p, r) != k0 {
		t.Error("Request.Task changed the key")
	}
}

func TestDefaultsAreTheSameBatch(t *testing.T) {
	g := toy("")
	a, err := g.Batch(task.Request{N: 3, B: 4})
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Batch(task.Request{N: 3, B: 4, Params: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("explicit default gives another batch")
	}
	c, _ := g.Batch(task.Request{N: 3, B: 4, Params: map[string]string{"a": "2"}})
	if reflect.DeepEqual(a.X, c.X) {
		t.Error("a parameter value does not change the batch")
	}
}

func TestGeneratorBatchValidates(t *testing.T) {
	for _, c := range []struct{ broken, want string }{
		{"short", "x has 19 values"},
		{"label", "outside [0, 2)"},
	} {
		_, err := toy(c.broken).Batch(task.Request{N: 3, B: 4})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "toy generated a malformed batch") {
			t.Errorf("%s: error %v", c.broken, err)
		}
	}
}

func TestCheckDescription(t *testing.T) {
	if err := desc.CheckDescription(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*task.Description){
		"no name":      func(d *task.Description) { d.Name = "" },
		"no inputs":    func(d *task.Description) { d.Inputs = 0 },
		"no heads":     func(d *task.Description) { d.Heads = nil },
		"1-class head": func(d *task.Description) { d.Heads = []int{1} },
		"empty N":      func(d *task.Description) { d.MaxN = 0 },
		"head names":   func(d *task.Description) { d.HeadNames = []string{"a", "b"} },
		"T bounds":     func(d *task.Description) { d.MaxTMul, d.MaxTAdd = 0, 0 },
	} {
		d := desc
		mut(&d)
		if d.CheckDescription() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
