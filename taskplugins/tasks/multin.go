package tasks

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Multi-N tasks for the cumulative and sliding curricula (METHODS §3.9). The
// authors' batch functions take a list of Ns and return one label vector per
// N on one shared sequence whose length M is drawn from the largest N
// (tasks/task_generators.py: make_batch_mtstyle_dms(Ns, bs) and friends,
// called by training/train.py: train with the curriculum's Ns). Here the
// list is a run of consecutive integers (the only lists those curricula
// make): head j labels the sequence at N_j = first + j, and the request's N is
// the largest N of the list, so M is drawn exactly as theirs. Heads whose N_j
// exceeds the request's N are outside the list: their labels are 0 and the
// trainer neither trains nor scores them.

// MultiNHeads is how many heads a multi-N task declares: one per N from 2 to
// 150, the authors' NUM_READOUT_HEADS = MAX_N − START_N + 1 of the
// cumulative curriculum (training/train.py, main block).
const MultiNHeads = 149

// FirstParam is the request parameter that names N_0, the N of head 0.
const FirstParam = "first"

// multiN makes the multi-N version of a fresh-bit task with one label
// function; minN is the base task's smallest N.
func multiN(name, base string, minN, classes int, f labelFunc) task.Generator {
	heads := make([]int, MultiNHeads)
	names := make([]string, MultiNHeads)
	for j := range heads {
		heads[j] = classes
		names[j] = fmt.Sprintf("%s@first+%d", base, j)
	}
	d := paperDesc(name,
		fmt.Sprintf("%s labelled at several N on one sequence: head j at N = first + j for first + j ≤ N (label 0 above), M drawn from the request's N", base),
		1, minN, 1000, heads, names,
		task.Param{Key: FirstParam, Default: "2", Help: fmt.Sprintf("N of head 0, an integer in [%d, N]", minN)})
	return task.Generator{Desc: d, Generate: func(rng *rand.Rand, n, b int, p map[string]string) ([]float32, int, [][]int32, error) {
		first, err := strconv.Atoi(p[FirstParam])
		if err != nil || first < minN || first > n {
			return nil, 0, nil, fmt.Errorf("task %s: parameter %s = %q is not an integer in [%d, N=%d]", name, FirstParam, p[FirstParam], minN, n)
		}
		t := SeqLen(rng, n)
		x := make([]float32, t*b)
		Bits(rng, x)
		labels := make([][]int32, MultiNHeads)
		for j := range labels {
			labels[j] = make([]int32, b)
			nj := first + j
			if nj > n {
				continue
			}
			for bi := range b {
				labels[j][bi] = f(x, t, b, 1, bi, nj)
			}
		}
		return x, t, labels, nil
	}}
}

// DMSMultiN is N-DMS labelled at every N of a consecutive run.
var DMSMultiN = multiN("dms_multin", "dms", 2, 2, dmsLabel)

// ParityMultiN is N-parity labelled at every N of a consecutive run.
var ParityMultiN = multiN("parity_multin", "parity", 1, 2, parityLabel)
