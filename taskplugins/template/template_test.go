package template_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/taskplugins/plugintest"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/template"
)

func TestSourceNames(t *testing.T) {
	src, err := template.Source("recall")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(src, `const taskName = "recall"`) || strings.Contains(src, `"example"`) {
		t.Fatalf("name not substituted:\n%s", src)
	}
	for _, bad := range []string{"", "Recall", "1x", "a-b", "../x"} {
		if _, err := template.Source(bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

// A user's task, made from the template in a module of its own (as someone
// outside this repository would), built, verified by a manifest and served
// through the host.
func TestTemplatePluginThroughHost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin")
	}
	mod := t.TempDir()
	root := plugintest.Root()
	gomod := fmt.Sprintf("module example.com/mytasks\n\ngo 1.26\n\nrequire github.com/cbrnn/cbrnn v0.0.0\n\nreplace github.com/cbrnn/cbrnn => %s\n", root)
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := template.Write(mod, "recall"); err != nil {
		t.Fatal(err)
	}
	if _, err := template.Write(mod, "recall"); err == nil {
		t.Fatal("Write overwrote an existing task")
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", bin+"/", "./recall")
	cmd.Dir = mod
	// Offline: everything is in the module cache already.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := host.WriteManifest(bin, []string{"recall"}); err != nil {
		t.Fatal(err)
	}

	h, err := host.Open(context.Background(), host.Options{Path: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := context.Background()
	d, err := h.Describe(ctx, "recall")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "recall" || d.Heads[0] != 2 {
		t.Fatalf("declaration %+v", d)
	}
	for idx := range uint64(5) {
		r := task.Request{Task: "recall", N: 4, B: 16, Index: idx}
		b, err := h.Batch(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.B {
			if want := int32(b.At(b.T-1-4, i, 0)); b.Labels[0][i] != want {
				t.Fatalf("%v trial %d: label %d, want x[M-1-N] = %d", r, i, b.Labels[0][i], want)
			}
		}
	}
	h.Close()
	if left := plugintest.Children(bin); len(left) > 0 {
		t.Fatalf("processes left: %v", left)
	}
}
