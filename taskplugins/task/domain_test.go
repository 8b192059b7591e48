package task_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// domainDesc is a task whose parameters declare their domains, the way the
// paper's tasks do (oddball: probabilities in [0, 1]).
var domainDesc = task.Description{
	Name: "dom", Inputs: 1, Heads: []int{2}, MinN: 1, MaxN: 10,
	Params: []task.Param{
		{Key: "p", Default: "0.12", Help: "a flip probability", Domain: task.FloatIn(0, 1)},
		{Key: "noise", Default: "0.05", Domain: task.FloatIn(0, 1)},
		{Key: "k", Default: "3", Domain: task.IntIn(1, 9)},
		{Key: "mode", Default: "a", Domain: task.OneOf("a", "b")},
		{Key: "seed", Default: "0"}, // any string
	},
	MinTMul: 1, MinTAdd: 2, MaxTMul: 4, MaxTAdd: 1,
}

// Out-of-domain parameters (oddball's p_stable=5, NaN,
// noise=-1) are refused with the parameter, the value and the domain.
func TestParamDomains(t *testing.T) {
	if err := domainDesc.CheckDescription(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		params map[string]string
		want   string // "" = accepted
	}{
		{nil, ""},
		{map[string]string{"p": "1", "noise": "0", "k": "9", "mode": "b", "seed": "anything"}, ""},
		{map[string]string{"p": "1e-3"}, ""},
		{map[string]string{"p": "5"}, `task dom: parameter p = "5" is outside its domain: a number in [0, 1] (a flip probability)`},
		{map[string]string{"p": "NaN"}, `parameter p = "NaN" is outside its domain: a number in [0, 1]`},
		{map[string]string{"p": "+Inf"}, `parameter p = "+Inf" is outside its domain`},
		{map[string]string{"noise": "-1"}, `parameter noise = "-1" is outside its domain: a number in [0, 1]`},
		{map[string]string{"noise": "often"}, `parameter noise = "often" is not a number: a number in [0, 1]`},
		{map[string]string{"k": "2.5"}, `parameter k = "2.5" is not an integer: an integer in [1, 9]`},
		{map[string]string{"k": "10"}, `parameter k = "10" is outside its domain: an integer in [1, 9]`},
		{map[string]string{"mode": "c"}, `parameter mode = "c" is outside its domain: one of "a", "b"`},
		{map[string]string{"q": "1"}, `has no parameter "q"`},
	} {
		_, err := domainDesc.ResolveParams(c.params)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v refused: %v", c.params, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one containing %q", c.params, err, c.want)
		}
	}
}

// A declaration whose default lies outside its own domain is refused, so
// a task cannot ship a default that every request would reject.
func TestDomainOfDefaults(t *testing.T) {
	for _, c := range []struct {
		p    task.Param
		want string
	}{
		{task.Param{Key: "p", Default: "2", Domain: task.FloatIn(0, 1)}, `default of parameter p = "2" is outside its domain`},
		{task.Param{Key: "m", Default: "z", Domain: task.OneOf()}, "declares no value"},
		{task.Param{Key: "r", Default: "1", Domain: task.FloatIn(2, 1)}, "empty range [2, 1]"},
		{task.Param{Key: "r", Default: "1", Domain: task.FloatIn(math.NaN(), 1)}, "empty range"},
	} {
		d := domainDesc
		d.Params = []task.Param{c.p}
		err := d.CheckDescription()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.p, err, c.want)
		}
	}
}

// Generator.Batch, which the plugin SDK serves, checks domains before the
// generator runs.
func TestBatchChecksDomains(t *testing.T) {
	ran := false
	g := task.Generator{Desc: domainDesc, Generate: func(*rand.Rand, int, int, map[string]string) ([]float32, int, [][]int32, error) {
		ran = true
		return nil, 0, nil, nil
	}}
	_, err := g.Batch(task.Request{Task: "dom", N: 2, B: 1, Params: map[string]string{"p": "5"}})
	if err == nil || !strings.Contains(err.Error(), "outside its domain") || ran {
		t.Fatalf("error %v (generator ran: %v), want a refusal before generating", err, ran)
	}
}

// Domain.String is what a listing shows.
func TestDomainString(t *testing.T) {
	for d, want := range map[*task.Domain]string{
		task.FloatIn(0, 1): "a number in [0, 1]", task.IntIn(0, 4294967295): "an integer in [0, 4294967295]",
		task.OneOf("dms", "parity"): `one of "dms", "parity"`, nil: "any text",
	} {
		if got := d.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
