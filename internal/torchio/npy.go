package torchio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// ReadNpyObject reads a .npy file that np.save wrote from a Python object
// (dtype object, e.g. np.save("stats.npy", {"n_task": [...], ...})) and
// returns the object as plain Go values: map[string]any for a dict, []any
// for a list or tuple, int64, float64 (NaN and ±Inf kept), string, bool or
// nil; NumPy scalars become int64 / float64 / bool, and NumPy arrays of
// numbers []any of those. A 0-d object array (what np.save makes of a dict)
// gives its single item.
//
// The format (NumPy's NEP 1): the magic "\x93NUMPY", a version, the length
// of a header that is a Python dict literal {'descr', 'fortran_order',
// 'shape'}, then for dtype object a pickle of the array.
func ReadNpyObject(path string) (any, error) {
	f, size, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(io.LimitReader(f, size))
	header, err := npyHeader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !strings.Contains(header, "'descr': '|O'") {
		return nil, fmt.Errorf("%s: a .npy of plain numbers (header %s), not of a pickled Python object", path, strings.TrimSpace(header))
	}
	prog, err := readPickle(r, size, path)
	if err != nil {
		return nil, err
	}
	u := pickle.NewUnpickler(bytes.NewReader(prog))
	u.FindClass = numpyClass
	obj, err := u.Load()
	if err != nil {
		return nil, fmt.Errorf("%s: unpickling: %w", path, err)
	}
	// Each plain value costs the pickle at least one byte, unless it is
	// shared; a pickle that nests shared lists (a "billion laughs") would
	// otherwise expand exponentially here.
	budget := len(prog) + 16
	v, err := plain(obj, &budget)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// readPickle reads the rest of a .npy stream, the pickle of its object
// array, bounded by the file's size, and checks the program's declared
// lengths before anything unpickles it.
func readPickle(r io.Reader, size int64, path string) ([]byte, error) {
	if size > maxPickle {
		return nil, fmt.Errorf("%s holds %d bytes, more than the %d an object .npy of per-epoch lists may have", path, size, maxPickle)
	}
	prog, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkPickle(prog); err != nil {
		return nil, fmt.Errorf("%s: the object array's %w", path, err)
	}
	return prog, nil
}

var npyMagic = []byte("\x93NUMPY")

// npyHeader reads the magic, version and header of a .npy stream.
func npyHeader(r io.Reader) (string, error) {
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return "", fmt.Errorf("not a .npy file (too short): %w", err)
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		return "", fmt.Errorf("not a .npy file (no \\x93NUMPY magic)")
	}
	var n int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", err
		}
		n = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", err
		}
		n = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return "", fmt.Errorf(".npy format version %d.%d unknown", pre[6], pre[7])
	}
	if n > 1<<20 {
		return "", fmt.Errorf(".npy header of %d bytes: corrupt file?", n)
	}
	h := make([]byte, n)
	if _, err := io.ReadFull(r, h); err != nil {
		return "", fmt.Errorf("truncated .npy header: %w", err)
	}
	return string(h), nil
}

// numpyClass resolves the NumPy names an object array's pickle refers to
// (numpy.core.* in NumPy 1, numpy._core.* in NumPy 2).
func numpyClass(module, name string) (any, error) {
	module = strings.Replace(module, "numpy._core", "numpy.core", 1)
	switch module + "." + name {
	case "numpy.core.multiarray._reconstruct":
		return callable(func(args ...any) (any, error) { return &ndarray{}, nil }), nil
	case "numpy.ndarray":
		return types.NewGenericClass(module, name), nil
	case "numpy.dtype":
		return callable(func(args ...any) (any, error) {
			if len(args) < 1 {
				return nil, fmt.Errorf("numpy.dtype without arguments")
			}
			s, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("numpy.dtype(%v): want a type string", args[0])
			}
			return &dtype{kind: s, order: '<'}, nil
		}), nil
	case "numpy.core.multiarray.scalar":
		return callable(numpyScalar), nil
	}
	return nil, fmt.Errorf("the pickle refers to %s.%s, which a NumPy object array of plain Python values does not use", module, name)
}

// dtype is a NumPy dtype as far as scalars and numeric arrays need it.
type dtype struct {
	kind  string // "f8", "i8", "O8", "b1", …
	order byte   // '<', '>', '|' or '='
}

// PySetState takes numpy.dtype's state: (version, byteorder, …).
func (d *dtype) PySetState(state any) error {
	t, ok := state.(*types.Tuple)
	if !ok || t.Len() < 2 {
		return fmt.Errorf("numpy.dtype state %v unexpected", state)
	}
	if s, ok := t.Get(1).(string); ok && len(s) == 1 {
		d.order = s[0]
	}
	return nil
}

// value decodes one element of this dtype from raw bytes.
func (d *dtype) value(b []byte) (any, error) {
	var bo binary.ByteOrder = binary.LittleEndian
	if d.order == '>' {
		bo = binary.BigEndian
	}
	if len(d.kind) < 2 {
		return nil, fmt.Errorf("numpy dtype %q unsupported", d.kind)
	}
	size := 0
	fmt.Sscanf(d.kind[1:], "%d", &size)
	if size <= 0 || len(b) < size {
		return nil, fmt.Errorf("numpy dtype %q: %d bytes for one element", d.kind, len(b))
	}
	switch d.kind[0] {
	case 'f':
		switch size {
		case 8:
			return math.Float64frombits(bo.Uint64(b)), nil
		case 4:
			return float64(math.Float32frombits(bo.Uint32(b))), nil
		}
	case 'i':
		switch size {
		case 8:
			return int64(bo.Uint64(b)), nil
		case 4:
			return int64(int32(bo.Uint32(b))), nil
		case 2:
			return int64(int16(bo.Uint16(b))), nil
		case 1:
			return int64(int8(b[0])), nil
		}
	case 'u':
		switch size {
		case 8:
			return int64(bo.Uint64(b)), nil
		case 4:
			return int64(bo.Uint32(b)), nil
		case 2:
			return int64(bo.Uint16(b)), nil
		case 1:
			return int64(b[0]), nil
		}
	case 'b':
		return b[0] != 0, nil
	}
	return nil, fmt.Errorf("numpy dtype %q unsupported (want float, int, uint or bool)", d.kind)
}

// numpyScalar is numpy.core.multiarray.scalar(dtype, raw bytes).
func numpyScalar(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("numpy scalar with %d arguments", len(args))
	}
	d, ok := args[0].(*dtype)
	if !ok {
		return nil, fmt.Errorf("numpy scalar of dtype %v", args[0])
	}
	raw, err := rawBytes(args[1])
	if err != nil {
		return nil, err
	}
	return d.value(raw)
}

// rawBytes accepts Python 3 bytes (and latin-1 str, which protocol 2
// pickles use for bytes).
func rawBytes(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case *types.ByteArray:
		return []byte(*b), nil
	case string:
		out := make([]byte, 0, len(b))
		for _, r := range b {
			out = append(out, byte(r))
		}
		return out, nil
	}
	return nil, fmt.Errorf("raw data of type %T", v)
}

// ndarray is a NumPy array rebuilt from its pickle.
type ndarray struct {
	shape []int
	items []any
}

// PySetState takes ndarray's state: (version, shape, dtype, is_fortran,
// data), data a list for object arrays and raw bytes otherwise.
func (a *ndarray) PySetState(state any) error {
	t, ok := state.(*types.Tuple)
	if !ok || t.Len() != 5 {
		return fmt.Errorf("numpy array state %v unexpected", state)
	}
	shape, ok := t.Get(1).(*types.Tuple)
	if !ok {
		return fmt.Errorf("numpy array shape %v unexpected", t.Get(1))
	}
	for _, s := range *shape {
		n, ok := s.(int)
		if !ok {
			return fmt.Errorf("numpy array shape %v unexpected", shape)
		}
		a.shape = append(a.shape, n)
	}
	if fortran, _ := t.Get(3).(bool); fortran && len(a.shape) > 1 {
		return fmt.Errorf("Fortran-ordered numpy arrays are not supported")
	}
	switch data := t.Get(4).(type) {
	case *types.List:
		a.items = append(a.items, (*data)...)
		return nil
	default:
		d, ok := t.Get(2).(*dtype)
		if !ok {
			return fmt.Errorf("numpy array dtype %v unexpected", t.Get(2))
		}
		raw, err := rawBytes(data)
		if err != nil {
			return err
		}
		size := 0
		fmt.Sscanf(d.kind[1:], "%d", &size)
		if size <= 0 || len(raw)%size != 0 {
			return fmt.Errorf("numpy array of dtype %q holds %d bytes", d.kind, len(raw))
		}
		for i := 0; i < len(raw); i += size {
			v, err := d.value(raw[i : i+size])
			if err != nil {
				return err
			}
			a.items = append(a.items, v)
		}
		return nil
	}
}

var safeKey = regexp.MustCompile(`^[\x20-\x7e]*$`)

// plain converts unpickled values to plain Go values.
func plain(v any, budget *int) (any, error) {
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("more values than the pickle has bytes: shared lists nested to expand without bound (a crafted file)")
	}
	switch x := v.(type) {
	case nil, string, bool, float64, int64:
		return x, nil
	case int:
		return int64(x), nil
	case *big.Int:
		if !x.IsInt64() {
			return nil, fmt.Errorf("integer %s does not fit in 64 bits", x)
		}
		return x.Int64(), nil
	case *types.List:
		return plainList(*x, budget)
	case *types.Tuple:
		return plainList(*x, budget)
	case *types.Dict:
		out := make(map[string]any, len(*x))
		for _, e := range *x {
			k, ok := e.Key.(string)
			if !ok || !safeKey.MatchString(k) {
				return nil, fmt.Errorf("dict key %v is not a plain string", e.Key)
			}
			pv, err := plain(e.Value, budget)
			if err != nil {
				return nil, fmt.Errorf("[%q]: %w", k, err)
			}
			out[k] = pv
		}
		return out, nil
	case *ndarray:
		if len(x.shape) == 0 {
			if len(x.items) != 1 {
				return nil, fmt.Errorf("0-d numpy array with %d items", len(x.items))
			}
			return plain(x.items[0], budget)
		}
		if len(x.shape) > 1 {
			return nil, fmt.Errorf("%d-d numpy arrays are not supported (shape %v)", len(x.shape), x.shape)
		}
		if x.shape[0] != len(x.items) {
			return nil, fmt.Errorf("a numpy array of shape %v holds %d items: a damaged file", x.shape, len(x.items))
		}
		return plainList(x.items, budget)
	}
	return nil, fmt.Errorf("value of type %s is not plain data", describe(v))
}

func plainList(xs []any, budget *int) ([]any, error) {
	out := make([]any, len(xs))
	for i, x := range xs {
		v, err := plain(x, budget)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}
