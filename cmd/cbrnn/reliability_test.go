package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cbrnn/cbrnn/rundir"
)

// exportRun is a run with a checkpoint for N=2 (every weight 2).
func exportRun(t *testing.T) string {
	t.Helper()
	runDir := filepath.Join(t.TempDir(), "run")
	cfg := exportConfig(3)
	d, err := rundir.Create(runDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SaveCheckpoint(2, exportWeights(cfg, 2, ""), nil); err != nil {
		t.Fatal(err)
	}
	return runDir
}

// export --out used to replace whatever was at its path, silently: a
// user's notes, another run's config.json, a symlink's target, a FIFO and,
// as root, /dev/null.
func TestExportNeverReplaces(t *testing.T) {
	runDir := exportRun(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	other, err := rundir.Create(p("other"), exportConfig(4))
	if err != nil {
		t.Fatal(err)
	}
	otherCfg := filepath.Join(other.Path, rundir.ConfigFile)
	os.WriteFile(p("notes.txt"), []byte("my notes"), 0o644)
	os.WriteFile(p("target.txt"), []byte("the link's target"), 0o644)
	os.Symlink(p("target.txt"), p("link.safetensors"))
	os.Mkdir(p("exports"), 0o755)
	os.WriteFile(p("exports/run-N002.safetensors"), []byte("a file of the user's"), 0o644)
	if err := syscall.Mkfifo(p("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		out   string
		force bool
		want  string // "" for success
	}{
		{p("notes.txt"), false, "already exists (a file)"},
		{otherCfg, false, "already exists (a file)"},
		{p("link.safetensors"), false, "a symbolic link to " + p("target.txt")},
		{p("fifo"), false, "a FIFO"},
		{p("fifo"), true, "never replaced"},
		{p("exports") + "/", false, "already exists (a file)"}, // into a folder, over a file of that name
		{p("notes.txt"), true, ""},
		{p("link.safetensors"), true, ""},
	}
	if os.Geteuid() == 0 {
		// A device of our own, not /dev/null: a failing fix must not break the machine.
		dev := p("null")
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, int(1<<8|3)); err == nil {
			cases = append(cases, struct {
				out   string
				force bool
				want  string
			}{dev, true, "a device"})
		}
	}
	for _, tc := range cases {
		args := []string{runDir, "--n", "2", "--out", tc.out}
		if tc.force {
			args = append(args, "--force")
		}
		err := runExport(args, &bytes.Buffer{})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("export %v: %v", args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), strings.TrimSuffix(tc.out, "/"))):
			t.Errorf("export %v = %v, want an error naming %s and mentioning %q", args, err, tc.out, tc.want)
		}
	}
	if b, _ := os.ReadFile(otherCfg); !bytes.Contains(b, []byte(`"task"`)) {
		t.Errorf("the other run's config.json was replaced: %.60q", b)
	}
	if _, err := rundir.Open(other.Path); err != nil {
		t.Errorf("the other run reads as %v", err)
	}
	if b, _ := os.ReadFile(p("target.txt")); string(b) != "the link's target" {
		t.Errorf("export wrote through the symlink: its target holds %.40q", b)
	}
	if b, _ := os.ReadFile(p("exports/run-N002.safetensors")); string(b) != "a file of the user's" {
		t.Errorf("the export into a folder replaced a file: %.40q", b)
	}
	if fi, err := os.Lstat(p("fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi, err)
	}
}

// export used to write NaN weights that cbrnn's own --import refuses.
func TestExportRefusesNonFinite(t *testing.T) {
	runDir := exportRun(t)
	cfg := exportConfig(3)
	ts := exportWeights(cfg, 1, "")
	ts[1].Data[2] = float32(math.NaN())
	d, _ := rundir.Open(runDir)
	if err := d.SaveCheckpoint(3, ts, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "w.safetensors")
	err := runExport([]string{runDir, "--n", "3", "--out", out}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "non-finite") || !strings.Contains(err.Error(), ts[1].Name) || !strings.Contains(err.Error(), "N003.safetensors") {
		t.Fatalf("export of NaN weights: %v, want a refusal naming tensor %s and the checkpoint", err, ts[1].Name)
	}
	if _, err := os.Lstat(out); err == nil {
		t.Error("the refused export wrote its file")
	}
}

// train's flags that used to be accepted wrongly: a seed range that wraps
// round past 2^64−1, a --task-param given twice (the last silently won).
func TestTrainFlagsRefuseOverflowAndRepeats(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" for accepted
	}{
		{[]string{"--seed", "18446744073709551615", "--seeds", "2"}, "wrap round to 0"},
		{[]string{"--seed", "18446744073709551614", "--seeds", "3"}, "wrap round to 0"},
		{[]string{"--seed", "18446744073709551614", "--seeds", "2"}, ""},
		{[]string{"--task-param", "delay=3", "--task-param", "delay=5"}, "delay is given twice (delay=3, then delay=5)"},
		{[]string{"--task-param", "delay=3", "--task-param", "other=5"}, ""},
	} {
		_, err := parseTrainFlags(append(tc.args, "--out", filepath.Join(t.TempDir(), "run")))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}

// figures --runs --out draws only into a folder that holds nothing but
// cbrnn's figures, unless --force.
func TestFiguresOutRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	os.Mkdir(p("ours"), 0o755)
	os.WriteFile(p("ours/fig5.png"), []byte("png"), 0o644)
	os.WriteFile(p("ours/fig5.md"), []byte("md"), 0o644)
	os.Mkdir(p("theirs"), 0o755)
	os.WriteFile(p("theirs/thesis.tex"), []byte("tex"), 0o644)
	os.WriteFile(p("theirs/fig5.png"), []byte("png"), 0o644)
	os.Symlink(p("ours"), p("link"))
	os.Mkdir(p("fifo"), 0o755)
	syscall.Mkfifo(p("fifo/fig5.svg"), 0o644)
	for _, tc := range []struct {
		out   string
		force bool
		want  string
	}{
		{p("new"), false, ""},
		{p("ours"), false, ""},
		{p("theirs"), false, "thesis.tex"},
		{p("theirs"), true, ""},
		{p("link"), false, "symbolic link"},
		{p("fifo"), true, "a FIFO"},
		{p("ours/fig5.png"), false, "not a folder"},
	} {
		err := checkFiguresOut(tc.out, []string{"fig5"}, tc.force)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s (force %v): %v", tc.out, tc.force, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s (force %v): %v, want an error mentioning %q", tc.out, tc.force, err, tc.want)
		}
	}
}
