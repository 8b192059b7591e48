package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/google/renameio/v2"
)

// Tensor is one named float32 tensor in row-major order. For weight matrices
// cbrnn uses PyTorch's names and [out, in] layout.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// MaxHeaderLen bounds the JSON header a reader accepts (as the reference
// implementation does), so that a corrupt length cannot make Read allocate
// gigabytes.
const MaxHeaderLen = 100 << 20

const metadataKey = "__metadata__"

// dtypeSize lists every dtype of the format; only those in readable can be
// converted to float32.
var dtypeSize = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

var readable = map[string]bool{"F32": true, "F64": true, "F16": true, "BF16": true}

type headerEntry struct {
	Dtype       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// numel returns the number of elements of shape, or an error if a dimension
// is negative or the product overflows.
func numel(shape []int) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > math.MaxInt64/8/int64(d) {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n *= int64(d)
	}
	return n, nil
}

// Write encodes ts (in name order, F32) and meta to w. Names must be
// non-empty and unique, and each tensor's Data must hold exactly the number
// of elements its Shape implies. An empty or nil meta omits __metadata__.
func Write(w io.Writer, ts []Tensor, meta map[string]string) error {
	sorted := make([]Tensor, len(ts))
	copy(sorted, ts)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })

	header := make(map[string]any, len(ts)+1)
	if len(meta) > 0 {
		header[metadataKey] = meta
	}
	var off int64
	for i, t := range sorted {
		if t.Name == "" {
			return errors.New("safetensors: tensor with an empty name")
		}
		if t.Name == metadataKey {
			return fmt.Errorf("safetensors: %q is reserved and cannot name a tensor", metadataKey)
		}
		if i > 0 && sorted[i-1].Name == t.Name {
			return fmt.Errorf("safetensors: duplicate tensor name %q", t.Name)
		}
		n, err := numel(t.Shape)
		if err != nil {
			return fmt.Errorf("safetensors: tensor %q: %v", t.Name, err)
		}
		if n != int64(len(t.Data)) {
			return fmt.Errorf("safetensors: tensor %q: shape %v needs %d values, Data has %d", t.Name, t.Shape, n, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{} // a scalar is "shape": [], never null
		}
		header[t.Name] = headerEntry{Dtype: "F32", Shape: shape, DataOffsets: [2]int64{off, off + 4*n}}
		off += 4 * n
	}
	hj, err := json.Marshal(header) // maps marshal with sorted keys: deterministic bytes
	if err != nil {
		return fmt.Errorf("safetensors: encoding header: %v", err)
	}
	if pad := (8 - len(hj)%8) % 8; pad > 0 {
		hj = append(hj, bytes.Repeat([]byte{' '}, pad)...)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hj)))
	bw.Write(lenBuf[:])
	bw.Write(hj)
	var b [4]byte
	for _, t := range sorted {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			bw.Write(b[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// Read decodes a whole safetensors stream: the tensors (sorted by name,
// converted to float32) and the __metadata__ map (nil if absent). It checks
// the header length against MaxHeaderLen and against the bytes present, that
// the header is one JSON object with known fields, each dtype and shape, that
// shape × dtype size equals the span of data_offsets, and that the spans
// cover the data buffer exactly: in range, contiguous, without overlap or
// trailing bytes. Each error says what is wrong and with which tensor.
func Read(r io.Reader) ([]Tensor, map[string]string, error) {
	var lenBuf [8]byte
	if n, err := io.ReadFull(r, lenBuf[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil, fmt.Errorf("safetensors: truncated file: %d bytes, fewer than the 8-byte header length", n)
		}
		return nil, nil, fmt.Errorf("safetensors: reading header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > MaxHeaderLen {
		return nil, nil, fmt.Errorf("safetensors: header length %d exceeds the limit of %d bytes (corrupt file?)", hlen, MaxHeaderLen)
	}
	// Read through a LimitReader so that allocation follows the bytes that
	// really exist, not the length the file claims.
	hj, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: reading header: %w", err)
	}
	if uint64(len(hj)) < hlen {
		return nil, nil, fmt.Errorf("safetensors: header length %d is larger than the rest of the file (%d bytes): truncated or corrupt", hlen, len(hj))
	}
	entries, names, meta, err := parseHeader(hj)
	if err != nil {
		return nil, nil, err
	}

	// Validate dtypes, shapes and the layout of the data buffer.
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(names))
	for _, name := range names {
		e := entries[name]
		size, ok := dtypeSize[e.Dtype]
		if !ok {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, e.Dtype)
		}
		if !readable[e.Dtype] {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: dtype %s is not supported (only F32, F64, F16, BF16)", name, e.Dtype)
		}
		n, err := numel(e.Shape)
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %v", name, err)
		}
		b, en := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || en < b {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: invalid data_offsets [%d, %d]", name, b, en)
		}
		if n*int64(size) != en-b {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d", name, e.Shape, e.Dtype, n*int64(size), b, en, en-b)
		}
		spans = append(spans, span{name, b, en})
	}
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var end int64
	for i, s := range spans {
		if s.begin != end {
			if s.begin < end {
				return nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d", s.name, s.begin, s.end, spans[i-1].name, end)
			}
			return nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] are not contiguous: a gap of %d bytes precedes it", s.name, s.begin, s.end, s.begin-end)
		}
		end = s.end
	}

	data, err := io.ReadAll(io.LimitReader(r, end+1))
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: reading data: %w", err)
	}
	if int64(len(data)) < end {
		for _, s := range spans {
			if s.end > int64(len(data)) {
				return nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] out of range: the data buffer holds only %d bytes (truncated file?)", s.name, s.begin, s.end, len(data))
			}
		}
	}
	if int64(len(data)) > end {
		return nil, nil, fmt.Errorf("safetensors: trailing bytes after the last tensor, which ends at data offset %d", end)
	}

	ts := make([]Tensor, 0, len(names))
	for _, name := range names {
		e := entries[name]
		shape := append([]int{}, e.Shape...)
		ts = append(ts, Tensor{Name: name, Shape: shape, Data: decode(e.Dtype, data[e.DataOffsets[0]:e.DataOffsets[1]])})
	}
	return ts, meta, nil
}

// parseHeader decodes the header object key by key, so that duplicate keys,
// unknown or missing fields and trailing garbage are errors. names is sorted.
func parseHeader(hj []byte) (map[string]headerEntry, []string, map[string]string, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("safetensors: invalid JSON header: "+format, a...)
	}
	trimmed := bytes.TrimLeft(hj, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, nil, bad("does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(hj))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, nil, nil, bad("%v", err)
	}
	entries := map[string]headerEntry{}
	var meta map[string]string
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, nil, bad("%v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, nil, bad("expected a key, found %v", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, nil, bad("value of %q: %v", key, err)
		}
		if key == metadataKey {
			if seenMeta {
				return nil, nil, nil, bad("duplicate %q", metadataKey)
			}
			seenMeta = true
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, nil, bad("%s must map strings to strings: %v", metadataKey, err)
			}
			continue
		}
		if _, dup := entries[key]; dup {
			return nil, nil, nil, bad("duplicate tensor %q", key)
		}
		if key == "" {
			return nil, nil, nil, bad("tensor with an empty name")
		}
		var e struct {
			Dtype       *string  `json:"dtype"`
			Shape       *[]int   `json:"shape"`
			DataOffsets *[]int64 `json:"data_offsets"`
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, nil, nil, bad("tensor %q: %v", key, err)
		}
		switch {
		case e.Dtype == nil:
			return nil, nil, nil, bad("tensor %q: missing dtype", key)
		case e.Shape == nil || *e.Shape == nil:
			return nil, nil, nil, bad("tensor %q: missing shape", key)
		case e.DataOffsets == nil:
			return nil, nil, nil, bad("tensor %q: missing data_offsets", key)
		case len(*e.DataOffsets) != 2:
			return nil, nil, nil, bad("tensor %q: data_offsets must be [begin, end], got %v", key, *e.DataOffsets)
		}
		entries[key] = headerEntry{Dtype: *e.Dtype, Shape: *e.Shape, DataOffsets: [2]int64{(*e.DataOffsets)[0], (*e.DataOffsets)[1]}}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, nil, bad("%v", err)
	}
	if rest := bytes.TrimRight(hj[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, nil, nil, bad("unexpected bytes after the header object: %q", truncate(string(rest), 40))
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return entries, names, meta, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// decode converts little-endian raw bytes of a readable dtype to float32.
func decode(dtype string, raw []byte) []float32 {
	switch dtype {
	case "F32":
		out := make([]float32, len(raw)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return out
	case "F64":
		out := make([]float32, len(raw)/8)
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
		return out
	case "BF16":
		out := make([]float32, len(raw)/2)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
		return out
	case "F16":
		out := make([]float32, len(raw)/2)
		for i := range out {
			out[i] = halfToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		return out
	}
	panic("safetensors: decode of unreadable dtype " + dtype)
}

// halfToFloat32 converts an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0: // ±0
		return math.Float32frombits(sign)
	default: // subnormal: mant × 2^-24
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
}

// WriteFile writes ts and meta to path atomically, so that path holds
// either the old or the new content, whole. github.com/google/renameio/v2
// does the work, a well-kept library for exactly this: a temporary file in
// path's own directory (so the rename cannot cross file systems), fsynced,
// then renamed over path. renameio leaves the directory alone, so it is
// fsynced here to make the rename durable. (rundir.WriteFileAtomic does the
// same for whole byte slices; this package is below rundir and streams.)
func WriteFile(path string, ts []Tensor, meta map[string]string) error {
	dir := filepath.Dir(path)
	f, err := renameio.NewPendingFile(path,
		renameio.WithTempDir(dir), // renameio would otherwise try $TMPDIR first
		renameio.WithStaticPermissions(0o644))
	if err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", path, err)
	}
	defer f.Cleanup() // removes the temporary file unless it was renamed
	if err := Write(f, ts, meta); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: makes the rename durable
		d.Close()
	}
	return nil
}

// ReadFile reads the safetensors file at path; errors name the path.
func ReadFile(path string) ([]Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	ts, meta, err := Read(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}
