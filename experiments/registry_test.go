package experiments

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRegistryNotebooks ties the figure registry to notebooks/: every
// registered figure has its notebook (FigureSpec.Notebook, else its ID),
// the notebook's thumbnail and its row in notebooks/README.md (one row per
// notebook, in the order of its first figure, after the non-figure
// notebooks), and every notebook, thumbnail and row belongs to a
// registered figure or is one of NonFigureNotebooks.
func TestRegistryNotebooks(t *testing.T) {
	dir := filepath.Join("..", "notebooks")
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	known := append(slices.Clone(NonFigureNotebooks), FigureNotebooks()...)
	for _, f := range Figures() {
		if f.Shows == "" {
			t.Errorf("figure %s: no Shows (its row of notebooks/README.md)", f.ID)
		}
		name := NotebookName(f)
		for _, p := range []string{name + ".ipynb", filepath.Join("thumbs", name+".png")} {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				t.Errorf("figure %s has no notebooks/%s", f.ID, p)
			}
		}
		if !strings.Contains(string(readme), NotebookRow(f)+"\n") {
			t.Errorf("notebooks/README.md lacks figure %s's row:\n%s", f.ID, NotebookRow(f))
		}
	}
	for _, pattern := range []string{"*.ipynb", "thumbs/*.png"} {
		files, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range files {
			id := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
			if !slices.Contains(known, id) {
				t.Errorf("notebooks/%s belongs to no registered figure (nor is it one of %v)", strings.TrimPrefix(p, dir+"/"), NonFigureNotebooks)
			}
		}
	}
	var rows []string
	for _, m := range regexp.MustCompile("(?m)^\\| \\[`([^`]+)\\.ipynb`\\]").FindAllStringSubmatch(string(readme), -1) {
		rows = append(rows, m[1])
	}
	if !slices.Equal(rows, known) {
		t.Errorf("notebooks/README.md's index lists %v, want %v (non-figure notebooks, then FigureNotebooks())", rows, known)
	}
}

// TestPaperReadmeShowsEveryFigure: paper/README.md's figure table shows
// every registered figure that the committed figures/ holds (it once missed
// six).
func TestPaperReadmeShowsEveryFigure(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "paper", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Figures() {
		if _, err := os.Stat(filepath.Join("..", "figures", f.ID+".png")); err != nil {
			continue // not drawn at the committed profile
		}
		if row := "| " + f.ID + " | ![" + f.ID + "](../figures/" + f.ID + ".png) |\n"; !strings.Contains(string(readme), row) {
			t.Errorf("paper/README.md's figure table lacks %q", strings.TrimSpace(row))
		}
	}
}

// TestUnknownFigure: every way of naming a figure refuses an unknown id with
// the one error, which suggests the nearest known id.
func TestUnknownFigure(t *testing.T) {
	for _, tc := range []struct{ id, hint string }{
		{"fig2", "did you mean fig2a?"},
		{"tabel4", "did you mean table4?"},
		{"Continual", "did you mean continual?"},
		{"zzzzzz", ""},
	} {
		_, err := LookupFigure(tc.id)
		if err == nil {
			t.Fatalf("%s accepted", tc.id)
		}
		msg := err.Error()
		if !strings.Contains(msg, "unknown figure") || !strings.Contains(msg, "known: fig2a, fig2b") {
			t.Errorf("%s: %q does not name the known figures", tc.id, msg)
		}
		if tc.hint != "" && !strings.Contains(msg, tc.hint) {
			t.Errorf("%s: %q lacks %q", tc.id, msg, tc.hint)
		}
		if tc.hint == "" && strings.Contains(msg, "did you mean") {
			t.Errorf("%s: %q suggests a figure far from it", tc.id, msg)
		}
		if _, _, err2 := FigureNeeds(tc.id); err2 == nil || err2.Error() != msg {
			t.Errorf("FigureNeeds(%s): %v, want the same error as LookupFigure", tc.id, err2)
		}
	}
	if got := RunFigureIDs(); !slices.Equal(got, []string{"fig5", "appG", "appH"}) {
		t.Errorf("RunFigureIDs() = %v", got)
	}
}

// TestNotebookOfSeveralFigures: a notebook that tells several figures has
// one row, whose text joins their Shows in registry order, and every one
// of them names it.
func TestNotebookOfSeveralFigures(t *testing.T) {
	var seed []FigureSpec
	for _, f := range Figures() {
		if NotebookName(f) == "seed" {
			seed = append(seed, f)
		}
	}
	if len(seed) < 2 {
		t.Fatalf("notebook seed tells %d figures, want the sketch's several", len(seed))
	}
	row := NotebookRow(seed[0])
	for _, f := range seed {
		if NotebookRow(f) != row {
			t.Errorf("figure %s: row %q, want the notebook's one row %q", f.ID, NotebookRow(f), row)
		}
		if !strings.Contains(row, f.Shows) {
			t.Errorf("row %q lacks figure %s's Shows", row, f.ID)
		}
	}
	n := 0
	for _, nb := range FigureNotebooks() {
		if nb == "seed" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("FigureNotebooks lists seed %d times", n)
	}
	if got := NotebookName(FigureSpec{ID: "fig9"}); got != "fig9" {
		t.Errorf("default notebook %q, want the ID", got)
	}
}
