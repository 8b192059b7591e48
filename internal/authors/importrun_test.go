package authors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/pytorchtest"
)

// folders writes one of their run folders per spec edit, in one Python
// process, and returns their paths.
func folders(t *testing.T, c gm.Config, edits []func(*FolderSpec)) []string {
	t.Helper()
	pytorchtest.Require(t)
	var jobs [][]string
	srcs := make([]string, len(edits))
	for i, edit := range edits {
		spec := standardSpec(t, c)
		edit(&spec)
		srcs[i] = filepath.Join(t.TempDir(), "run")
		jobs = append(jobs, folderJob(t, srcs[i], spec))
	}
	pytorchtest.RunAll(t, jobs)
	return srcs
}

// TestImportRunRefusals: what would import silently wrong is refused,
// naming the field and both values where two disagree, and leaving
// nothing behind.
func TestImportRunRefusals(t *testing.T) {
	c := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	cases := []struct {
		name string
		edit func(*FolderSpec)
		want []string
	}{
		{"scramble", func(s *FolderSpec) { s.CLI["scramble"] = true }, []string{"cli_args.scramble = true", "no registered cbrnn model"}},
		{"cb_sparsity", func(s *FolderSpec) { s.CLI["cb_sparsity"] = 0.5 }, []string{"cli_args.cb_sparsity = 0.5", "sparse"}},
		{"multiply", func(s *FolderSpec) { s.CLI["multiply"] = true }, []string{"cli_args.multiply = true", "subtracts"}},
		{"train_tau", func(s *FolderSpec) { s.CLI["train_tau"] = true }, []string{"cli_args.train_tau = true"}},
		{"rnn_eat", func(s *FolderSpec) { s.CLI["rnn_eat"] = true }, []string{"cli_args.rnn_eat = true"}},
		{"learning_alg", func(s *FolderSpec) { s.CLI["learning_alg"] = "feedback_alignment" }, []string{"cli_args.learning_alg = feedback_alignment"}},
		{"alt_variant of an alternating run", func(s *FolderSpec) {
			s.CLI["curriculum_type"], s.CLI["alt_variant"] = "alternating", "interleaved_finetune"
			delete(s.CLI, "reservoir_interval_n")
		}, []string{`cli_args.alt_variant = "interleaved_finetune"`, "trains the core again"}},
		{"activation", func(s *FolderSpec) { s.CLI["afunc"] = "tanh" }, []string{"model_config.model.activation = LeakyReLU but cli_args.afunc = tanh"}},
		{"tau", func(s *FolderSpec) { s.CLI["tau"] = 2.0 }, []string{"model_config.model.tau = 1.5 but cli_args.tau = 2"}},
		{"granule width", func(s *FolderSpec) { s.CLI["gc_dim"] = 17 }, []string{"model_config.model.cb_gc_dim = 16 but cli_args.gc_dim = 17"}},
		{"stray checkpoint", func(s *FolderSpec) { s.Checkpoints["rnn_N7_N7"] = 5 }, []string{"rnn_N7_N7: a checkpoint for N=7", "trains N = 2, 3, 4 only"}},
	}
	edits := make([]func(*FolderSpec), len(cases))
	for i, tc := range cases {
		edits[i] = tc.edit
	}
	srcs := folders(t, c, edits)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			_, err := ImportRun(context.Background(), srcs[i], filepath.Join(parent, "imported"))
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("a refused import left %v", entries)
			}
		})
	}
}

// TestImportRunWarnings: stats that leave a field null everywhere, and a
// checkpoint the stats do not mark solved, are said in the report.
func TestImportRunWarnings(t *testing.T) {
	c := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	srcs := folders(t, c, []func(*FolderSpec){
		func(s *FolderSpec) { delete(s.Stats, "accuracy"); s.Stats["loss"] = s.Stats["loss"][:5] },
		func(s *FolderSpec) { s.Checkpoints["rnn_N4_N4"] = 4 }, // N=4 trained, never solved
	})
	want := [][]string{
		{`stats.npy has no "accuracy": test_acc is null at every epoch`, `stats.npy's "loss" holds 5 values for 6 epochs: train_loss is null`},
		{"rnn_N4_N4 is kept as solved N=4, but stats.npy does not mark N=4 solved"},
	}
	for i, src := range srcs {
		rep, err := ImportRun(context.Background(), src, filepath.Join(t.TempDir(), "imported"))
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(rep.Warnings, "\n")
		for _, w := range want[i] {
			if !strings.Contains(all, w) {
				t.Errorf("warnings\n%s\nlack %q", all, w)
			}
		}
	}
}

// TestImportRunDamagedFiles: a truncated checkpoint says so, naming the
// file; a FIFO in place of a file is refused at once (it would block the
// open for ever).
func TestImportRunDamagedFiles(t *testing.T) {
	c := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	srcs := folders(t, c, []func(*FolderSpec){func(*FolderSpec) {}, func(*FolderSpec) {}, func(*FolderSpec) {}})
	ck := filepath.Join(srcs[0], "rnn_N3_N3")
	b, _ := os.ReadFile(ck)
	os.WriteFile(ck, b[:len(b)/2], 0o644)
	cases := []struct {
		name, src string
		want      []string
	}{{"truncated checkpoint", srcs[0], []string{ck, "truncated or damaged"}}}
	for i, name := range []string{"rnn_N3_N3", "stats.npy"} {
		p := filepath.Join(srcs[i+1], name)
		os.Remove(p)
		if err := exec.Command("mkfifo", p).Run(); err != nil {
			t.Logf("no FIFO here (%v): skipping that case", err)
			continue
		}
		cases = append(cases, struct {
			name, src string
			want      []string
		}{"FIFO " + name, srcs[i+1], []string{p, "FIFO", "regular files only"}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			done := make(chan error, 1)
			go func() {
				_, err := ImportRun(context.Background(), tc.src, filepath.Join(parent, "imported"))
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-timeAfter(10):
				t.Fatal("the import still blocks after 10 s")
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("a failed import left %v", entries)
			}
		})
	}
}

// TestImportRunCancelAndSweep: a cancelled import removes its staging
// folder; a later import removes the staging folders whose owner died
// (their lock is held by no one), and leaves those of a living import
// (lock held) or that it cannot prove abandoned (no lock file).
func TestImportRunCancelAndSweep(t *testing.T) {
	c := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	src := folders(t, c, []func(*FolderSpec){func(*FolderSpec) {}})[0]
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ImportRun(ctx, src, filepath.Join(parent, "cancelled")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled import: error %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("a cancelled import left %v", entries)
	}
	mk := func(name string, lock bool) string {
		dir := filepath.Join(parent, name)
		os.Mkdir(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
		if lock {
			os.WriteFile(filepath.Join(dir, lockName), nil, 0o644)
		}
		return dir
	}
	dead := mk(".a.importing-dead", true)
	unproven := mk(".b.importing-nolock", false)
	live := mk(".c.importing-live", false)
	release, err := lockFile(filepath.Join(live, lockName))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := ImportRun(context.Background(), src, filepath.Join(parent, "imported")); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]bool{dead: false, unproven: true, live: true, filepath.Join(parent, "imported"): true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(dir), err == nil, want)
		}
	}
	if _, err := os.Stat(filepath.Join(parent, "imported", lockName)); err == nil {
		t.Error("the imported run holds the staging lock file")
	}
}

// TestImportRunCallIsPython: authors.json's "call" builds their network
// in PyTorch: sizes are integers (PyTorch refuses nn.Linear(1.0, 64.0)).
func TestImportRunCallIsPython(t *testing.T) {
	c := gm.MustBuild("cb-rnn", gm.Options{Hidden: 8, GC: 16, PC: 4})
	src := folders(t, c, []func(*FolderSpec){func(*FolderSpec) {}})[0]
	rep, err := ImportRun(context.Background(), src, filepath.Join(t.TempDir(), "imported"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rep.Call, "hidden_size=8.0") {
		t.Errorf("call %s writes sizes as floats", rep.Call)
	}
	script := fmt.Sprintf(`
import sys
sys.path.insert(0, %q)
import torch
from torch import nn
import authors_torch
def make(cls):
    return lambda **kw: authors_torch.build(cls, {k: (v.__name__ if isinstance(v, type) else v) for k, v in kw.items()})
ElmanRNNMultiHead, GRUMultiHeadWithCB = make("ElmanRNNMultiHead"), make("GRUMultiHeadWithCB")
m = eval(sys.argv[1])
print(sum(p.numel() for p in m.parameters()))
`, filepath.Dir(pytorchtest.Script()))
	out, err := exec.Command(pytorchtest.Python, "-c", script, rep.Call).CombinedOutput()
	if err != nil {
		t.Fatalf("PyTorch refuses the call %s: %v\n%s", rep.Call, err, out)
	}
	n := 0
	for _, p := range c.Params() {
		k := 1
		for _, d := range p.Shape {
			k *= d
		}
		n += k
	}
	if got := strings.TrimSpace(string(out)); got != fmt.Sprint(n) {
		t.Errorf("the call builds %s parameters, the network has %d", got, n)
	}
}

// TestPythonIntegers: sizes are written as integers whatever their JSON
// type, floats as floats.
func TestPythonIntegers(t *testing.T) {
	k := Constructor{Class: ElmanClass, Kwargs: map[string]any{"input_size": 1.0, "hidden_size": 64.0, "tau": 2.0, "use_cb_bias": true, "cb_gc_dim": 512.0}}
	call := k.Python()
	for _, w := range []string{"input_size=1,", "hidden_size=64,", "tau=2.0,", "cb_gc_dim=512,", "cb_max_ratio=1.0,"} {
		if !strings.Contains(call, w) {
			t.Errorf("call %s lacks %q", call, w)
		}
	}
}

func timeAfter(seconds int) <-chan time.Time { return time.After(time.Duration(seconds) * time.Second) }
