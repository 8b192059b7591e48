package env

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestVariablesComplete: every CBRNN_* name in the repository's Go, shell,
// Python, notebook and Markdown files is listed in Variables, once, and
// every listed one is used somewhere.
func TestVariablesComplete(t *testing.T) {
	root, err := FindRoot("")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, v := range Variables {
		if listed[v.Name] {
			t.Errorf("%s is listed twice", v.Name)
		}
		listed[v.Name] = true
		if v.What == "" || (v.Scope != Setting && v.Scope != Internal && v.Scope != Test) {
			t.Errorf("%s: scope %q, meaning %q", v.Name, v.Scope, v.What)
		}
	}
	name := regexp.MustCompile(`CBRNN_[A-Z0-9_]*[A-Z0-9]`)
	seen := map[string]string{} // name → a file using it
	skip := []string{".git", "runs", "figures", "bin", ".out", "node_modules", "testdata"}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (slices.Contains(skip, d.Name()) || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".go", ".sh", ".py", ".ipynb", ".md":
		default:
			if d.Name() != "Makefile" {
				return nil
			}
		}
		if p == filepath.Join(root, "env", "vars.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range name.FindAllString(string(b), -1) {
			if _, ok := seen[n]; !ok {
				seen[n] = p
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for n, p := range seen {
		if !listed[n] {
			t.Errorf("%s (used in %s) is not listed in env.Variables", n, p)
		}
	}
	for n := range listed {
		if _, ok := seen[n]; !ok {
			t.Errorf("%s is listed in env.Variables but used nowhere", n)
		}
	}
}

func TestFindRootAndOut(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(RootVar, dir)
	if r, err := FindRoot(""); err != nil || r != dir {
		t.Errorf("FindRoot with $%s=%s: %q, %v", RootVar, dir, r, err)
	}
	if r, err := FindRoot("/x/y"); err != nil || r != "/x/y" {
		t.Errorf("FindRoot(/x/y) = %q, %v; a given folder wins", r, err)
	}
	t.Setenv(OutVar, "")
	if o, err := FindOut(""); err != nil || o != "" {
		t.Errorf("FindOut with nothing set = %q, %v; want \"\" (the repository)", o, err)
	}
	t.Setenv(OutVar, " "+dir+" ")
	if o, err := FindOut(""); err != nil || o != dir {
		t.Errorf("FindOut with $%s = %q, %v; want %s", OutVar, o, err, dir)
	}
	if o, _ := FindOut("/given"); o != "/given" {
		t.Errorf("FindOut(/given) = %q; a given folder wins", o)
	}
	e := &Env{Root: "/r"}
	if e.OutDir() != "/r" {
		t.Errorf("OutDir without Out = %q, want the root", e.OutDir())
	}
	e.Out = "/o"
	if e.OutDir() != "/o" {
		t.Errorf("OutDir = %q, want Out", e.OutDir())
	}
}

func TestPluginPath(t *testing.T) {
	t.Setenv(TaskPathVar, "")
	t.Setenv(RootVar, "/repo")
	if p := PluginPath("/mine"); p != "/mine" {
		t.Errorf("PluginPath(/mine) = %q", p)
	}
	if p := PluginPath(""); p != filepath.Join("/repo", "taskplugins", "bin") {
		t.Errorf("PluginPath with $%s=/repo: %q", RootVar, p)
	}
	t.Setenv(TaskPathVar, "/a:/b")
	if p := PluginPath(""); p != "/a:/b" {
		t.Errorf("PluginPath with $%s: %q", TaskPathVar, p)
	}
}
