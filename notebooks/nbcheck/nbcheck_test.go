package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/experiments"
)

func TestNumbers(t *testing.T) {
	for _, tc := range []struct {
		md   string
		want []string
	}{
		{"The CB-RNN reaches N = 34.75 against 31.38.", []string{"34.75", "31.38"}},
		{"AUC 25,041 vs 19,254 (n = 8)", []string{"25,041", "19,254", "8"}},
		{"H=64, G=256 and RNN-202", []string{"64", "256"}},
		{"d95, fig2a, SHA-256, x2 and 3rd", nil},
		{"See METHODS §4.2, Fig 2b, Figure 5, Table 4, Appendix G and issue 11.", nil},
		{"## 2. Train it\n1. first\n2) second", nil},
		{"run `cbrnn tasks sample --n 5` or\n```\nN = 7\n```", nil},
		{"[the paper](https://x.org/a/1234) <img width=360>", nil},
		{"95 % of the variance, N ≥ 17.5", []string{"95", "17.5"}},
	} {
		if got := Numbers(tc.md); !slices.Equal(got, tc.want) {
			t.Errorf("Numbers(%q) = %q, want %q", tc.md, got, tc.want)
		}
	}
}

// notebook builds a notebook from cells for the checks.
func notebook(t *testing.T, name string, meta Meta, cells ...Cell) *Notebook {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".ipynb")
	raw := map[string]any{"cells": cells, "metadata": map[string]any{"cbrnn": meta}, "nbformat": 4, "nbformat_minor": 5}
	if err := os.WriteFile(path, marshal(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	nb, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

func md(src string) Cell { return Cell{Type: "markdown", Source: Text(src)} }

func code(id, src string, outs ...Output) Cell {
	one := 1
	return Cell{Type: "code", ID: id, Source: Text(src), Outputs: outs, ExecutionCount: &one}
}

func stream(text string) Output { return Output{Type: "stream", Name: "stdout", Text: Text(text)} }

func figure(id string) Output {
	pngB64 := base64.StdEncoding.EncodeToString(tinyPNG)
	return Output{Type: "display_data", Data: map[string]json.RawMessage{"image/png": marshal(pngB64)}, Metadata: map[string]any{figureKey: id}}
}

// tinyPNG is a 1×1 PNG.
var tinyPNG = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
	0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xff, 0xff, 0x3f,
	0x00, 0x05, 0xfe, 0x02, 0xfe, 0xa7, 0x35, 0x81, 0x84, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
	0x44, 0xae, 0x42, 0x60, 0x82}

func TestCheckOutputs(t *testing.T) {
	ids := []string{"fig2a", "fig5"}
	good := func() []Cell {
		return []Cell{
			md("# Figure 2a\n\nThe paper: CB-RNN 34.75, RNN 31.38."),
			code("setup", "import \"fmt\""),
			code("table", "%%\nshow()", stream("| CB-RNN | 34.75 |\n| RNN | 31.38 |"), figure("fig2a")),
			md("Budget of 150 epochs."),
			code("more", "var epochs = 150"),
		}
	}
	meta := Meta{Figures: []string{"fig2a"}, Profile: "smoke"}
	if errs := CheckOutputs(notebook(t, "fig2a", meta, good()...), ids); len(errs) > 0 {
		t.Fatalf("a good notebook fails: %v", errs)
	}
	for _, tc := range []struct {
		name string
		nb   string
		meta Meta
		edit func([]Cell) []Cell
		want string
	}{
		{"not executed", "fig2a", meta, func(c []Cell) []Cell { c[1].ExecutionCount = nil; return c }, "was not executed"},
		{"error output", "fig2a", meta, func(c []Cell) []Cell {
			c[1].Outputs = []Output{{Type: "error", EName: "ERROR", EValue: "exit status 2"}}
			return c
		}, "error output: ERROR: exit status 2"},
		{"stderr", "fig2a", meta, func(c []Cell) []Cell {
			c[1].Outputs = []Output{{Type: "stream", Name: "stderr", Text: "panic: x"}}
			return c
		}, "wrote to stderr: panic: x"},
		{"no outputs", "fig2a", meta, func(c []Cell) []Cell { c[2].Outputs = nil; return c }, "no outputs"},
		{"claimed figure not shown", "fig2a", Meta{Figures: []string{"fig2a", "fig5"}, Profile: "smoke"}, nil, "claims figure fig5, but no output shows it"},
		{"shown figure not claimed", "fig2a", meta, func(c []Cell) []Cell {
			c[4].Outputs = []Output{figure("fig9")}
			return c
		}, "shows figure fig9, which metadata.cbrnn.figures does not claim"},
		{"named after a figure it does not claim", "fig5", meta, nil, "named after figure fig5"},
		{"a number in prose the run does not show", "fig2a", meta, func(c []Cell) []Cell {
			c[0].Source = "The paper: CB-RNN 34.75, RNN 31.40."
			return c
		}, "states 31.40, found in no output or code below it"},
		{"a number only above the prose", "fig2a", meta, func(c []Cell) []Cell {
			return append(c, md("As computed above: 34.75."))
		}, "states 34.75"},
		{"not normalised: timestamps", "fig2a", meta, func(c []Cell) []Cell {
			c[1].Metadata = map[string]any{"execution": map[string]any{"iopub.status.busy": "2026-11-30T08:00:00Z"}}
			return c
		}, "keeps execution timestamps"},
		{"not normalised: a progress line", "fig2a", meta, func(c []Cell) []Cell {
			c[1].Outputs = []Output{{Type: "display_data", Metadata: map[string]any{progressKey: true}}}
			return c
		}, "keeps a progress line"},
		{"not normalised: a path", "fig2a", meta, func(c []Cell) []Cell {
			c[1].Outputs = []Output{stream("wrote /work/wt/notebooks/figures/fig2a.png\n")}
			return c
		}, "shows a path of the machine it ran on (/work/wt/notebooks/figures/fig2a.png)"},
		{"no profile", "fig2a", Meta{Figures: []string{"fig2a"}}, nil, "metadata.cbrnn.profile is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cells := good()
			if tc.edit != nil {
				cells = tc.edit(cells)
			}
			errs := CheckOutputs(notebook(t, tc.nb, tc.meta, cells...), ids)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q do not say %q", msgs, tc.want)
			}
		})
	}
}

func TestProgramIsWhatGoNBRuns(t *testing.T) {
	nb := notebook(t, "p", Meta{},
		code("setup", "!*echo hi; \\\n  echo continued\n%env X y\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\nvar a = 1"),
		md("prose"),
		code("redefine", "var a = \"two\" // replaces the first a, as in GoNB\n\nfunc f() string { return strings.ToUpper(a) }\n\n%%\nfmt.Println(f())"),
		code("body", "%%\nx := a + \"!\"\nfmt.Println(x)"),
	)
	src, err := Program(nb)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"func cell2() {", "func cell3() {", "x := a + \"!\"", "var a = \"two\"", "//line p.ipynb[redefine]:1"} {
		if !strings.Contains(src, want) {
			t.Errorf("program lacks %q:\n%s", want, src)
		}
	}
	for _, bad := range []string{"var a = 1", "echo", "%env", "continued"} {
		if strings.Contains(src, bad) {
			t.Errorf("program keeps %q:\n%s", bad, src)
		}
	}
	if _, err := dropUnusedImports(src); err != nil {
		t.Errorf("program does not parse: %v\n%s", err, src)
	}
}

// TestCommittedNotebooks is the check CI keeps: every notebook in
// notebooks/ compiles against the current packages, its cells pass
// CheckSource, and its committed outputs pass CheckOutputs.
func TestCommittedNotebooks(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("the go command is needed to type-check the notebooks")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	nbs, err := ReadDir(filepath.Join(root, "notebooks"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Compile(root, nbs); err != nil {
		t.Error(err)
	}
	for _, nb := range nbs {
		for _, err := range CheckSource(nb) {
			t.Error(err)
		}
		for _, err := range CheckOutputs(nb, experiments.IDs()) {
			t.Error(err)
		}
	}
}

// TestReadmeIndexesEveryNotebook: notebooks/README.md lists every notebook
// with its thumbnail, and the thumbnail is there.
func TestReadmeIndexesEveryNotebook(t *testing.T) {
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	nbs, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, nb := range nbs {
		name := nb.Name()
		for _, want := range []string{"(" + name + ".ipynb)", `src="thumbs/` + name + `.png"`} {
			if !strings.Contains(string(readme), want) {
				t.Errorf("notebooks/README.md lacks %s", want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "thumbs", name+".png")); err != nil {
			t.Errorf("no thumbnail for %s (notebooks/run.sh --write notebooks draws it): %v", name, err)
		}
	}
}

// TestCheckSourceRefusesVerdicts: the notebooks' own verdicts, as they
// were before the claims engine gave them (fig6's sentence on memory
// propagation, the "yes" tables of fig2a and fig4), are refused; the
// paper quoted as such, numbers, chance and nb.Shows pass.
func TestCheckSourceRefusesVerdicts(t *testing.T) {
	good := []Cell{
		md("# Figure 6\n\n> The paper: on DMS the RNN-only network's Q (1.109) lies above the\n> CB-RNN's; the CB contribution falls from 0.399 to 0.012.\n\nNo CB means one step without the CB term."),
		code("q", "var paperQRNN = 1.109\n\n%%\nconst chance = 50.0\nnb.Markdownf(\"chance: %.0f %%; the paper's Q: %.3f\", chance, paperQRNN)"),
		md("## What this run shows"),
		code("shows", "%%\nnb.Shows(\"fig6\")"),
	}
	if errs := CheckSource(notebook(t, "fig6", Meta{}, good...)); len(errs) > 0 {
		t.Fatalf("a notebook without verdicts of its own fails: %v", errs)
	}
	long := "%%\n" + strings.Repeat("x := 1\n_ = x\n", MaxCellLines/2)
	for _, tc := range []struct {
		name string
		cell Cell
		want string
	}{
		{"fig6's sentence as it was", md("In the paper the CB-RNN propagates its memory better than the RNN, largely\nthrough the cerebellum's contribution."),
			"markdown cell 4 () states a verdict (better)"},
		{"a table of yes/no on raw means", code("paper", "%%\nnb.Table(\"does the CB-RNN learn more efficiently here?\",\n\t[]string{\"task\", \"larger AUC\"}, [][]string{{\"DMS\", \"yes\"}, {\"PARITY\", \"no\"}})"),
			`prints a verdict (larger) from the literal "larger AUC"`},
		{"yes from a literal", code("paper", "%%\nv := \"yes\"\nfmt.Println(v)"), `prints a verdict (yes) from the literal "yes"`},
		{"no as an answer", code("paper", "var same = \"no\""), `prints a verdict (no) from the literal "no"`},
		{"beats, in prose", md("Frozen-core beats the RNN on parity (z = 0.3)."), "states a verdict (beats)"},
		{"a quote that is not marked as the paper's", md("> the CB-RNN learns faster"), "states a verdict (faster)"},
		{"a long cell", code("long", long), "has 41 lines, more than 40"},
		{"a cell that does not parse", code("broken", "%%\nfmt.Println(\"x\""), "does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := CheckSource(notebook(t, "fig6", Meta{}, append(append([]Cell{}, good...), tc.cell)...))
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q do not say %q", msgs, tc.want)
			}
		})
	}
}

// A notebook telling several registered figures may hold each one's
// outputs: its size limit is MaxBytes per figure it claims.
func TestMaxBytesPerFigure(t *testing.T) {
	ids := []string{"fig2a", "seed-loss", "seed-freeze"}
	for _, tc := range []struct {
		figures []string
		want    int64
	}{
		{nil, MaxBytes},
		{[]string{"explore"}, MaxBytes},
		{[]string{"fig2a"}, MaxBytes},
		{[]string{"seed-loss", "seed-freeze", "unregistered"}, 2 * MaxBytes},
	} {
		nb := &Notebook{}
		nb.Metadata.CBRNN.Figures = tc.figures
		if got := maxBytes(nb, ids); got != tc.want {
			t.Errorf("figures %v: limit %d, want %d", tc.figures, got, tc.want)
		}
	}
}
