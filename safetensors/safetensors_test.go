package safetensors

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	nan := float32(math.NaN())
	in := []Tensor{
		{Name: "rnn.weight_ih_l0", Shape: []int{3, 2}, Data: []float32{1, 2, 3, 4, 5, -6}},
		{Name: "bias", Shape: []int{2}, Data: []float32{float32(math.Inf(-1)), nan}},
		{Name: "scalar", Shape: nil, Data: []float32{0.125}},
		{Name: "empty", Shape: []int{0, 4}, Data: []float32{}},
		{Name: "big", Shape: []int{5000}, Data: make([]float32, 5000)},
	}
	for i := range in[4].Data {
		in[4].Data[i] = float32(i) * 0.001
	}
	meta := map[string]string{"format": "pt", "n": "7"}
	var buf bytes.Buffer
	if err := Write(&buf, in, meta); err != nil {
		t.Fatal(err)
	}
	if hl := binary.LittleEndian.Uint64(buf.Bytes()); hl%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", hl)
	}
	out, gotMeta, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("meta = %v, want %v", gotMeta, meta)
	}
	want := map[string]Tensor{}
	for _, x := range in {
		want[x.Name] = x
	}
	if len(out) != len(in) {
		t.Fatalf("got %d tensors, want %d", len(out), len(in))
	}
	for i, g := range out {
		if i > 0 && out[i-1].Name >= g.Name {
			t.Errorf("tensors not sorted by name: %q then %q", out[i-1].Name, g.Name)
		}
		w := want[g.Name]
		if len(g.Shape) != len(w.Shape) || (len(w.Shape) > 0 && !reflect.DeepEqual(g.Shape, w.Shape)) {
			t.Errorf("%s: shape %v, want %v", g.Name, g.Shape, w.Shape)
		}
		if len(g.Data) != len(w.Data) {
			t.Fatalf("%s: %d values, want %d", g.Name, len(g.Data), len(w.Data))
		}
		for j := range g.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Errorf("%s[%d] = %v, want %v (bitwise)", g.Name, j, g.Data[j], w.Data[j])
			}
		}
	}

	// Writing is deterministic, whatever the input order.
	rev := make([]Tensor, len(in))
	for i := range in {
		rev[len(in)-1-i] = in[i]
	}
	var buf2 bytes.Buffer
	if err := Write(&buf2, rev, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Error("Write output depends on the order of the tensors")
	}
}

func TestWriteKnownBytes(t *testing.T) {
	ts := []Tensor{
		{Name: "b", Shape: []int{2}, Data: []float32{1, -2}},
		{Name: "a", Shape: []int{}, Data: []float32{0.5}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, ts, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	// 132 bytes of JSON (keys sorted, "__metadata__" first as '_' < 'a'),
	// padded with 4 spaces to 136 = 0x88.
	header := `{"__metadata__":{"k":"v"},` +
		`"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},` +
		`"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}` + "    "
	var want []byte
	want = append(want, 0x88, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, header...)
	want = append(want,
		0x00, 0x00, 0x00, 0x3f, // a = 0.5
		0x00, 0x00, 0x80, 0x3f, // b[0] = 1
		0x00, 0x00, 0x00, 0xc0, // b[1] = -2
	)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("bytes differ:\n got %q\nwant %q", buf.Bytes(), want)
	}
}

func TestWriteRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		ts   []Tensor
		want string
	}{
		{"size mismatch", []Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1}}}, `"w": shape [2 2] needs 4 values`},
		{"duplicate", []Tensor{{Name: "w", Data: []float32{1}}, {Name: "w", Data: []float32{1}}}, `duplicate tensor name "w"`},
		{"empty name", []Tensor{{Name: "", Data: []float32{1}}}, "empty name"},
		{"reserved", []Tensor{{Name: "__metadata__", Data: []float32{1}}}, "reserved"},
		{"negative dim", []Tensor{{Name: "w", Shape: []int{-1}}}, "negative dimension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tc.ts, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// craft builds a file from a literal header and data, without padding.
func craft(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func f32bytes(vs ...float32) []byte {
	var out []byte
	for _, v := range vs {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

func TestReadCorrupt(t *testing.T) {
	var good bytes.Buffer
	if err := Write(&good, []Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}}, nil); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	huge := append([]byte{}, g...)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	long := append([]byte{}, g...)
	binary.LittleEndian.PutUint64(long, 1000)

	for _, tc := range []struct {
		name string
		file []byte
		want []string
	}{
		{"empty file", nil, []string{"truncated", "0 bytes"}},
		{"truncated length", g[:5], []string{"truncated"}},
		{"truncated header", g[:20], []string{"header length", "larger than the rest of the file"}},
		{"truncated data", g[:len(g)-1], []string{`tensor "w"`, "out of range", "7 bytes", "truncated"}},
		{"header length huge", huge, []string{"header length 1099511627776 exceeds the limit"}},
		{"header length past end", long, []string{"header length 1000", "larger than the rest"}},
		{"bad JSON", craft(`{"w":{"dtype":"F32",`, nil), []string{"invalid JSON header"}},
		{"not an object", craft(`[1,2]`, nil), []string{"invalid JSON header", "'{'"}},
		{"garbage after object", craft(`{} x`, nil), []string{"invalid JSON header", "after the header object"}},
		{"offset out of range", craft(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32bytes(1)),
			[]string{`tensor "w"`, "data_offsets [0, 8] out of range", "only 4 bytes"}},
		{"shape offset mismatch", craft(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, f32bytes(1, 2)),
			[]string{`tensor "w"`, "needs 12 bytes", "span 8"}},
		{"unknown dtype", craft(`{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}`, f32bytes(1)),
			[]string{`tensor "w"`, `unknown dtype "F33"`}},
		{"unsupported dtype", craft(`{"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, f32bytes(1)),
			[]string{`tensor "w"`, "dtype I32 is not supported"}},
		{"overlap", craft(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32bytes(1, 2, 3)),
			[]string{`tensor "b"`, "overlap", `"a"`}},
		{"gap", craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32bytes(1, 2, 3)),
			[]string{`tensor "b"`, "not contiguous"}},
		{"not starting at 0", craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32bytes(1, 2)),
			[]string{`tensor "a"`, "not contiguous"}},
		{"reversed offsets", craft(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, nil),
			[]string{`tensor "a"`, "invalid data_offsets [4, 0]"}},
		{"trailing bytes", append(append([]byte{}, g...), 0), []string{"trailing bytes"}},
		{"duplicate tensor", craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32bytes(1)),
			[]string{`duplicate tensor "a"`}},
		{"missing field", craft(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, f32bytes(1)), []string{`tensor "a"`, "missing shape"}},
		{"unknown field", craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, f32bytes(1)), []string{`tensor "a"`, `unknown field "x"`}},
		{"three offsets", craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, f32bytes(1)), []string{`tensor "a"`, "[begin, end]"}},
		{"negative dim", craft(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, f32bytes(1)), []string{`tensor "a"`, "negative dimension"}},
		{"metadata not strings", craft(`{"__metadata__":{"n":3}}`, nil), []string{"__metadata__ must map strings to strings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(bytes.NewReader(tc.file))
			if err == nil {
				t.Fatalf("no error, want one mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestReadOtherDtypes(t *testing.T) {
	var data []byte
	data = binary.LittleEndian.AppendUint64(data, math.Float64bits(-1.25))
	data = binary.LittleEndian.AppendUint64(data, math.Float64bits(1e-3))
	data = binary.LittleEndian.AppendUint16(data, 0x3fc0) // BF16 1.5
	data = binary.LittleEndian.AppendUint16(data, 0xbe80) // BF16 -0.25
	data = binary.LittleEndian.AppendUint16(data, 0x3c00) // F16 1
	data = binary.LittleEndian.AppendUint16(data, 0xc500) // F16 -5
	data = binary.LittleEndian.AppendUint16(data, 0x0001) // F16 2^-24 (subnormal)
	data = binary.LittleEndian.AppendUint16(data, 0x7c00) // F16 +Inf
	file := craft(`{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},`+
		`"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},`+
		`"h":{"dtype":"F16","shape":[2,2],"data_offsets":[20,28]}}`, data)
	ts, meta, err := Read(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if meta != nil {
		t.Errorf("meta = %v, want nil", meta)
	}
	want := map[string][]float32{
		"b": {1.5, -0.25},
		"d": {-1.25, float32(1e-3)},
		"h": {1, -5, 1.0 / (1 << 24), float32(math.Inf(1))},
	}
	for _, x := range ts {
		if !reflect.DeepEqual(x.Data, want[x.Name]) {
			t.Errorf("%s = %v, want %v", x.Name, x.Data, want[x.Name])
		}
	}
	if ts[2].Name != "h" || !reflect.DeepEqual(ts[2].Shape, []int{2, 2}) {
		t.Errorf("tensor 2 = %s %v, want h [2 2]", ts[2].Name, ts[2].Shape)
	}
}

func TestWriteFileReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	ts := []Tensor{{Name: "x", Shape: []int{1}, Data: []float32{3}}}
	for i := 0; i < 2; i++ { // the second write replaces the first
		ts[0].Data[0] = float32(i)
		if err := WriteFile(path, ts, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := ReadFile(path)
	if err != nil || got[0].Data[0] != 1 {
		t.Fatalf("ReadFile = %v, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file (no temp files)", len(entries))
	}
	// A failed write leaves neither the file nor a temp file.
	bad := filepath.Join(dir, "bad.safetensors")
	if err := WriteFile(bad, []Tensor{{Name: "x", Shape: []int{2}}}, nil); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("err = %v, want an error naming %s", err, bad)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed write left files behind: %v", entries)
	}
	// Read errors name the path.
	os.WriteFile(bad, []byte("garbage!garbage!"), 0o644)
	if _, _, err := ReadFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("err = %v, want an error naming %s", err, bad)
	}
	if _, _, err := ReadFile(filepath.Join(dir, "missing")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want a not-exist error", err)
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.safetensors"), ts, nil); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// TestPythonCrossCheck has an independent parser (Python's struct + json)
// read a file written here, and writes F64/BF16/F16 tensors for Read.
func TestPythonCrossCheck(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("no " + python)
	}
	dir := t.TempDir()
	goFile := filepath.Join(dir, "go.safetensors")
	pyFile := filepath.Join(dir, "py.safetensors")
	ts := []Tensor{
		{Name: "rnn.weight_hh_l0", Shape: []int{2, 3}, Data: []float32{0.5, -1, 2, 3.25, -4.5, 1e-7}},
		{Name: "fc.bias", Shape: []int{1}, Data: []float32{-0.75}},
	}
	if err := WriteFile(goFile, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	script := `
import json, struct, sys
def load(path):
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    assert n % 8 == 0, "header not padded"
    h = json.loads(b[8:8 + n])
    data = b[8 + n:]
    meta = h.pop("__metadata__", {})
    out = {}
    for name, e in h.items():
        s, t = e["data_offsets"]
        assert e["dtype"] == "F32", e
        count = 1
        for d in e["shape"]:
            count *= d
        assert t - s == 4 * count
        out[name] = (e["shape"], list(struct.unpack("<%df" % count, data[s:t])))
    return out, meta
out, meta = load(sys.argv[1])
assert meta == {"format": "pt"}, meta
assert set(out) == {"rnn.weight_hh_l0", "fc.bias"}, out.keys()
assert out["rnn.weight_hh_l0"][0] == [2, 3]
want = [0.5, -1, 2, 3.25, -4.5, struct.unpack("<f", struct.pack("<f", 1e-7))[0]]
assert out["rnn.weight_hh_l0"][1] == want, out["rnn.weight_hh_l0"]
assert out["fc.bias"] == ([1], [-0.75]), out["fc.bias"]

# Write F64, BF16 and F16 tensors the way PyTorch would store them.
def bf16(x):
    return struct.unpack("<I", struct.pack("<f", x))[0] >> 16
d = struct.pack("<2d", 0.1, -3.5)
b = struct.pack("<2H", bf16(1.5), bf16(-0.25))
e = struct.pack("<3e", 0.5, -2.0, 65504.0)
hdr = {"__metadata__": {"source": "python"},
       "w64": {"dtype": "F64", "shape": [2, 1], "data_offsets": [0, 16]},
       "wbf": {"dtype": "BF16", "shape": [2], "data_offsets": [16, 20]},
       "wh": {"dtype": "F16", "shape": [3], "data_offsets": [20, 26]}}
hb = json.dumps(hdr).encode()
hb += b" " * (-len(hb) % 8)
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<Q", len(hb)) + hb + d + b + e)
print("ok")
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", script, goFile, pyFile).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	got, meta, err := ReadFile(pyFile)
	if err != nil {
		t.Fatal(err)
	}
	if meta["source"] != "python" {
		t.Errorf("meta = %v", meta)
	}
	want := []Tensor{
		{Name: "w64", Shape: []int{2, 1}, Data: []float32{0.1, -3.5}},
		{Name: "wbf", Shape: []int{2}, Data: []float32{1.5, -0.25}},
		{Name: "wh", Shape: []int{3}, Data: []float32{0.5, -2, 65504}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read %v, want %v", got, want)
	}
}
