package live

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cbrnn/cbrnn/notebooks/nb"
	"github.com/cbrnn/cbrnn/taskplugins/host"
)

// BuildTask builds the task plugin in dir/name (a main package, e.g. from
// template.Write(dir, name)) into dir/bin/name, outside the repository, and
// writes dir/bin/manifest.json with its SHA-256, which the plugin host
// checks before it launches anything. It returns dir/bin, for
// host.Options.Path. dir gets a go.mod and a go.work that joins the
// repository, so that the plugin builds against the repository's sdk and
// task packages at their versions; it prints the command it runs.
func BuildTask(dir, name string) (string, error) {
	root := nb.Root()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module scratchtasks\n\ngo 1.26\n"), 0o644); err != nil {
		return "", err
	}
	os.Remove(filepath.Join(dir, "go.work"))
	if err := run(dir, "go", "work", "init", ".", root); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bin")
	args := []string{"build", "-trimpath", "-o", filepath.Join(bin, name), "./" + name}
	fmt.Printf("go %s\n", strings.Join(args, " "))
	if err := run(dir, "go", args...); err != nil {
		return "", fmt.Errorf("building task %s: %w", name, err)
	}
	if err := host.WriteManifest(bin, []string{name}); err != nil {
		return "", err
	}
	return bin, nil
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
