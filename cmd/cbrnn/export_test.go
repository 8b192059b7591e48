package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/internal/safetensors"
	"github.com/cbrnn/cbrnn/rundir"
)

func exportWeights(v float32) []safetensors.Tensor {
	return []safetensors.Tensor{
		{Name: "rnn.weight_ih_l0", Shape: []int{3, 1}, Data: []float32{v, v, v}},
		{Name: "fc.weight", Shape: []int{2, 3}, Data: []float32{v, 0, 0, 0, v, 0}},
	}
}

func TestExport(t *testing.T) {
	base := t.TempDir()
	runDir := filepath.Join(base, "run")
	d, err := rundir.Create(runDir, map[string]any{"model": "elman_cb", "hidden": 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 3, 5} {
		if err := d.SaveCheckpoint(n, exportWeights(float32(n)), nil); err != nil {
			t.Fatal(err)
		}
	}
	state := append(exportWeights(9), safetensors.Tensor{Name: "momentum.fc.weight", Shape: []int{1}, Data: []float32{1}})
	if err := d.SaveState(map[string]any{"epoch": 17, "n": 6}, state); err != nil {
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
		want := exportWeights(wantV)
		if !reflect.DeepEqual(ts, []safetensors.Tensor{want[1], want[0]}) { // sorted by name
			t.Errorf("tensors = %v", ts)
		}
		if meta["n"] != wantN || (wantN == "" && meta["cbrnn_state"] != `{"epoch":17,"n":6}`) || meta["cbrnn_config"] != `{"hidden":3,"model":"elman_cb"}` || meta["format"] != "pt" {
			t.Errorf("meta = %v", meta)
		}
	}
	out3 := filepath.Join(base, "n3.safetensors")
	if err := runExport([]string{runDir, "--n", "3", "--out", out3}, nil); err != nil {
		t.Fatal(err)
	}
	check(out3, "3", 3)

	outFinal := filepath.Join(base, "final.safetensors")
	if err := runExport([]string{"--final", "--out", outFinal, runDir}, nil); err != nil {
		t.Fatal(err)
	}
	check(outFinal, "", 9)

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing run", []string{filepath.Join(base, "nope"), "--n", "2", "--out", out3}, []string{"not a cbrnn run directory", "does not exist"}},
		{"not a run", []string{base, "--n", "2", "--out", out3}, []string{"not a cbrnn run directory", "no config.json"}},
		{"no checkpoint", []string{runDir, "--n", "4", "--out", out3}, []string{"no checkpoint for N=4", "available: 2, 3, 5"}},
		{"output not writable", []string{runDir, "--n", "2", "--out", filepath.Join(base, "missing", "x.safetensors")}, []string{"cannot write", "missing"}},
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
	if entries, _ := os.ReadDir(base); len(entries) != 3 {
		t.Errorf("%s holds %d entries, want run + 2 exports", base, len(entries))
	}
}
