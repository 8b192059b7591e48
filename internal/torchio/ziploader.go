package torchio

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// loadZip unpickles a zip-format torch.save file, as gopickle's
// pytorch.LoadWithUnpickler does, but with every size the file declares
// checked before anything of that size is allocated: data.pkl's and each
// storage's uncompressed size against the file's size and the allowance,
// each storage's element count against its entry, and every length inside
// the pickle against the pickle's bytes. Entries are read through
// io.LimitReader at their declared size, so a deflate bomb stops there.
// gopickle's own loader allocates whatever the pickle declares.
func loadZip(f *os.File, size int64, a *allowance) (any, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s is truncated or damaged: its zip archive cannot be read (%v)", a.path, err)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	for _, e := range zr.File {
		entries[path.Base(e.Name)] = e
	}
	if _, ok := entries["constants.pkl"]; ok {
		return nil, fmt.Errorf("%s is a TorchScript archive (torch.jit.save), not a torch.save checkpoint", a.path)
	}
	pkl, ok := entries["data.pkl"]
	if !ok {
		return nil, fmt.Errorf("%s: a zip archive without data.pkl, so not a torch.save checkpoint", a.path)
	}
	if pkl.UncompressedSize64 > maxPickle {
		return nil, fmt.Errorf("%s: its data.pkl declares %d bytes, more than the %d a state dict's pickle may have: a damaged or crafted file", a.path, pkl.UncompressedSize64, maxPickle)
	}
	prog, err := readEntry(pkl, a)
	if err != nil {
		return nil, err
	}
	if err := checkPickle(prog); err != nil {
		return nil, fmt.Errorf("%s: data.pkl: %w", a.path, err)
	}
	u := pickle.NewUnpickler(bytes.NewReader(prog))
	u.FindClass = findClass
	loaded := map[string]pytorch.StorageInterface{}
	u.PersistentLoad = func(id any) (any, error) {
		s, err := storageRef(id)
		if err != nil {
			return nil, err
		}
		if st, ok := loaded[s.key]; ok {
			return st, nil
		}
		st, err := loadStorage(s, entries, a)
		if err != nil {
			return nil, err
		}
		loaded[s.key] = st
		return st, nil
	}
	return u.Load()
}

// readEntry reads a zip entry whole, after checking its declared size
// against the allowance, and never past that size.
func readEntry(e *zip.File, a *allowance) ([]byte, error) {
	n := int64(e.UncompressedSize64)
	if e.UncompressedSize64 > 1<<62 || e.Method == zip.Store && int64(e.CompressedSize64) != n {
		return nil, fmt.Errorf("%s: zip entry %s declares %d bytes stored in %d: a damaged or crafted file", a.path, e.Name, e.UncompressedSize64, e.CompressedSize64)
	}
	if err := a.take("zip entry "+e.Name, n); err != nil {
		return nil, err
	}
	rc, err := e.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: zip entry %s: %w", a.path, e.Name, err)
	}
	defer rc.Close()
	buf := make([]byte, n)
	if _, err := io.ReadFull(io.LimitReader(rc, n), buf); err != nil {
		return nil, fmt.Errorf("%s: zip entry %s is truncated or damaged: %w", a.path, e.Name, err)
	}
	return buf, nil
}

// storageID is torch.save's persistent id of a storage: ("storage",
// storage class, key, location, number of elements).
type storageID struct {
	class pytorch.StorageClassInterface
	key   string
	count int
}

func storageRef(id any) (storageID, error) {
	t, ok := id.(*types.Tuple)
	if !ok || t.Len() < 5 || t.Get(0) != "storage" {
		return storageID{}, fmt.Errorf("a persistent id %v that is not a storage", id)
	}
	class, ok1 := t.Get(1).(pytorch.StorageClassInterface)
	key, ok2 := t.Get(2).(string)
	count, ok3 := t.Get(4).(int)
	if !ok1 || !ok2 || !ok3 {
		return storageID{}, fmt.Errorf("a storage id %v of unexpected types", id)
	}
	return storageID{class, key, count}, nil
}

// loadStorage checks the element count a storage id declares against its
// zip entry and the allowance, then reads it.
func loadStorage(s storageID, entries map[string]*zip.File, a *allowance) (pytorch.StorageInterface, error) {
	e, ok := entries[s.key]
	if !ok {
		return nil, fmt.Errorf("storage %q has no data file in the archive: a damaged file", s.key)
	}
	raw, decoded := elemSize(s.class)
	n := mulLimit(int64(s.count), raw, 1<<62)
	if n < 0 || uint64(n) > e.UncompressedSize64 {
		return nil, fmt.Errorf("storage %q declares %d elements of %d bytes, but its data file holds %d bytes: a damaged or crafted file", s.key, s.count, raw, e.UncompressedSize64)
	}
	if err := a.take(fmt.Sprintf("storage %q (%d elements)", s.key, s.count), mulLimit(int64(s.count), decoded, 1<<62)); err != nil {
		return nil, err
	}
	buf, err := readEntry(e, a)
	if err != nil {
		return nil, err
	}
	st := s.class.New(s.count, "cpu")
	// A bytes.Reader fills every read, which gopickle's reader assumes.
	if err := st.SetFromFileWithSize(bytes.NewReader(buf[:n]), s.count); err != nil {
		return nil, fmt.Errorf("storage %q: %w", s.key, err)
	}
	return st, nil
}

// elemSize is the bytes of one element of a storage class in the file,
// and in memory once gopickle decodes it.
func elemSize(c pytorch.StorageClassInterface) (raw, decoded int64) {
	switch c.(type) {
	case *pytorch.DoubleStorageClass, *pytorch.LongStorageClass:
		return 8, 8
	case *pytorch.FloatStorageClass, *pytorch.IntStorageClass:
		return 4, 4
	case *pytorch.HalfStorageClass, *pytorch.BFloat16StorageClass:
		return 2, 4
	case *pytorch.ShortStorageClass:
		return 2, 2
	}
	return 1, 1 // Char, Byte, Bool
}

// findClass resolves the classes a state dict's pickle refers to: PyTorch's
// storages and tensor rebuilders, nn.Parameter, and any other class as a
// generic one (an OrderedDict's class, for one).
func findClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return &pytorch.RebuildTensorV2{}, nil
	case "torch._utils._rebuild_parameter":
		// torch.save of an nn.Parameter: (data, requires_grad, hooks).
		return callable(func(args ...any) (any, error) {
			if len(args) < 1 {
				return nil, fmt.Errorf("_rebuild_parameter without arguments")
			}
			return args[0], nil
		}), nil
	case "torch.FloatStorage":
		return &pytorch.FloatStorageClass{}, nil
	case "torch.HalfStorage":
		return &pytorch.HalfStorageClass{}, nil
	case "torch.DoubleStorage":
		return &pytorch.DoubleStorageClass{}, nil
	case "torch.BFloat16Storage":
		return &pytorch.BFloat16StorageClass{}, nil
	case "torch.CharStorage":
		return &pytorch.CharStorageClass{}, nil
	case "torch.ShortStorage":
		return &pytorch.ShortStorageClass{}, nil
	case "torch.IntStorage":
		return &pytorch.IntStorageClass{}, nil
	case "torch.LongStorage":
		return &pytorch.LongStorageClass{}, nil
	case "torch.ByteStorage":
		return &pytorch.ByteStorageClass{}, nil
	case "torch.BoolStorage":
		return &pytorch.BoolStorageClass{}, nil
	}
	return types.NewGenericClass(module, name), nil
}
