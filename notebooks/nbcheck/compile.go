package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Compile type-checks (go vet) every notebook's cells against the packages
// of the repository at root, each notebook as one program (see Program) in
// a scratch module joined to the repository by a go.work, as a notebook's
// first cell joins GoNB's. It takes seconds and runs nothing.
func Compile(root string, nbs []*Notebook) error {
	tmp, err := os.MkdirTemp("", "nbcheck")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte("module nbcheck.programs\n\ngo 1.26\n"), 0o644); err != nil {
		return err
	}
	goimports := findGoimports()
	for _, nb := range nbs {
		src, err := Program(nb)
		if err != nil {
			return err
		}
		if goimports == "" {
			if src, err = dropUnusedImports(src); err != nil {
				return fmt.Errorf("%s: %w", nb.Name(), err)
			}
		}
		dir := filepath.Join(tmp, strings.ReplaceAll(nb.Name(), "-", "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		main := filepath.Join(dir, "main.go")
		if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
			return err
		}
		if goimports != "" {
			if out, err := runIn(tmp, goimports, "-w", main); err != nil {
				return fmt.Errorf("%s: goimports: %v\n%s", nb.Name(), err, out)
			}
		}
	}
	if out, err := runIn(tmp, "go", "work", "init", ".", root); err != nil {
		return fmt.Errorf("go work init: %v\n%s", err, out)
	}
	if out, err := runIn(tmp, "go", "vet", "./..."); err != nil {
		return fmt.Errorf("notebook cells do not compile against the current packages:\n%s", out)
	}
	return nil
}

// findGoimports is GoNB's goimports (scripts/setup.sh installs it), or "".
func findGoimports() string {
	if p, err := exec.LookPath("goimports"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	p := filepath.Join(strings.Split(strings.TrimSpace(string(out)), string(os.PathListSeparator))[0], "bin", "goimports")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func runIn(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}
