package template

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

//go:embed example/main.go
var source string

const nameLine = `const taskName = "example"`

// validName keeps names usable as file, directory and flag values.
var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Source returns the template's main.go for a task called name.
func Source(name string) (string, error) {
	if !validName.MatchString(name) {
		return "", fmt.Errorf("task name %q: use lower case letters, digits and _, starting with a letter", name)
	}
	if strings.Count(source, nameLine) != 1 {
		return "", errors.New("template: the taskName line is missing from example/main.go")
	}
	s := strings.Replace(source, nameLine, fmt.Sprintf("const taskName = %q", name), 1)
	s = strings.Replace(s, "// Command example is", "// Command "+name+" is", 1)
	return s, nil
}

// Write creates dir/name/main.go from the template and returns its path. It
// never overwrites an existing file.
func Write(dir, name string) (string, error) {
	src, err := Source(name)
	if err != nil {
		return "", err
	}
	pkg := filepath.Join(dir, name)
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(pkg, "main.go")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", fmt.Errorf("new task: %w", err)
	}
	if _, err := f.WriteString(src); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
