package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// liveNotebooks train or probe networks in their cells, so they may import
// notebooks/nb/live (and experiments), which link GoMLX.
var liveNotebooks = []string{"explore", "models", "new_task"}

// notYetLight are figure notebooks that still load their cohorts through
// notebooks/nb/live instead of reading the data `cbrnn figures` saved
// (nb.FigData; notebooks/README.md, "How a figure notebook reads its
// data"). Remove a notebook from this list when it is converted; the test
// fails for a listed notebook that is already light, so the list only
// shrinks.
var notYetLight = []string{}

var importRE = regexp.MustCompile(`"([^"\s]+)"`)

// notebookImports are the packages a notebook's cells import (the import
// blocks of its code cells).
func notebookImports(t *testing.T, nb *Notebook) []string {
	t.Helper()
	var out []string
	for _, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		src := string(c.Source)
		for {
			i := strings.Index(src, "import (")
			if i < 0 {
				break
			}
			j := strings.Index(src[i:], ")")
			if j < 0 {
				t.Fatalf("%s: unterminated import block", nb.Name())
			}
			for _, m := range importRE.FindAllStringSubmatch(src[i:i+j], -1) {
				out = append(out, m[1])
			}
			src = src[i+j:]
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// A figure notebook's cells link no GoMLX: GoNB builds every cell as a new
// program, and one that links GoMLX spends seconds more in the linker
// (README, "Notebooks"). `go list -deps` of every package a light notebook
// imports holds no github.com/gomlx package.
func TestFigureNotebooksLinkNoGoMLX(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	nbs, err := ReadDir(filepath.Join("..", ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(nbs) == 0 {
		t.Fatal("no notebooks found in notebooks/")
	}
	for _, nb := range nbs {
		name := nb.Name()
		if slices.Contains(liveNotebooks, name) {
			continue
		}
		imports := notebookImports(t, nb)
		args := append([]string{"list", "-deps"}, imports...)
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: go list -deps %s: %v\n%s", name, strings.Join(imports, " "), err, out)
		}
		var gomlx []string
		for _, p := range strings.Fields(string(out)) {
			if strings.HasPrefix(p, "github.com/gomlx/") {
				gomlx = append(gomlx, p)
			}
		}
		switch pending := slices.Contains(notYetLight, name); {
		case pending && len(gomlx) == 0:
			t.Errorf("%s links no GoMLX now: remove it from notYetLight", name)
		case !pending && len(gomlx) > 0:
			t.Errorf("%s links GoMLX (%d packages, e.g. %s) through its imports %v: a figure notebook reads its data with nb.FigData and imports neither notebooks/nb/live nor experiments",
				name, len(gomlx), gomlx[0], imports)
		}
	}
}
