package torchio

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/safetensors"
)

// The fixtures in testdata were written by testdata/gen.py with Debian's
// PyTorch 1.13 and NumPy 1.24 (committed: each is under 2 kB, and they let
// the reader be tested where PyTorch is not installed). Their values are
// ramp(k) = k/8 − 1, exact in every float dtype used.

func ramp(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i)/8 - 1
	}
	return out
}

func TestReadCheckpoint(t *testing.T) {
	sd := []safetensors.Tensor{
		{Name: "inp.weight", Shape: []int{3, 2}, Data: ramp(6)},
		{Name: "inp.bias", Shape: []int{3}, Data: ramp(3)},
	}
	r := ramp(6)
	for _, tc := range []struct {
		file string
		want []safetensors.Tensor
	}{
		{"wrapped.pt", sd}, // {"state_dict": OrderedDict}: the authors' checkpoints
		{"bare.pt", sd},    // a state dict saved directly
		// ramp(2,3).t(): shape [3,2], strides (1,3) → row-major gather.
		{"strided.pt", []safetensors.Tensor{{Name: "w", Shape: []int{3, 2}, Data: []float32{r[0], r[3], r[1], r[4], r[2], r[5]}}}},
		// ramp(2,3)[1]: the whole storage is saved, with offset 3.
		{"offset.pt", []safetensors.Tensor{{Name: "w", Shape: []int{3}, Data: r[3:6]}}},
		{"dtypes.pt", []safetensors.Tensor{
			{Name: "w", Shape: []int{2, 2}, Data: ramp(4)}, // float64
			{Name: "v", Shape: []int{3}, Data: ramp(3)},    // float16
			{Name: "u", Shape: []int{2}, Data: ramp(2)},    // bfloat16
		}},
		{"param.pt", []safetensors.Tensor{{Name: "p", Shape: []int{2}, Data: ramp(2)}}}, // nn.Parameter
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ReadCheckpoint(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestReadCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "w.safetensors")
	if err := safetensors.WriteFile(st, []safetensors.Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}}, nil); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("hello, world"), 0o644)
	truncated := filepath.Join(dir, "truncated.pt")
	b, _ := os.ReadFile("testdata/wrapped.pt")
	os.WriteFile(truncated, b[:len(b)/2], 0o644)
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"testdata/legacy.pt", []string{"legacy (non-zip) torch.save", "PyTorch ≥ 1.13", `torch.save(torch.load("testdata/legacy.pt", weights_only=True)`}},
		{"testdata/int.pt", []string{`tensor "steps" has dtype int64`, "floating point"}},
		{"testdata/nostate.pt", []string{`keys [epoch, weights]`, `no "state_dict"`}},
		{st, []string{"is a safetensors file"}},
		{junk, []string{"not a torch.save checkpoint"}},
		{truncated, []string{"truncated.pt", "truncated or damaged"}},
		{filepath.Join(dir, "none.pt"), []string{"no such file"}},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			_, err := ReadCheckpoint(tc.file)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestSniffAndReadTensors(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "w.safetensors")
	want := []safetensors.Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1, 2}}}
	if err := safetensors.WriteFile(st, want, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want Format
	}{{st, Safetensors}, {"testdata/wrapped.pt", TorchZip}, {"testdata/legacy.pt", TorchLegacy}, {"testdata/stats.npy", Unknown}} {
		if f, err := Sniff(tc.file); err != nil || f != tc.want {
			t.Errorf("Sniff(%s) = %v, %v; want %v", tc.file, f, err, tc.want)
		}
	}
	ts, meta, f, err := ReadTensors(st)
	if err != nil || f != Safetensors || !reflect.DeepEqual(ts, want) || meta["k"] != "v" {
		t.Errorf("ReadTensors(safetensors) = %v %v %v %v", ts, meta, f, err)
	}
	ts, meta, f, err = ReadTensors("testdata/bare.pt")
	if err != nil || f != TorchZip || len(ts) != 2 || meta != nil {
		t.Errorf("ReadTensors(torch) = %v %v %v %v", ts, meta, f, err)
	}
	if _, _, _, err := ReadTensors("testdata/stats.npy"); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("ReadTensors(npy) error %v", err)
	}
}

func TestReadNpyObject(t *testing.T) {
	got, err := ReadNpyObject("testdata/stats.npy")
	if err != nil {
		t.Fatal(err)
	}
	m, ok := got.(map[string]any)
	if !ok {
		t.Fatalf("got a %T, want a map", got)
	}
	loss := m["loss"].([]any)
	if len(loss) != 3 || loss[0] != 0.5 || !math.IsNaN(loss[1].(float64)) || loss[2] != 0.25 {
		t.Errorf("loss = %v", loss)
	}
	delete(m, "loss")
	want := map[string]any{
		"n_task":   []any{int64(2), int64(3), int64(3)}, // np.int64 scalar and Python ints alike
		"phase":    []any{"RNN", "RNN", "RNN"},
		"accuracy": []any{50.0, 98.5, 99.0},
		"grad":     []any{1.5, 2.0}, // a numeric array inside the dict
		"flag":     []any{true, false, nil},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %#v\nwant %#v", m, want)
	}
	for _, tc := range []struct{ file, want string }{
		{"testdata/numbers.npy", "plain numbers"},
		{"testdata/wrapped.pt", "not a .npy file"},
	} {
		if _, err := ReadNpyObject(tc.file); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.file, err, tc.want)
		}
	}
}
