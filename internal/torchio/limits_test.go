package torchio

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// rezip writes a copy of the zip-format checkpoint src to dst, with the
// entries whose base name is in replace swapped for new contents, deflated
// where deflate says so.
func rezip(t *testing.T, src, dst string, replace map[string][]byte, deflate map[string]bool) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, e := range zr.File {
		data, ok := replace[filepath.Base(e.Name)]
		if !ok {
			rc, _ := e.Open()
			data, _ = io.ReadAll(rc)
			rc.Close()
		}
		method := zip.Store
		if deflate[filepath.Base(e.Name)] {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// barePickle is testdata/bare.pt's data.pkl: a state dict whose
// "inp.weight" is a FloatStorage "0" of 6 elements (BININT1 6 at byte 142)
// viewed with size (3, 2) (bytes 150–154) and stride (2, 1) (157–161).
func barePickle(t *testing.T) []byte {
	t.Helper()
	zr, err := zip.OpenReader("testdata/bare.pt")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, e := range zr.File {
		if filepath.Base(e.Name) == "data.pkl" {
			rc, _ := e.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(b[142:144], []byte{'K', 6}) || !bytes.Equal(b[150:155], []byte{'K', 3, 'K', 2, 0x86}) || !bytes.Equal(b[157:162], []byte{'K', 2, 'K', 1, 0x86}) {
				t.Fatalf("testdata/bare.pt's data.pkl is not laid out as this test expects")
			}
			return b
		}
	}
	t.Fatal("no data.pkl")
	return nil
}

// long1 is the pickle opcode LONG1 for a non-negative n.
func long1(n uint64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	k := 8
	for k > 1 && b[k-1] == 0 {
		k--
	}
	if b[k-1]&0x80 != 0 {
		k++
	}
	return append([]byte{0x8a, byte(k)}, b[:k]...)
}

func splice(b []byte, from, to int, with []byte) []byte {
	return append(append(append([]byte{}, b[:from]...), with...), b[to:]...)
}

// TestReadCheckpointCrafted: every size a crafted checkpoint declares is
// checked against what the file holds before anything is allocated.
func TestReadCheckpointCrafted(t *testing.T) {
	pkl := barePickle(t)
	dir := t.TempDir()
	u8 := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	for _, tc := range []struct {
		name string
		pkl  []byte
		want []string
	}{
		{"storage of 2^33 floats", splice(pkl, 142, 144, long1(1<<33)), []string{`storage "0" declares 8589934592 elements`, "holds 24 bytes", "crafted"}},
		{"tensor of 2^40 elements over one storage (strides 0)",
			splice(splice(pkl, 157, 161, []byte{'K', 0, 'K', 0}), 150, 154, append(long1(1<<20), long1(1<<20)...)),
			[]string{`tensor "inp.weight" of size [1048576 1048576]`, "crafted"}},
		{"a 2^40-byte string", append([]byte{0x80, 2, 0x8e}, append(u8(1<<40), "x."...)...), []string{"declares 1099511627776 bytes", "truncated, damaged or crafted"}},
		{"a 2^40-byte frame", append([]byte{0x80, 4, 0x95}, append(u8(1<<40), "N."...)...), []string{"declares 1099511627776 bytes"}},
		{"a pickle cut short", pkl[:100], []string{"truncated or damaged"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".pt")
			rezip(t, "testdata/bare.pt", path, map[string][]byte{"data.pkl": tc.pkl}, nil)
			_, err := ReadCheckpoint(path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestReadCheckpointDeflateBomb: a storage entry deflated from 64 MiB of
// zeros (a few hundred kB on disk), declared honestly, is refused by the
// budget before it is inflated, and the reader never holds it.
func TestReadCheckpointDeflateBomb(t *testing.T) {
	const n = 16 << 20 // float32 elements: 64 MiB
	pkl := splice(barePickle(t), 142, 144, long1(n))
	path := filepath.Join(t.TempDir(), "bomb.pt")
	rezip(t, "testdata/bare.pt", path, map[string][]byte{"data.pkl": pkl, "0": make([]byte, 4*n)}, map[string]bool{"0": true})
	defer func(old int64) { maxDecoded = old }(maxDecoded)
	maxDecoded = 16 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadCheckpoint(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "budget") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming the file and the budget", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("the reader allocated %d MiB before refusing the file", grew>>20)
	}
}

// TestReadNpyCrafted: an object .npy's pickle is checked before it runs,
// and its values may not outnumber its bytes.
func TestReadNpyCrafted(t *testing.T) {
	npy := func(pkl []byte) []byte {
		h := "{'descr': '|O', 'fortran_order': False, 'shape': (), }"
		h += strings.Repeat(" ", 63-len(h)) + "\n"
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), 0)
		return append(append(b, h...), pkl...)
	}
	// [[…[[], []]…], […]]: 40 levels of a list holding its inner list
	// twice, 2^40 leaves for a few hundred bytes.
	laughs := []byte{0x80, 2, ']', 'q', 0}
	for i := 0; i < 40; i++ {
		laughs = append(laughs, ']', '(', 'h', byte(i), 'h', byte(i), 'e', 'q', byte(i+1))
	}
	laughs = append(laughs, '.')
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		pkl  []byte
		want string
	}{
		{"a 2^40-byte string", append([]byte{0x80, 2, 0x8d}, append(binary.LittleEndian.AppendUint64(nil, 1<<40), '.')...), "declares 1099511627776 bytes"},
		{"nested shared lists", laughs, "more values than the pickle has bytes"},
		{"cut short", laughs[:50], "truncated or damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("%d.npy", len(tc.pkl)))
			os.WriteFile(path, npy(tc.pkl), 0o644)
			_, err := ReadNpyObject(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want %q and the file's name", err, tc.want)
			}
		})
	}
}
