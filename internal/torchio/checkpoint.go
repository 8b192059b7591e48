package torchio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"

	"github.com/cbrnn/cbrnn/safetensors"
)

// Format is the kind of a weights file, told from its first bytes.
type Format int

// The formats Sniff tells apart.
const (
	Unknown     Format = iota
	Safetensors        // Hugging Face safetensors (what cbrnn writes)
	TorchZip           // torch.save, PyTorch ≥ 1.6: a zip archive holding data.pkl
	TorchLegacy        // torch.save with _use_new_zipfile_serialization=False, or PyTorch < 1.6: a bare pickle
)

func (f Format) String() string {
	switch f {
	case Safetensors:
		return "safetensors"
	case TorchZip:
		return "torch.save (zip)"
	case TorchLegacy:
		return "torch.save (legacy pickle)"
	}
	return "unknown"
}

// Sniff reads the first bytes of path and says which format it is in.
func Sniff(path string) (Format, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return Unknown, err
	}
	defer f.Close()
	return sniffFile(f)
}

// sniffFile reads the first bytes of an open file and rewinds it.
func sniffFile(f *os.File) (Format, error) {
	head := make([]byte, 16)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Unknown, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Unknown, err
	}
	return sniffBytes(head[:n]), nil
}

func sniffBytes(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return TorchZip
	case len(head) >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5:
		// A pickle starts with PROTO n; the legacy torch.save format is a
		// series of pickles (magic number, protocol version, sys info, …).
		return TorchLegacy
	case len(head) >= 9 && head[8] == '{' && binary.LittleEndian.Uint64(head[:8]) < safetensors.MaxHeaderLen:
		return Safetensors
	}
	return Unknown
}

// ReadCheckpoint reads the tensors of a torch.save file in the zip format:
// a state dict (name → tensor), or a dict holding one under "state_dict"
// (what the authors' save_model writes). Tensors come back in the file's
// order, row-major, converted to float32 from float32, float64, float16 or
// bfloat16. Integer and boolean tensors are refused (weights are floats):
// the error names them.
func ReadCheckpoint(path string) (ts []safetensors.Tensor, err error) {
	f, size, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	format, err := sniffFile(f)
	if err != nil {
		return nil, err
	}
	if err := wantTorchZip(path, format); err != nil {
		return nil, err
	}
	defer func() {
		// gopickle panics on a few malformed inputs; a corrupt file must
		// give an error, never crash the program.
		if r := recover(); r != nil {
			ts, err = nil, fmt.Errorf("%s: corrupt or unsupported torch.save file: %v", path, r)
		}
	}()
	a := newAllowance(path, size)
	obj, err := loadZip(f, size, a)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the torch.save archive: %w", path, err)
	}
	sd, err := stateDict(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return stateTensors(sd, a)
}

// wantTorchZip refuses, with what to do instead, every format but the zip
// torch.save.
func wantTorchZip(path string, format Format) error {
	switch format {
	case TorchZip:
		return nil
	case TorchLegacy:
		// weights_only=True keeps torch.load from running code the
		// file's pickle may hold (the default before PyTorch 2.6).
		return fmt.Errorf("%s is a legacy (non-zip) torch.save file, written by PyTorch < 1.6 or with _use_new_zipfile_serialization=False, which cbrnn does not read; "+
			"re-save it with PyTorch ≥ 1.13: torch.save(torch.load(%q, weights_only=True), %q)", path, path, path+".zip.pt")
	case Safetensors:
		return fmt.Errorf("%s is a safetensors file, not a torch.save checkpoint", path)
	}
	return fmt.Errorf("%s is not a torch.save checkpoint (no zip archive header)", path)
}

// stateTensors converts a state dict's entries to tensors, in order.
func stateTensors(sd []entry, a *allowance) ([]safetensors.Tensor, error) {
	var ts []safetensors.Tensor
	for _, e := range sd {
		name, ok := e.key.(string)
		if !ok {
			return nil, fmt.Errorf("%s: the state dict has a key %v of type %T, not a parameter name", a.path, e.key, e.key)
		}
		t, ok := e.value.(*pytorch.Tensor)
		if !ok {
			return nil, fmt.Errorf("%s: state dict entry %q is a %s, not a tensor", a.path, name, describe(e.value))
		}
		st, err := tensor(name, t, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.path, err)
		}
		ts = append(ts, st)
	}
	return ts, nil
}

// callable adapts a function to gopickle's Callable.
type callable func(args ...any) (any, error)

func (c callable) Call(args ...any) (any, error) { return c(args...) }

type entry struct{ key, value any }

// entries lists a Python dict or OrderedDict in order; ok is false for
// anything else.
func entries(obj any) (out []entry, ok bool) {
	switch d := obj.(type) {
	case *types.Dict:
		for _, e := range *d {
			out = append(out, entry{e.Key, e.Value})
		}
		return out, true
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			out = append(out, entry{e.Key, e.Value})
		}
		return out, true
	}
	return nil, false
}

// stateDict finds the state dict in what torch.save stored: the object
// itself, or its "state_dict" entry.
func stateDict(obj any) ([]entry, error) {
	es, ok := entries(obj)
	if !ok {
		return nil, fmt.Errorf("the file holds a %s, not a state dict; save model.state_dict() (or {\"state_dict\": model.state_dict()}) rather than the module itself", describe(obj))
	}
	for _, e := range es {
		if e.key == "state_dict" {
			inner, ok := entries(e.value)
			if !ok {
				return nil, fmt.Errorf("its \"state_dict\" entry is a %s, not a dict of tensors", describe(e.value))
			}
			return inner, nil
		}
	}
	for _, e := range es {
		if _, isTensor := e.value.(*pytorch.Tensor); !isTensor {
			var keys []string
			for _, e := range es {
				keys = append(keys, fmt.Sprint(e.key))
			}
			return nil, fmt.Errorf("the file holds a dict with keys [%s] and no \"state_dict\"; its entry %v is a %s, not a tensor",
				strings.Join(keys, ", "), e.key, describe(e.value))
		}
	}
	return es, nil
}

// describe names a value's Python type for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case *types.GenericObject:
		return x.Class.Module + "." + x.Class.Name + " object"
	case *types.GenericClass:
		return "class " + x.Module + "." + x.Name
	case *types.Dict, *types.OrderedDict:
		return "dict"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	case *pytorch.Tensor:
		return "tensor"
	case string:
		return "str"
	case int, int64:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	}
	return fmt.Sprintf("%T", v)
}

// tensor copies a (possibly strided) PyTorch tensor into a row-major
// float32 safetensors.Tensor.
func tensor(name string, t *pytorch.Tensor, a *allowance) (safetensors.Tensor, error) {
	var get func(i int) float32
	var n int
	switch s := t.Source.(type) {
	case *pytorch.FloatStorage:
		get, n = func(i int) float32 { return s.Data[i] }, len(s.Data)
	case *pytorch.DoubleStorage:
		get, n = func(i int) float32 { return float32(s.Data[i]) }, len(s.Data)
	case *pytorch.HalfStorage:
		get, n = func(i int) float32 { return s.Data[i] }, len(s.Data)
	case *pytorch.BFloat16Storage:
		get, n = func(i int) float32 { return s.Data[i] }, len(s.Data)
	default:
		return safetensors.Tensor{}, fmt.Errorf("tensor %q has dtype %s; weights must be floating point (float32, float64, float16 or bfloat16)", name, storageDtype(t.Source))
	}
	if len(t.Size) != len(t.Stride) {
		return safetensors.Tensor{}, fmt.Errorf("tensor %q: %d sizes but %d strides", name, len(t.Size), len(t.Stride))
	}
	count := int64(1)
	for _, d := range t.Size {
		if d < 0 {
			return safetensors.Tensor{}, fmt.Errorf("tensor %q has a negative size %v", name, t.Size)
		}
		if count = mulLimit(count, int64(d), 1<<40); count < 0 {
			return safetensors.Tensor{}, fmt.Errorf("tensor %q has a size %v whose product overflows: a damaged or crafted file", name, t.Size)
		}
	}
	// Strides of 0 let a tensor of a one-element storage declare any size.
	if err := a.take(fmt.Sprintf("tensor %q of size %v", name, t.Size), 4*count); err != nil {
		return safetensors.Tensor{}, err
	}
	out := safetensors.Tensor{Name: name, Shape: append([]int{}, t.Size...), Data: make([]float32, count)}
	if count == 0 {
		return out, nil
	}
	// The furthest element the strides reach must lie in the storage.
	last := t.StorageOffset
	for i, d := range t.Size {
		if t.Stride[i] < 0 {
			return safetensors.Tensor{}, fmt.Errorf("tensor %q has a negative stride %v", name, t.Stride)
		}
		last += (d - 1) * t.Stride[i]
	}
	if t.StorageOffset < 0 || last >= n {
		return safetensors.Tensor{}, fmt.Errorf("tensor %q (size %v, stride %v, offset %d) reaches past its storage of %d elements", name, t.Size, t.Stride, t.StorageOffset, n)
	}
	idx := make([]int, len(t.Size))
	for k := range out.Data {
		off := t.StorageOffset
		for i, v := range idx {
			off += v * t.Stride[i]
		}
		out.Data[k] = get(off)
		for i := len(idx) - 1; i >= 0; i-- { // row-major odometer
			idx[i]++
			if idx[i] < t.Size[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

func storageDtype(s pytorch.StorageInterface) string {
	switch s.(type) {
	case *pytorch.LongStorage:
		return "int64"
	case *pytorch.IntStorage:
		return "int32"
	case *pytorch.ShortStorage:
		return "int16"
	case *pytorch.CharStorage:
		return "int8"
	case *pytorch.ByteStorage:
		return "uint8"
	case *pytorch.BoolStorage:
		return "bool"
	}
	return fmt.Sprintf("%T", s)
}

// ReadTensors reads a weights file in either format cbrnn accepts: a
// safetensors file (its metadata too) or a zip-format torch.save checkpoint
// (no metadata). Other formats get an error saying what the file is.
func ReadTensors(path string) ([]safetensors.Tensor, map[string]string, Format, error) {
	format, err := Sniff(path)
	if err != nil {
		return nil, nil, Unknown, err
	}
	switch format {
	case Safetensors:
		ts, meta, err := readSafetensors(path)
		return ts, meta, format, err
	case TorchZip, TorchLegacy:
		ts, err := ReadCheckpoint(path)
		return ts, nil, format, err
	}
	return nil, nil, Unknown, fmt.Errorf("%s is neither a safetensors file nor a torch.save checkpoint", path)
}

// Names lists the tensors' names, sorted, for messages.
func Names(ts []safetensors.Tensor) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	sort.Strings(out)
	return out
}

// readSafetensors reads a regular file no larger than the memory budget
// (the safetensors reader allocates no more than the bytes present).
func readSafetensors(path string) ([]safetensors.Tensor, map[string]string, error) {
	f, size, err := OpenRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if err := newAllowance(path, size).take("the safetensors file", 2*size); err != nil {
		return nil, nil, err
	}
	ts, meta, err := safetensors.Read(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}
