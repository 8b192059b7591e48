package tasks

import (
	"math"
	"math/rand/v2"
	"strconv"
	"sync"

	"gonum.org/v1/gonum/mathext/prng"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Fixed-pool controls (METHODS §2.5), as in the authors'
// tasks/task_generators.py @619a7ff (make_fixed_pool,
// make_fixed_dataset_batch_fn): every trial is a contiguous slice of a fixed
// pool of 200 sequences × 4000 bits, labelled like the fresh-bit task. DMS and
// parity have a pool each, with its own seed (FIXED_POOL_DMS: 12345,
// FIXED_POOL_PARITY: 67890).

// Fixed-pool size (make_fixed_pool defaults: n_sequences=200, seq_len=4000).
const (
	PoolRows = 200
	PoolLen  = 4000
)

// The authors' pool seeds, the defaults of pool_seed.
const (
	DMSPoolSeed    = 12345
	ParityPoolSeed = 67890
)

// fixedVersion is the data version of the fixed-pool tasks: 2 since the
// pools are the authors' own bits (one per task) and rows are drawn before
// offsets.
const fixedVersion = "2.0.0"

// pools caches pools by seed: 800 kB each, made once per process.
var pools sync.Map // uint32 → []byte

// Pool returns the fixed pool of seed, PoolRows × PoolLen bits (0/1),
// row-major: bit for bit the authors' make_fixed_pool(seed=seed), i.e.
// (torch.rand(200, 4000, generator=torch.Generator().manual_seed(seed)) < 0.5).
// PyTorch's CPU generator is the 32-bit Mersenne Twister seeded with
// init_genrand(seed); torch.rand turns each 32-bit draw w into
// (w & (2²⁴−1))·2⁻²⁴, so a value is below ½ iff bit 23 of w is 0. gonum's
// MT19937 is that generator (checked against PyTorch's pools in the tests),
// so the pools are reproduced exactly rather than redrawn with the same law.
func Pool(seed uint32) []byte {
	if p, ok := pools.Load(seed); ok {
		return p.([]byte)
	}
	mt := prng.NewMT19937()
	mt.Seed(uint64(seed))
	p := make([]byte, PoolRows*PoolLen)
	for i := range p {
		if mt.Uint32()&(1<<23) == 0 {
			p[i] = 1
		}
	}
	actual, _ := pools.LoadOrStore(seed, p)
	return actual.([]byte)
}

// fixedTask cuts every trial from the pool (make_fixed_dataset_batch_fn): M
// as for the fresh task, once per batch; then B rows, uniform over the 200,
// then B offsets, uniform over {0, …, 4000−M}, in that order as theirs. Their
// rows and offsets come from a process-level np.random.RandomState (seed 1
// for DMS, 2 for parity) that train and test batches share, in call order;
// here they come from the request's own generator, so that a batch stays a
// pure function of its request (METHODS §2.5 says why).
func fixedTask(name string, f labelFunc) task.GenerateFunc {
	return func(rng *rand.Rand, n, b int, p map[string]string) ([]float32, int, [][]int32, error) {
		seed, err := uint32Param(name, p, "pool_seed")
		if err != nil {
			return nil, 0, nil, err
		}
		pool := Pool(seed)
		t := SeqLen(rng, n)
		rows := make([]int, b)
		for bi := range rows {
			rows[bi] = rng.IntN(PoolRows)
		}
		x := make([]float32, t*b)
		for bi, row := range rows {
			off := rng.IntN(PoolLen - t + 1)
			src := pool[row*PoolLen+off:]
			for k := range t {
				x[k*b+bi] = float32(src[k])
			}
		}
		return x, t, label(x, t, b, 1, n, []labelFunc{f}), nil
	}
}

func poolParam(seed uint32) task.Param {
	return task.Param{Key: "pool_seed", Default: strconv.FormatUint(uint64(seed), 10),
		Help: "seed of the fixed 200x4000 pool (PyTorch manual_seed)", Domain: task.IntIn(0, math.MaxUint32)}
}

// fixedMaxN keeps 4N+1 within a pool row.
const fixedMaxN = (PoolLen - 1) / 4

// DMSFixed is N-DMS on slices of the DMS pool.
var DMSFixed = task.Generator{
	Desc: versioned(paperDesc("dms_fixed", "N-DMS on random slices of the fixed 200x4000 DMS pool (control)",
		1, 2, fixedMaxN, []int{2}, []string{"dms"}, poolParam(DMSPoolSeed)), fixedVersion),
	Generate: fixedTask("dms_fixed", dmsLabel),
}

// ParityFixed is N-parity on slices of the parity pool.
var ParityFixed = task.Generator{
	Desc: versioned(paperDesc("parity_fixed", "N-parity on random slices of the fixed 200x4000 parity pool (control)",
		1, 1, fixedMaxN, []int{2}, []string{"parity"}, poolParam(ParityPoolSeed)), fixedVersion),
	Generate: fixedTask("parity_fixed", parityLabel),
}
