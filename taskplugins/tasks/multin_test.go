package tasks_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// TestMultiNLabels checks the multi-N tasks of METHODS §3.9 against labels
// re-derived from each sequence: head j is the base task at N = first + j
// for every N up to the request's, 0 above; M is drawn from the request's N
// (the largest of the run), and each batch is the base task's law.
func TestMultiNLabels(t *testing.T) {
	for _, c := range []struct {
		g     task.Generator
		label func([]int, int) int32
	}{{tasks.DMSMultiN, dms}, {tasks.ParityMultiN, parity}} {
		if len(c.g.Desc.Heads) != tasks.MultiNHeads || tasks.MultiNHeads != 150-2+1 {
			t.Fatalf("%s declares %d heads, want the authors' 149", c.g.Desc.Name, len(c.g.Desc.Heads))
		}
		for _, tc := range []struct{ first, n int }{{2, 2}, {2, 7}, {5, 9}, {12, 12}} {
			params := map[string]string{tasks.FirstParam: strconv.Itoa(tc.first)}
			for idx := range uint64(20) {
				r := task.Request{N: tc.n, B: 16, Seed: 3, Index: idx, Params: params}
				b, err := c.g.Batch(r)
				if err != nil {
					t.Fatal(err)
				}
				if b.T < tc.n+2 || b.T > 4*tc.n+1 {
					t.Fatalf("%v: M = %d outside [N+2, 4N+1] of the largest N", r, b.T)
				}
				for j := range tasks.MultiNHeads {
					nj := tc.first + j
					for bi, s := range trials(b, 0) {
						want := int32(0)
						if nj <= tc.n {
							want = c.label(s, nj)
						}
						if b.Labels[j][bi] != want {
							t.Fatalf("%s %v head %d (N=%d) trial %d: label %d, want %d", c.g.Desc.Name, r, j, nj, bi, b.Labels[j][bi], want)
						}
					}
				}
			}
		}
	}
}

func TestMultiNRefusesBadFirst(t *testing.T) {
	for _, tc := range []struct {
		first string
		n     int
	}{{"1", 5}, {"6", 5}, {"x", 5}, {"", 5}} {
		_, err := tasks.DMSMultiN.Batch(task.Request{N: tc.n, B: 2, Params: map[string]string{tasks.FirstParam: tc.first}})
		if err == nil || !strings.Contains(err.Error(), "parameter first") {
			t.Errorf("first=%q at N=%d: error %v, want one naming the parameter", tc.first, tc.n, err)
		}
	}
}
