package authors

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/torchio"
	"github.com/cbrnn/cbrnn/safetensors"
)

// legacyHead is the single readout's name in cbrnn's golden files, before
// the readout became their ModuleList "heads".
const legacyHead = "head."

// Weights matches tensors in the authors' layout to network c, strictly:
// every parameter must be present with its shape, and every tensor must be
// a parameter of c. "head.weight"/"head.bias" are read as heads.0 when the
// network has one head and the file no heads.0. All problems are reported
// at once, with what the network expects.
func Weights(c gm.Config, ts []safetensors.Tensor) (gm.Weights, error) {
	specs := c.Params()
	byName := make(map[string]safetensors.Tensor, len(ts))
	for _, t := range ts {
		if _, dup := byName[t.Name]; dup {
			return nil, fmt.Errorf("tensor %q appears twice", t.Name)
		}
		byName[t.Name] = t
	}
	if len(c.Readout.Heads) == 1 {
		h0 := c.HeadName(0) + "."
		for _, suf := range []string{"weight", "bias"} {
			old, ok := byName[legacyHead+suf]
			if _, has := byName[h0+suf]; ok && !has {
				old.Name = h0 + suf
				byName[h0+suf] = old
				delete(byName, legacyHead+suf)
			}
		}
	}
	var missing, shapes []string
	w := gm.Weights{}
	for _, p := range specs {
		t, ok := byName[p.Name]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s %v", p.Name, p.Shape))
			continue
		}
		delete(byName, p.Name)
		if !slices.Equal(t.Shape, p.Shape) {
			shapes = append(shapes, fmt.Sprintf("%s is %v, the network needs %v", p.Name, t.Shape, p.Shape))
			continue
		}
		w[p.Name] = t.Data
	}
	var unknown []string
	for name, t := range byName {
		unknown = append(unknown, fmt.Sprintf("%s %v", name, t.Shape))
	}
	slices.Sort(unknown)
	if len(missing)+len(shapes)+len(unknown) == 0 {
		return w, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the tensors do not match the network (%s)", c.Describe())
	if len(shapes) > 0 {
		fmt.Fprintf(&b, "; wrong shapes: %s", strings.Join(shapes, "; "))
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "; missing: %s", strings.Join(missing, ", "))
	}
	if len(unknown) > 0 {
		fmt.Fprintf(&b, "; not parameters of this network: %s", strings.Join(unknown, ", "))
	}
	return nil, fmt.Errorf("%s", b.String())
}

// LoadWeights reads a weights file, a safetensors file or a zip-format
// torch.save checkpoint (a state dict, or {"state_dict": …} as the authors
// save), and matches it to network c with Weights. The metadata of a
// safetensors file is returned too (nil for a torch file).
func LoadWeights(path string, c gm.Config) (gm.Weights, map[string]string, error) {
	ts, meta, format, err := torchio.ReadTensors(path)
	if err != nil {
		return nil, nil, err
	}
	w, err := Weights(c, ts)
	if err != nil {
		return nil, nil, fmt.Errorf("%s (%s) does not fit: %w", path, format, err)
	}
	return w, meta, nil
}

// FileSHA256 is the hex SHA-256 of a regular file, streamed (a run records
// the hash of the weights it started from).
func FileSHA256(path string) (string, error) {
	f, _, err := torchio.OpenRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
