package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cbrnn/cbrnn/safetensors"
)

type testConfig struct {
	Task   string  `json:"task"`
	Hidden int     `json:"hidden"`
	LR     float64 `json:"lr"`
	Seed   uint64  `json:"seed"`
}

var cfgA = testConfig{Task: "dms", Hidden: 8, LR: 0.01, Seed: 1<<63 + 1}

func newDir(t *testing.T) *Dir {
	t.Helper()
	d, err := Create(filepath.Join(t.TempDir(), "a", "run"), cfgA)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestHashIsOrderIndependent(t *testing.T) {
	fromStruct, err := Hash(cfgA)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []any{
		map[string]any{"seed": uint64(1<<63 + 1), "lr": 0.01, "hidden": 8, "task": "dms"},
		map[string]any{"task": "dms", "hidden": 8.0, "lr": 0.01, "seed": uint64(1<<63 + 1)},
		struct {
			Seed   uint64  `json:"seed"`
			LR     float64 `json:"lr"`
			Task   string  `json:"task"`
			Hidden int     `json:"hidden"`
		}{1<<63 + 1, 0.01, "dms", 8},
	} {
		h, err := Hash(c)
		if err != nil {
			t.Fatal(err)
		}
		if h != fromStruct {
			t.Errorf("Hash(%v) = %s, Hash(struct) = %s", c, h, fromStruct)
		}
	}
	if len(fromStruct) != 16 {
		t.Errorf("hash %q is not 16 hex digits", fromStruct)
	}
	other := cfgA
	other.Seed++ // beyond float64's precision: only UseNumber tells them apart
	if h, _ := Hash(other); h == fromStruct {
		t.Error("configs differing in a large seed hash the same")
	}
	if _, err := Hash(func() {}); err == nil {
		t.Error("Hash of a func succeeded")
	}
}

func TestCreateAndOpen(t *testing.T) {
	base := t.TempDir()
	path := filepath.Join(base, "x", "run")
	d, err := Create(path, cfgA)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(path, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"hidden\": 8,\n  \"lr\": 0.01,\n  \"seed\": 9223372036854775809,\n  \"task\": \"dms\"\n}\n"; string(b) != want {
		t.Errorf("config.json = %q, want %q", b, want)
	}
	if js, err := d.ConfigJSON(); err != nil || string(js) != `{"hidden":8,"lr":0.01,"seed":9223372036854775809,"task":"dms"}` {
		t.Errorf("ConfigJSON = %s, %v", js, err)
	}

	// The same config again, even as a map: the run is resumed.
	if _, err := Create(path, map[string]any{"task": "dms", "seed": uint64(1<<63 + 1), "hidden": 8, "lr": 0.01}); err != nil {
		t.Errorf("re-creating the same run: %v", err)
	}
	o, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var got testConfig
	if err := o.ReadConfig(&got); err != nil || got != cfgA {
		t.Errorf("ReadConfig = %+v, %v", got, err)
	}
	if entries, _ := os.ReadDir(path); len(entries) != 1 {
		t.Errorf("run directory holds %d entries, want config.json only", len(entries))
	}

	// A different config is refused, naming both hashes and the key.
	other := cfgA
	other.Hidden = 9
	_, err = Create(path, other)
	hA, _ := Hash(cfgA)
	hB, _ := Hash(other)
	wantErr(t, err, hA, hB, `"hidden"`)
	if b2, _ := os.ReadFile(filepath.Join(path, ConfigFile)); string(b2) != string(b) {
		t.Error("a mismatched Create changed config.json")
	}
	_, err = Create(path, map[string]any{"task": "dms", "hidden": 8, "lr": 0.01, "seed": uint64(1<<63 + 1), "extra": 1})
	wantErr(t, err, `"extra"`, "absent from the existing config")

	// A corrupt config.json: Create and Open fail and leave it alone.
	bad := filepath.Join(base, "bad")
	os.Mkdir(bad, 0o755)
	corrupt := []byte(`{"task": "dms", "hid`)
	os.WriteFile(filepath.Join(bad, ConfigFile), corrupt, 0o644)
	_, err = Create(bad, cfgA)
	wantErr(t, err, "corrupt", bad)
	if b2, _ := os.ReadFile(filepath.Join(bad, ConfigFile)); string(b2) != string(corrupt) {
		t.Error("Create overwrote a corrupt config.json")
	}

	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"missing", filepath.Join(base, "nope"), []string{"not a cbrnn run directory", "does not exist"}},
		{"no config", filepath.Join(base, "x"), []string{"not a cbrnn run directory", "no config.json"}},
		{"a file", filepath.Join(path, ConfigFile), []string{"not a cbrnn run directory", "not a directory"}},
		{"corrupt", bad, []string{"not a cbrnn run directory", "corrupt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.path)
			wantErr(t, err, tc.want...)
		})
	}
}

type rec struct {
	Epoch int     `json:"epoch"`
	Loss  float64 `json:"loss"`
}

func TestStats(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content string // stats.jsonl before; "-" = missing
		want    int    // records read
		kept    string // content kept by AppendStats(rec{want + 1, 0}), which appends its line
	}{
		{"missing", "-", 0, ""},
		{"empty", "", 0, ""},
		{"whole", `{"epoch":1}` + "\n", 1, `{"epoch":1}` + "\n"},
		{"torn, no newline", `{"epoch":1}` + "\n" + `{"epo`, 1, `{"epoch":1}` + "\n"},
		{"torn, only line", `{"epo`, 0, ""},
		{"torn, invalid with newline", `{"epoch":1}` + "\n" + "{\"ep\x00\x00\n", 1, `{"epoch":1}` + "\n"},
		{"torn, empty last line", `{"epoch":1}` + "\n\n", 1, `{"epoch":1}` + "\n"},
		{"long lines", `{"epoch":1,"pad":"` + strings.Repeat("x", 5000) + `"}` + "\n" + `{"epoch":2,"pad":"` + strings.Repeat("x", 5000) + `"}` + "\n" + `{"epoch":3,"pad":"` + strings.Repeat("y", 9000),
			2, `{"epoch":1,"pad":"` + strings.Repeat("x", 5000) + `"}` + "\n" + `{"epoch":2,"pad":"` + strings.Repeat("x", 5000) + `"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDir(t)
			p := filepath.Join(d.Path, StatsFile)
			if tc.content != "-" {
				os.WriteFile(p, []byte(tc.content), 0o644)
			}
			got, err := ReadStats[rec](d)
			if err != nil || len(got) != tc.want || got == nil {
				t.Fatalf("ReadStats = %v (%d records), %v; want %d", got, len(got), err, tc.want)
			}
			if err := d.AppendStats(rec{tc.want + 1, 0}); err != nil {
				t.Fatal(err)
			}
			after := tc.kept + fmt.Sprintf(`{"epoch":%d,"loss":0}`, tc.want+1) + "\n"
			if b, _ := os.ReadFile(p); string(b) != after {
				t.Errorf("after AppendStats: %.100q, want %.100q", b, after)
			}
			got, err = ReadStats[rec](d)
			if err != nil || len(got) != tc.want+1 || got[tc.want].Epoch != tc.want+1 {
				t.Errorf("ReadStats after append = %v, %v", got, err)
			}
		})
	}
}

func TestStatsCorruptMiddleLine(t *testing.T) {
	d := newDir(t)
	p := filepath.Join(d.Path, StatsFile)
	os.WriteFile(p, []byte(`{"epoch":1}`+"\n"+`{"epo`+"\n"+`{"epoch":3}`+"\n"), 0o644)
	_, err := ReadStats[rec](d)
	wantErr(t, err, "line 2", p, "corrupt")
	wantErr(t, d.TruncateStats(1), "line 2")

	os.WriteFile(p, []byte(`{"epoch":1}`+"\n"+`{"epoch":"two"}`+"\n"), 0o644)
	_, err = ReadStats[rec](d)
	wantErr(t, err, "line 2", p)
}

func TestTruncateStats(t *testing.T) {
	d := newDir(t)
	if err := d.TruncateStats(0); err != nil {
		t.Errorf("TruncateStats(0) without a stats file: %v", err)
	}
	for i := 1; i <= 5; i++ {
		if err := d.AppendStats(rec{Epoch: i}); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := os.OpenFile(filepath.Join(d.Path, StatsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"epoch":6,"lo`)
	f.Close()
	wantErr(t, d.TruncateStats(6), "5 complete records", "6")
	for _, n := range []int{5, 3, 3, 0} {
		if err := d.TruncateStats(n); err != nil {
			t.Fatal(err)
		}
		got, err := ReadStats[rec](d)
		if err != nil || len(got) != n {
			t.Fatalf("after TruncateStats(%d): %v, %v", n, got, err)
		}
		for i, r := range got {
			if r.Epoch != i+1 {
				t.Errorf("record %d = %+v", i, r)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(d.Path, StatsFile)); len(b) != 0 {
		t.Errorf("stats after TruncateStats(0) = %q", b)
	}
	assertNoStrays(t, d)
}

func tensors(v float32) []safetensors.Tensor {
	return []safetensors.Tensor{
		{Name: "fc.weight", Shape: []int{2, 2}, Data: []float32{v, v, v, v}},
		{Name: "momentum/fc.weight", Shape: []int{2, 2}, Data: []float32{-v, -v, -v, -v}},
	}
}

type stateMeta struct {
	Epoch int `json:"epoch"`
}

// assertNoStrays checks that the run directory holds no temporary file and
// at most one state tensors file, the one state.json names.
func assertNoStrays(t *testing.T, d *Dir) {
	t.Helper()
	var sf stateFile
	if b, err := os.ReadFile(filepath.Join(d.Path, StateFile)); err == nil {
		if err := json.Unmarshal(b, &sf); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{d.Path, filepath.Join(d.Path, CheckpointsDir)} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			n := e.Name()
			if strings.HasPrefix(n, ".") || (dir == d.Path && isStateTensors(n) && n != sf.Tensors) {
				t.Errorf("stray file %s in %s", n, dir)
			}
		}
	}
}

func TestState(t *testing.T) {
	d := newDir(t)
	var m stateMeta
	if ts, found, err := d.LoadState(&m); ts != nil || found || err != nil {
		t.Fatalf("LoadState of a new run = %v, %v, %v", ts, found, err)
	}
	for epoch := 1; epoch <= 3; epoch++ {
		if err := d.SaveState(stateMeta{epoch}, tensors(float32(epoch))); err != nil {
			t.Fatal(err)
		}
		ts, found, err := d.LoadState(&m)
		if err != nil || !found || m.Epoch != epoch || !reflect.DeepEqual(ts, tensors(float32(epoch))) {
			t.Fatalf("LoadState = %v, %v, %v, meta %+v", ts, found, err, m)
		}
		assertNoStrays(t, d)
	}

	// A kill between writing the new tensors file and state.json leaves a
	// stray tensors file and the old state.json, plus temporary files: the
	// old pair is loaded, and the next SaveState clears the debris.
	stray := filepath.Join(d.Path, "state-0123456789abcdef.safetensors")
	if err := safetensors.WriteFile(stray, tensors(4), nil); err != nil {
		t.Fatal(err)
	}
	// Temporary names as renameio makes them ("." + name + digits) and as
	// rundir made them before renameio ("." + name + ".tmp" + suffix).
	for _, name := range []string{".state.json.tmp123", ".state-00000000000000fe.safetensors.tmp9", ".stats.jsonl.tmp1", ".done.json.tmp2",
		".state.json8674665223082153551", ".state-00000000000000fe.safetensors42", ".done.json7"} {
		os.WriteFile(filepath.Join(d.Path, name), []byte("{half"), 0o644)
	}
	os.Mkdir(filepath.Join(d.Path, CheckpointsDir), 0o755)
	os.WriteFile(filepath.Join(d.Path, CheckpointsDir, ".N004.safetensors.tmp7"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(d.Path, CheckpointsDir, ".N005.safetensors123"), []byte("x"), 0o644)
	freshConfigTmp := filepath.Join(d.Path, ".config.json5")
	os.WriteFile(freshConfigTmp, []byte("{"), 0o644)
	ts, found, err := d.LoadState(&m)
	if err != nil || !found || m.Epoch != 3 || !reflect.DeepEqual(ts, tensors(3)) {
		t.Fatalf("LoadState with a stray file = %v, %v, %v, meta %+v", ts, found, err, m)
	}
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{".config.json.tmp6", ".config.json66"} {
		p := filepath.Join(d.Path, name)
		os.WriteFile(p, []byte("{"), 0o644)
		os.Chtimes(p, old, old)
	}
	if err := d.SaveState(stateMeta{4}, tensors(4)); err != nil {
		t.Fatal(err)
	}
	// A young temporary config is kept: a concurrent Create may own it.
	if _, err := os.Stat(freshConfigTmp); err != nil {
		t.Errorf("SaveState deleted a fresh temporary config: %v", err)
	}
	os.Remove(freshConfigTmp)
	assertNoStrays(t, d)

	// state.json naming a missing or corrupt tensors file, or corrupt itself.
	var sf stateFile
	b, _ := os.ReadFile(filepath.Join(d.Path, StateFile))
	json.Unmarshal(b, &sf)
	os.WriteFile(filepath.Join(d.Path, sf.Tensors), []byte("garbage!garbage!"), 0o644)
	_, _, err = d.LoadState(&m)
	wantErr(t, err, sf.Tensors)
	os.Remove(filepath.Join(d.Path, sf.Tensors))
	_, _, err = d.LoadState(&m)
	wantErr(t, err, sf.Tensors)
	os.WriteFile(filepath.Join(d.Path, StateFile), []byte(`{"tensors": "../../etc/passwd", "meta": {}}`), 0o644)
	_, _, err = d.LoadState(&m)
	wantErr(t, err, "invalid tensors file")
	os.WriteFile(filepath.Join(d.Path, StateFile), []byte(`{"tens`), 0o644)
	_, _, err = d.LoadState(&m)
	wantErr(t, err, StateFile, "damaged", "not valid JSON")
}

func TestCheckpoints(t *testing.T) {
	d := newDir(t)
	if ns, err := d.CheckpointNs(); err != nil || len(ns) != 0 {
		t.Errorf("CheckpointNs of a new run = %v, %v", ns, err)
	}
	_, _, err := d.LoadCheckpoint(2)
	wantErr(t, err, "no checkpoint for N=2", "available: none")
	for _, n := range []int{12, 3, 1000, 5, 2} {
		meta := map[string]string{"epoch": "7"}
		if n == 5 {
			meta["n"] = "five"
		}
		if err := d.SaveCheckpoint(n, tensors(float32(n)), meta); err != nil {
			t.Fatal(err)
		}
		if len(meta) != 1+btoi(n == 5) {
			t.Error("SaveCheckpoint modified the caller's meta")
		}
	}
	if err := d.SaveCheckpoint(3, tensors(33), nil); err != nil { // overwrite
		t.Fatal(err)
	}
	// Files that are not checkpoints are ignored.
	for _, name := range []string{"N7.safetensors", "Nx.safetensors", "N008.json", ".N009.safetensors.tmp1"} {
		os.WriteFile(filepath.Join(d.Path, CheckpointsDir, name), nil, 0o644)
	}
	ns, err := d.CheckpointNs()
	if err != nil || !slices.Equal(ns, []int{2, 3, 5, 12, 1000}) {
		t.Errorf("CheckpointNs = %v, %v", ns, err)
	}
	if _, err := os.Stat(filepath.Join(d.Path, CheckpointsDir, "N002.safetensors")); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		n    int
		v    float32
		meta map[string]string
	}{
		{2, 2, map[string]string{"n": "2", "epoch": "7"}},
		{3, 33, map[string]string{"n": "3"}},
		{5, 5, map[string]string{"n": "five", "epoch": "7"}},
		{1000, 1000, map[string]string{"n": "1000", "epoch": "7"}},
	} {
		ts, meta, err := d.LoadCheckpoint(tc.n)
		if err != nil || !reflect.DeepEqual(ts, tensors(tc.v)) || !reflect.DeepEqual(meta, tc.meta) {
			t.Errorf("LoadCheckpoint(%d) = %v, %v, %v", tc.n, ts, meta, err)
		}
	}
	_, _, err = d.LoadCheckpoint(4)
	wantErr(t, err, "no checkpoint for N=4", "available: 2, 3, 5, 12, 1000")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing checkpoint error %v does not wrap fs.ErrNotExist", err)
	}

	corrupt := filepath.Join(d.Path, CheckpointsDir, "N012.safetensors")
	b, _ := os.ReadFile(corrupt)
	os.WriteFile(corrupt, b[:len(b)-3], 0o644)
	_, _, err = d.LoadCheckpoint(12)
	wantErr(t, err, corrupt, "N=12", "truncated")
	if errors.Is(err, fs.ErrNotExist) {
		t.Error("a corrupt checkpoint reads as missing")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestDone(t *testing.T) {
	d := newDir(t)
	if done, err := d.Done(); done || err != nil {
		t.Errorf("Done of a new run = %v, %v", done, err)
	}
	var m stateMeta
	wantErr(t, d.ReadDone(&m), DoneFile)
	if err := d.MarkDone(stateMeta{Epoch: 12}); err != nil {
		t.Fatal(err)
	}
	if done, err := d.Done(); !done || err != nil {
		t.Errorf("Done after MarkDone = %v, %v", done, err)
	}
	if err := d.ReadDone(&m); err != nil || m.Epoch != 12 {
		t.Errorf("ReadDone = %+v, %v", m, err)
	}
	assertNoStrays(t, d)
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	for _, content := range []string{"one", "two, longer", ""} {
		if err := WriteFileAtomic(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(p); err != nil || string(b) != content {
			t.Errorf("read back %q, %v; want %q", b, err, content)
		}
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries left, want 1", len(entries))
	}
	wantErr(t, WriteFileAtomic(filepath.Join(dir, "missing", "f"), nil, 0o644), "missing")
}

func TestIsTemp(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{".state.json8674665223082153551", true}, // renameio
		{".N004.safetensors7", false},            // a checkpoint's, in the run folder
		{".notes.txt123", false},                 // a user's file named like a temporary one
		{".state-mine.safetensors42", false},
		{".state-0123456789abcdef.safetensors42", true},
		{".done.json.tmp2", true}, // rundir before renameio
		{".stats.jsonl.tmpAbC", true},
		{"state.json", false},
		{"state.json123", false}, // not hidden
		{".state.json", false},   // no random suffix
		{".nfs000000001234", false},
		{".provenance.json123", true},
		{".123", false},
		{".x.123", false},
	} {
		if got := isTemp(tc.name); got != tc.want {
			t.Errorf("isTemp(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	for name, want := range map[string]bool{
		".N004.safetensors7": true, ".N004.safetensors.tmp1": true, ".fig_continual_ep3_N5.safetensors9": true,
		".N4.safetensors7": false, ".notes.safetensors1": true, ".my notes.txt1": false, ".N004.safetensors": false,
	} {
		if got := isCheckpointTemp(name); got != want {
			t.Errorf("isCheckpointTemp(%q) = %v, want %v", name, got, want)
		}
	}
	for _, tc := range []struct {
		name, final string
		want        bool
	}{
		{".config.json42", ConfigFile, true},
		{".config.json.tmp42", ConfigFile, true},
		{".config.json", ConfigFile, false},
		{".config.jsonx", ConfigFile, false},
		{".state.json42", ConfigFile, false},
	} {
		if got := isTempOf(tc.name, tc.final); got != tc.want {
			t.Errorf("isTempOf(%q, %q) = %v, want %v", tc.name, tc.final, got, tc.want)
		}
	}
}

func TestFormatNs(t *testing.T) {
	for _, tc := range []struct {
		ns   []int
		want string
	}{{nil, "none"}, {[]int{}, "none"}, {[]int{7}, "7"}, {[]int{2, 3, 5}, "2, 3, 5"}} {
		if got := FormatNs(tc.ns); got != tc.want {
			t.Errorf("FormatNs(%v) = %q, want %q", tc.ns, got, tc.want)
		}
	}
}
