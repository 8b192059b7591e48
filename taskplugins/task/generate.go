package task

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
)

// MaxB bounds the batch size a generator accepts, so that a typo cannot ask a
// plugin for gigabytes.
const MaxB = 1 << 16

// GenerateFunc makes one batch: x is [T, B, I] time-major with I =
// Description.Inputs, labels is [heads][B] (or [heads][T*B] for PerStep).
// params holds every declared parameter, defaults filled in. All randomness
// must come from rng, which is what makes batches reproducible.
type GenerateFunc func(rng *rand.Rand, n, b int, params map[string]string) (x []float32, t int, labels [][]int32, err error)

// Generator is a task: what it declares and how it makes batches. The paper's
// tasks (package tasks), the plugin SDK and the in-process source all use
// it, so a batch is the same bytes whether it was made in-process or in a
// plugin.
type Generator struct {
	Desc     Description
	Generate GenerateFunc
}

// Batch makes the batch r names: it fills in parameter defaults, checks N
// and B against the declaration, seeds the RNG from SeedKey and validates
// what Generate returned.
func (g Generator) Batch(r Request) (*Batch, error) {
	if r.Task != "" && r.Task != g.Desc.Name {
		return nil, fmt.Errorf("request for task %q sent to %q", r.Task, g.Desc.Name)
	}
	params, err := g.Desc.ResolveParams(r.Params)
	if err != nil {
		return nil, err
	}
	if err := g.Desc.CheckRequest(r); err != nil {
		return nil, err
	}
	rng := NewRNG(SeedKey(g.Desc.Name, params, r))
	x, t, labels, err := g.Generate(rng, r.N, r.B, params)
	if err != nil {
		return nil, err
	}
	b := &Batch{T: t, B: r.B, I: g.Desc.Inputs, X: x, Labels: labels}
	if err := b.Validate(g.Desc, r); err != nil {
		return nil, fmt.Errorf("task %s generated a malformed batch: %w", g.Desc.Name, err)
	}
	return b, nil
}

// CheckRequest checks N and B against the declaration, before any work.
func (d Description) CheckRequest(r Request) error {
	if r.N < d.MinN || r.N > d.MaxN {
		return fmt.Errorf("N=%d outside the supported range [%d, %d] of %s", r.N, d.MinN, d.MaxN, d.Name)
	}
	if r.B < 1 || r.B > MaxB {
		return fmt.Errorf("batch size %d outside [1, %d]", r.B, MaxB)
	}
	return nil
}

// ResolveParams returns the declared parameters with p's values over the
// defaults, each checked against its Domain. An undeclared key is an error:
// a misspelt option must not silently fall back to its default.
func (d Description) ResolveParams(p map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(d.Params))
	for _, q := range d.Params {
		out[q.Key] = q.Default
	}
	for k, v := range p {
		if _, ok := out[k]; !ok {
			keys := make([]string, 0, len(d.Params))
			for _, q := range d.Params {
				keys = append(keys, q.Key)
			}
			return nil, fmt.Errorf("task %s has no parameter %q (it takes %v)", d.Name, k, keys)
		}
		out[k] = v
	}
	for _, q := range d.Params {
		if err := d.checkParam(q, out[q.Key]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SeedKey is the canonical seed of a batch: SHA-256 over length-prefixed
// strings (see taskplugin.proto). Everything that decides a batch's content
// is in it, the split included, so train and test never share a batch and a
// plugin in any language can derive the same key.
func SeedKey(name string, params map[string]string, r Request) [32]byte {
	h := sha256.New()
	put := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	put("cbrnn-task/v1")
	put(name)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		put(k)
		put(params[k])
	}
	put(strconv.Itoa(r.N))
	put(strconv.Itoa(r.B))
	put(strconv.FormatUint(r.Seed, 10))
	put(strconv.FormatUint(r.Index, 10))
	put(strconv.Itoa(int(r.Split)))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// NewRNG returns a PCG generator seeded from the first 16 bytes of key.
func NewRNG(key [32]byte) *rand.Rand {
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:16])))
}

// CheckDescription catches declarations the host could not honour (no
// heads, a head with fewer than two classes, an empty N range).
func (d Description) CheckDescription() error {
	switch {
	case d.Name == "":
		return fmt.Errorf("task has no name")
	case d.Inputs < 1:
		return fmt.Errorf("task %s declares %d input channels", d.Name, d.Inputs)
	case len(d.Heads) == 0:
		return fmt.Errorf("task %s declares no readout head", d.Name)
	case len(d.HeadNames) != 0 && len(d.HeadNames) != len(d.Heads):
		return fmt.Errorf("task %s names %d of %d heads", d.Name, len(d.HeadNames), len(d.Heads))
	case d.MinN < 1 || d.MaxN < d.MinN:
		return fmt.Errorf("task %s declares the N range [%d, %d]", d.Name, d.MinN, d.MaxN)
	}
	for h, c := range d.Heads {
		if c < 2 {
			return fmt.Errorf("task %s head %d has %d classes", d.Name, h, c)
		}
	}
	for _, p := range d.Params {
		if err := p.Domain.valid(); err != nil {
			return fmt.Errorf("task %s: parameter %s declares %v", d.Name, p.Key, err)
		}
		if p.Domain.check(p.Default) != nil {
			return fmt.Errorf("task %s: the default of parameter %s = %q is outside its domain: %s", d.Name, p.Key, p.Default, p.Domain)
		}
	}
	if lo, hi := d.TBounds(d.MinN); lo < 1 || hi < lo {
		return fmt.Errorf("task %s declares T bounds [%d, %d] at N=%d", d.Name, lo, hi, d.MinN)
	}
	return nil
}
