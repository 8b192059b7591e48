package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cbrnn/cbrnn/safetensors"
)

// A duplicated stats line used to be counted as an epoch: resume then kept
// epochs 1,2,3,3,4,5 and lost epoch 6 silently.
func TestStatsEpochsConsecutive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		epochs  []int
		line    string // the line named in the error; "" for none
		missing bool
	}{
		{"consecutive", []int{1, 2, 3}, "", false},
		{"duplicated", []int{1, 2, 3, 3, 4, 5}, "line 4", false},
		{"missing", []int{1, 2, 4}, "line 3", true},
		{"not from 1", []int{2, 3}, "line 1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDir(t)
			var b strings.Builder
			for _, e := range tc.epochs {
				l, _ := json.Marshal(rec{Epoch: e})
				b.Write(append(l, '\n'))
			}
			p := filepath.Join(d.Path, StatsFile)
			os.WriteFile(p, []byte(b.String()), 0o644)
			got, err := ReadStats[rec](d)
			if tc.line == "" {
				if err != nil || len(got) != len(tc.epochs) {
					t.Fatalf("ReadStats = %v, %v", got, err)
				}
				return
			}
			wantErr(t, err, p, tc.line, "damaged")
			var de *DamagedError
			if !errors.As(err, &de) {
				t.Errorf("error %T is not a *DamagedError", err)
			}
			wantErr(t, d.TruncateStats(2), tc.line)
			if tc.missing {
				wantErr(t, err, "missing")
			} else {
				wantErr(t, err, "duplicated")
			}
		})
	}
}

// The resume state carries checksums: a flipped value in its tensors or
// meta is reported as damage of that file, and so is a NaN, which cbrnn
// never saves.
func TestStateDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, d *Dir, sf stateFile)
		file   func(sf stateFile) string
		want   string
	}{
		{"flipped tensor value", func(t *testing.T, d *Dir, sf stateFile) {
			p := filepath.Join(d.Path, sf.Tensors)
			b, _ := os.ReadFile(p)
			b[len(b)-1] ^= 0x01 // one bit of the last float
			os.WriteFile(p, b, 0o644)
		}, func(sf stateFile) string { return sf.Tensors }, "does not match the checksum"},
		{"flipped meta", func(t *testing.T, d *Dir, sf stateFile) {
			p := filepath.Join(d.Path, StateFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"epoch": 3`, `"epoch": 4`, 1)), 0o644)
		}, func(stateFile) string { return StateFile }, "meta does not match the checksum"},
		{"NaN written without a checksum", func(t *testing.T, d *Dir, sf stateFile) {
			// An older state.json (no checksums) naming tensors with a NaN.
			ts := tensors(3)
			ts[1].Data[2] = float32(math.NaN())
			var tb bytes.Buffer
			if err := safetensors.Write(&tb, ts, nil); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(d.Path, sf.Tensors), tb.Bytes(), 0o644)
			sf.TensorsSHA256, sf.MetaSHA256 = "", ""
			b, _ := json.Marshal(sf)
			os.WriteFile(filepath.Join(d.Path, StateFile), b, 0o644)
		}, func(sf stateFile) string { return sf.Tensors }, "momentum/fc.weight[2] = NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDir(t)
			if err := d.SaveState(stateMeta{3}, tensors(3)); err != nil {
				t.Fatal(err)
			}
			var sf stateFile
			b, _ := os.ReadFile(filepath.Join(d.Path, StateFile))
			if err := json.Unmarshal(b, &sf); err != nil || sf.TensorsSHA256 == "" || sf.MetaSHA256 == "" {
				t.Fatalf("state.json has no checksums: %s (%v)", b, err)
			}
			tc.damage(t, d, sf)
			var m stateMeta
			_, _, err := d.LoadState(&m)
			wantErr(t, err, filepath.Join(d.Path, tc.file(sf)), "is damaged", tc.want)
			if strings.Contains(err.Error(), "learning rate") {
				t.Errorf("damage blamed on training: %v", err)
			}
		})
	}
	d := newDir(t)
	bad := tensors(1)
	bad[0].Data[0] = float32(math.Inf(1))
	wantErr(t, d.SaveState(stateMeta{1}, bad), "non-finite", "fc.weight[0]")
}

// Cleanup deletes only files whose names it can prove it wrote.
func TestCleanupKeepsUsersFiles(t *testing.T) {
	d := newDir(t)
	mine := []string{"state-mine.safetensors", "state-0123.safetensors", "state-0123456789ABCDEF.safetensors", ".notes.txt123", ".hidden42", "notes.tmp"}
	for _, n := range mine {
		os.WriteFile(filepath.Join(d.Path, n), []byte("the user's"), 0o644)
	}
	os.Mkdir(filepath.Join(d.Path, ".state.json7"), 0o755) // a folder named like a temporary file
	for range 2 {
		if err := d.SaveState(stateMeta{1}, tensors(1)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range append(mine, ".state.json7") {
		if _, err := os.Lstat(filepath.Join(d.Path, n)); err != nil {
			t.Errorf("cleanup deleted the user's %s: %v", n, err)
		}
	}
}

// Output paths a user names are never replaced unless --force, and never
// written through a symlink, into a FIFO or onto a device.
func TestWriteNewFile(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("notes.txt"), []byte("my notes"), 0o644)
	os.WriteFile(p("target"), []byte("the link's target"), 0o644)
	os.Symlink(p("target"), p("link"))
	os.Mkdir(p("folder"), 0o755)
	if err := syscall.Mkfifo(p("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		force bool
		want  string // "" for success
	}{
		{"new.safetensors", false, ""},
		{"notes.txt", false, "already exists (a file)"},
		{"link", false, "a symbolic link to " + p("target")},
		{"folder", false, "a folder"},
		{"folder", true, "never replaced"},
		{"fifo", false, "a FIFO"},
		{"fifo", true, "never replaced"},
		{"notes.txt", true, ""},
		{"link", true, ""},
	} {
		err := WriteNewFile(p(tc.name), []byte("cbrnn"), 0o644, tc.force)
		if tc.want == "" {
			if err != nil {
				t.Errorf("WriteNewFile(%s, force=%v) = %v", tc.name, tc.force, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("WriteNewFile(%s, force=%v) replaced it", tc.name, tc.force)
			continue
		}
		wantErr(t, err, p(tc.name), tc.want)
		if !errors.Is(err, fs.ErrExist) {
			t.Errorf("%v does not wrap fs.ErrExist", err)
		}
	}
	if b, _ := os.ReadFile(p("target")); string(b) != "the link's target" {
		t.Errorf("--force wrote through the symlink: its target holds %q", b)
	}
	if fi, err := os.Lstat(p("link")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("--force left the link %v, %v; want a regular file in its place", fi, err)
	}
	if os.Geteuid() == 0 {
		wantErr(t, WriteNewFile("/dev/null", nil, 0o644, true), "a device", "never replaced")
	}
}
