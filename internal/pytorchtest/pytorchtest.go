package pytorchtest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/cbrnn/cbrnn/safetensors"
)

// Python is Debian's interpreter, which has python3-torch (the python3
// first on PATH may be another one).
const Python = "/usr/bin/python3"

// RequireEnv names the variable that turns a missing PyTorch into a failure.
const RequireEnv = "CBRNN_REQUIRE_TORCH"

var (
	once    sync.Once
	version string
	missing error
)

// Script is the path of authors_torch.py.
func Script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "authors_torch.py")
}

// Require skips (or, with CBRNN_REQUIRE_TORCH=1, fails) t when PyTorch is
// not available, and returns its version.
func Require(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		out, err := exec.Command(Python, "-c", "import torch, numpy; print(torch.__version__)").CombinedOutput()
		if err != nil {
			missing = err
			version = string(out)
			return
		}
		version = string(bytes.TrimSpace(out))
	})
	if missing != nil {
		msg := "PyTorch is not available at " + Python + " (scripts/setup.sh --with-torch installs it): " + missing.Error() + " " + version
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return version
}

// Run runs authors_torch.py with args and fails t, with its output, if it
// fails.
func Run(t testing.TB, args ...string) {
	t.Helper()
	Require(t)
	cmd := exec.Command(Python, append([]string{Script()}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("authors_torch.py %v: %v\n%s", args, err, out)
	}
}

// RunAll runs many authors_torch.py commands in one Python process
// (importing torch takes seconds each time), failing t if any fails.
func RunAll(t testing.TB, jobs [][]string) {
	t.Helper()
	if len(jobs) == 0 {
		return
	}
	b, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp("", "authors-torch-jobs-*.json")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	f.Close()
	Run(t, "batch", f.Name())
}

// ReadOutputs reads a safetensors file the script wrote, by name.
func ReadOutputs(t testing.TB, path string) map[string]safetensors.Tensor {
	t.Helper()
	ts, _, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]safetensors.Tensor{}
	for _, x := range ts {
		out[x.Name] = x
	}
	return out
}
