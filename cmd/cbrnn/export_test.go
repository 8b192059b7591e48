package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/trainer"
)

// exportConfig is a small run's config; exportWeights its weights, every
// value v.
func exportConfig(hidden int) trainer.Config {
	m := gm.MustBuild("cb-rnn", gm.Options{Hidden: hidden, GC: 4, PC: 2})
	c := trainer.Paper("dms", m, 1)
	c.ModelName = "cb-rnn"
	return c
}

func exportWeights(c trainer.Config, v float32, prefix string) []safetensors.Tensor {
	var ts []safetensors.Tensor
	for _, p := range c.Model.Params() {
		d := make([]float32, p.Size())
		for i := range d {
			d[i] = v
		}
		ts = append(ts, safetensors.Tensor{Name: prefix + p.Name, Shape: p.Shape, Data: d})
	}
	return ts
}

func TestExport(t *testing.T) {
	base := t.TempDir()
	runDir := filepath.Join(base, "run")
	cfg := exportConfig(3)
	d, err := rundir.Create(runDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 3, 5} {
		if err := d.SaveCheckpoint(n, exportWeights(cfg, float32(n), ""), nil); err != nil {
			t.Fatal(err)
		}
	}
	state := append(exportWeights(cfg, 9, ""), exportWeights(cfg, 1, "momentum/")...)
	if err := d.SaveState(map[string]any{"epoch": 17, "n": 6}, state); err != nil {
		t.Fatal(err)
	}
	cfgJSON, err := d.ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}

	// --list, with the flag before or after RUN.
	for _, args := range [][]string{{runDir, "--list"}, {"--list", runDir}} {
		var out bytes.Buffer
		if err := runExport(args, &out); err != nil {
			t.Fatal(err)
		}
		if out.String() != "2\n3\n5\n" {
			t.Errorf("--list printed %q", out.String())
		}
	}

	check := func(file string, wantN string, wantV float32) {
		t.Helper()
		ts, meta, err := safetensors.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]safetensors.Tensor{}
		for _, w := range exportWeights(cfg, wantV, "") {
			want[w.Name] = w
		}
		if len(ts) != len(want) {
			t.Errorf("%d tensors, want %d", len(ts), len(want))
		}
		for _, g := range ts {
			w := want[g.Name]
			if !slicesEqual(g.Shape, w.Shape) || !slicesEqual(g.Data, w.Data) {
				t.Errorf("tensor %s = %v %v, want %v %v", g.Name, g.Shape, g.Data, w.Shape, w.Data)
			}
		}
		if meta["n"] != wantN || (wantN == "" && meta["cbrnn_state"] != `{"epoch":17,"n":6}`) || meta["cbrnn_config"] != string(cfgJSON) || meta["format"] != "pt" {
			t.Errorf("meta = %v", meta)
		}
	}
	out3 := filepath.Join(base, "n3.safetensors")
	if err := runExport([]string{runDir, "--n", "3", "--out", out3}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	check(out3, "3", 3)

	outFinal := filepath.Join(base, "final.safetensors")
	if err := runExport([]string{"--final", "--out", outFinal, runDir}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	check(outFinal, "", 9)

	// --out naming a folder writes into it, under a name that
	// says which run and N, and says where.
	folder := filepath.Join(base, "exports")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		file string
		n    string
		v    float32
	}{
		{[]string{runDir, "--n", "5", "--out", folder + "/"}, "run-N005.safetensors", "5", 5},
		{[]string{runDir, "--final", "--out", folder}, "run-final.safetensors", "", 9},
	} {
		var stdout bytes.Buffer
		if err := runExport(tc.args, &stdout); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		want := filepath.Join(folder, tc.file)
		check(want, tc.n, tc.v)
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("export into a folder printed %q, want the file's path %s", stdout.String(), want)
		}
	}

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing run", []string{filepath.Join(base, "nope"), "--n", "2", "--out", out3}, []string{"not a cbrnn run directory", "does not exist"}},
		{"not a run", []string{base, "--n", "2", "--out", out3}, []string{"not a cbrnn run directory", "no config.json"}},
		{"no checkpoint", []string{runDir, "--n", "4", "--out", out3}, []string{"no checkpoint for N=4", "available: 2, 3, 5"}},
		{"output not writable", []string{runDir, "--n", "2", "--out", filepath.Join(base, "missing", "x.safetensors")}, []string{"cannot write", "missing"}},
		{"missing output folder", []string{runDir, "--n", "2", "--out", filepath.Join(base, "missing") + "/"}, []string{"--out", "missing", "folder that does not exist"}},
		{"no --out", []string{runDir, "--n", "2"}, []string{"--out"}},
		{"no --n", []string{runDir, "--out", out3}, []string{"--n N", "2, 3, 5"}},
		{"both", []string{runDir, "--n", "2", "--final", "--out", out3}, []string{"exclude"}},
		{"two runs", []string{runDir, runDir, "--list"}, []string{"one run directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runExport(tc.args, &bytes.Buffer{})
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to mention %q", err, w)
				}
			}
		})
	}
	// The failed exports did not touch the earlier output.
	check(out3, "3", 3)
	if entries, _ := os.ReadDir(base); len(entries) != 4 {
		t.Errorf("%s holds %d entries, want run, exports/ and 2 exports", base, len(entries))
	}
}

// A checkpoint (or state) holding another model's weights is
// refused instead of being exported under this run's cbrnn_config.
func TestExportChecksShapes(t *testing.T) {
	base := t.TempDir()
	runDir := filepath.Join(base, "run")
	cfg := exportConfig(3)
	d, err := rundir.Create(runDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	other := exportConfig(5)
	if err := d.SaveCheckpoint(2, exportWeights(other, 1, ""), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.SaveState(map[string]any{"epoch": 3}, exportWeights(other, 1, "")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{runDir, "--n", "2", "--out", filepath.Join(base, "x.safetensors")},
		{runDir, "--final", "--out", filepath.Join(base, "x.safetensors")},
	} {
		err := runExport(args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "the run's config") || !strings.Contains(err.Error(), "[5 1]") {
			t.Errorf("%v: %v, want a refusal naming the misfit", args, err)
		}
		t.Log(err)
	}
	if _, err := os.Stat(filepath.Join(base, "x.safetensors")); err == nil {
		t.Error("a misfit was exported")
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A per-task-CB run exports every module under its cbs.{k} name, and the
// metadata says plainly that the authors' code has no such network.
func TestExportPerTask(t *testing.T) {
	base := t.TempDir()
	runDir := filepath.Join(base, "run")
	m := gm.MustBuild(gm.PerTaskModel, gm.Options{Hidden: 3, GC: 4, PC: 2, Heads: []int{2, 2}})
	cfg := trainer.Paper("switch", m, 1)
	cfg.ModelName = gm.PerTaskModel
	d, err := rundir.Create(runDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SaveCheckpoint(2, exportWeights(cfg, 0.5, ""), nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(base, "n2.safetensors")
	if err := runExport([]string{runDir, "--n", "2", "--out", out}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	ts, meta, err := safetensors.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, x := range ts {
		names[x.Name] = true
	}
	for _, want := range []string{"cbs.0.gc.weight", "cbs.1.gc.weight", "cbs.0.dcn.bias", "cbs.1.dcn.bias", "heads.1.weight", "hh.weight"} {
		if !names[want] {
			t.Errorf("export lacks %s (has %d tensors)", want, len(ts))
		}
	}
	if len(ts) != len(m.Params()) {
		t.Errorf("%d tensors, want %d", len(ts), len(m.Params()))
	}
	if !strings.Contains(meta["authors_none"], "no counterpart in the authors' code") || meta["authors_class"] != "" {
		t.Errorf("metadata authors_none = %q, authors_class = %q: want the no-counterpart note and no class", meta["authors_none"], meta["authors_class"])
	}
}
