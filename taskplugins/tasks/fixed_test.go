package tasks_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// The authors' two pools, as PyTorch makes them: SHA-256 of the 800,000
// bits (one byte each, row-major) of
// (torch.rand(200, 4000, generator=torch.Generator().manual_seed(seed)) < 0.5),
// computed with Debian's PyTorch 1.13 (/usr/bin/python3), and their numbers
// of ones.
var authorsPools = []struct {
	seed uint32
	sha  string
	ones int
}{
	{tasks.DMSPoolSeed, "8f44c06566b110492f2ac785df6c85792c48bf9cec0b3557e55ccc8b5736013c", 400944},
	{tasks.ParityPoolSeed, "2b55e91d47d1f1c4c2b96f71e0ac604bb2a785d60b708e81c2a5be4e228c18c4", 399966},
}

func TestPoolsAreTheAuthors(t *testing.T) {
	for _, c := range authorsPools {
		p := tasks.Pool(c.seed)
		if len(p) != tasks.PoolRows*tasks.PoolLen {
			t.Fatalf("pool %d has %d bits", c.seed, len(p))
		}
		sum := sha256.Sum256(p)
		ones := bytes.Count(p, []byte{1})
		if got := hex.EncodeToString(sum[:]); got != c.sha || ones != c.ones {
			t.Errorf("pool %d: sha256 %s with %d ones, want PyTorch's %s with %d", c.seed, got, ones, c.sha, c.ones)
		}
	}
	if bytes.Equal(tasks.Pool(tasks.DMSPoolSeed), tasks.Pool(tasks.ParityPoolSeed)) {
		t.Error("the DMS and parity pools are equal")
	}
}

// TestPoolMatchesLivePyTorch compares more seeds with the real PyTorch when
// it is installed (Debian's python3-torch at /usr/bin/python3).
func TestPoolMatchesLivePyTorch(t *testing.T) {
	seeds := []uint32{0, 7, 4294967295}
	var py strings.Builder
	py.WriteString("import torch, hashlib\n")
	for _, s := range seeds {
		fmt.Fprintf(&py, "g = torch.Generator().manual_seed(%d)\n", s)
		py.WriteString("p = (torch.rand(200, 4000, generator=g) < 0.5).to(torch.uint8)\n")
		py.WriteString("print(hashlib.sha256(bytes(p.flatten().tolist())).hexdigest())\n")
	}
	out, err := exec.Command("/usr/bin/python3", "-c", py.String()).Output()
	if err != nil {
		t.Skipf("PyTorch not available at /usr/bin/python3: %v", err)
	}
	got := strings.Fields(string(out))
	if len(got) != len(seeds) {
		t.Fatalf("python printed %q", out)
	}
	for i, s := range seeds {
		sum := sha256.Sum256(tasks.Pool(s))
		if hex.EncodeToString(sum[:]) != got[i] {
			t.Errorf("pool seed %d differs from PyTorch's", s)
		}
	}
}

// poolIndex finds slices of a pool by their first 48 bits.
type poolIndex struct {
	pool []byte
	at   map[uint64][]int // key → positions row*PoolLen + offset
}

const keyBits = 48

func key(s []byte) uint64 {
	var k uint64
	for _, v := range s[:keyBits] {
		k = k<<1 | uint64(v)
	}
	return k
}

func newPoolIndex(pool []byte) *poolIndex {
	ix := &poolIndex{pool: pool, at: map[uint64][]int{}}
	for row := range tasks.PoolRows {
		for off := 0; off+keyBits <= tasks.PoolLen; off++ {
			pos := row*tasks.PoolLen + off
			k := key(pool[pos:])
			ix.at[k] = append(ix.at[k], pos)
		}
	}
	return ix
}

// find returns every (row, offset) where s lies within one pool row.
func (ix *poolIndex) find(s []byte) (rows, offs []int) {
	for _, pos := range ix.at[key(s)] {
		row, off := pos/tasks.PoolLen, pos%tasks.PoolLen
		if off+len(s) <= tasks.PoolLen && bytes.Equal(ix.pool[pos:pos+len(s)], s) {
			rows, offs = append(rows, row), append(offs, off)
		}
	}
	return rows, offs
}

// Every trial is one contiguous slice of its own task's pool (and of no row
// of the other pool), with the row uniform over the 200 and the offset
// uniform over {0, …, 4000−M}: the means and variances of both agree with
// the discrete uniform laws within 5 SE.
func TestFixedPoolSlices(t *testing.T) {
	const n, batches = 60, 40 // trials of ≥ 62 bits are unique in a pool
	for _, c := range []struct {
		g            task.Generator
		own, other   uint32
		labelOfTrial check
	}{
		{tasks.DMSFixed, tasks.DMSPoolSeed, tasks.ParityPoolSeed, dms},
		{tasks.ParityFixed, tasks.ParityPoolSeed, tasks.DMSPoolSeed, parity},
	} {
		t.Run(c.g.Desc.Name, func(t *testing.T) {
			own, other := newPoolIndex(tasks.Pool(c.own)), newPoolIndex(tasks.Pool(c.other))
			var rowDev, rowVarDev, offDev, offVarDev []float64
			for idx := range uint64(batches) {
				b, err := c.g.Batch(task.Request{N: n, B: 64, Seed: 5, Index: idx})
				if err != nil {
					t.Fatal(err)
				}
				k := float64(tasks.PoolLen - b.T + 1) // number of possible offsets
				for bi, s := range trials(b, 0) {
					seq := make([]byte, len(s))
					for i, v := range s {
						seq[i] = byte(v)
					}
					rows, offs := own.find(seq)
					if len(rows) != 1 {
						t.Fatalf("trial %d/%d found %d times in its pool", idx, bi, len(rows))
					}
					if r, _ := other.find(seq); len(r) != 0 {
						t.Fatalf("trial %d/%d also lies in the other task's pool", idx, bi)
					}
					if got, want := b.Labels[0][bi], c.labelOfTrial(s, n); got != want {
						t.Fatalf("trial %d/%d: label %d, want %d", idx, bi, got, want)
					}
					// Discrete uniform on {0, …, m−1}: mean (m−1)/2, variance (m²−1)/12.
					r, o := float64(rows[0]), float64(offs[0])
					rowDev = append(rowDev, r-(tasks.PoolRows-1)/2.0)
					rowVarDev = append(rowVarDev, (r-(tasks.PoolRows-1)/2.0)*(r-(tasks.PoolRows-1)/2.0)-(tasks.PoolRows*tasks.PoolRows-1)/12.0)
					offDev = append(offDev, o-(k-1)/2)
					offVarDev = append(offVarDev, (o-(k-1)/2)*(o-(k-1)/2)-(k*k-1)/12)
				}
			}
			for _, d := range []struct {
				name string
				xs   []float64
			}{{"row mean", rowDev}, {"row variance", rowVarDev}, {"offset mean", offDev}, {"offset variance", offVarDev}} {
				if m, se := meanSE(d.xs); math.Abs(m) > 5*se {
					t.Errorf("%s off by %.3f, want 0 ± %.3f (5 SE over %d trials)", d.name, m, 5*se, len(d.xs))
				}
			}
		})
	}
}

// The pools are a function of the seed alone: another pool_seed gives
// another pool, the default gives the authors'.
func TestFixedPoolSeedParam(t *testing.T) {
	r := task.Request{N: 10, B: 8, Seed: 1, Index: 3}
	a, err := tasks.DMSFixed.Batch(r)
	if err != nil {
		t.Fatal(err)
	}
	r.Params = map[string]string{"pool_seed": fmt.Sprint(tasks.DMSPoolSeed)}
	b, err := tasks.DMSFixed.Batch(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f32bytes(a.X), f32bytes(b.X)) {
		t.Error("the default pool_seed is not the authors' DMS seed")
	}
	r.Params = map[string]string{"pool_seed": "1"}
	c, err := tasks.DMSFixed.Batch(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(f32bytes(a.X), f32bytes(c.X)) {
		t.Error("pool_seed=1 gave the same trials as the authors' pool")
	}
	if d := tasks.ParityFixed.Desc.Params[0]; d.Key != "pool_seed" || d.Default != fmt.Sprint(tasks.ParityPoolSeed) {
		t.Errorf("parity_fixed pool_seed default %q, want the authors' %d", d.Default, tasks.ParityPoolSeed)
	}
}

func f32bytes(x []float32) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, x)
	return buf.Bytes()
}
