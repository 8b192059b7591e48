// Package python_test checks the Python task provider's side of the
// protocol that can be checked without a host: its canonical seed matches
// Go's, byte for byte. (The host's tests run it as a real plugin.)
package python_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/plugintest"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

func TestSeedKeyMatchesGo(t *testing.T) {
	if !plugintest.HasPython() {
		t.Skip("/usr/bin/python3 with grpcio and protobuf not available")
	}
	cases := []struct {
		name   string
		params map[string]string
		r      task.Request
	}{
		{"py_parity", map[string]string{}, task.Request{N: 3, B: 64, Seed: 1, Index: 2}},
		{"dms_fixed", map[string]string{"pool_seed": "0"}, task.Request{N: 30, B: 8, Seed: 1 << 63, Index: 12345, Split: task.Test}},
		{"x", map[string]string{"b": "é", "a": "1=2"}, task.Request{N: 1, B: 1}},
	}
	for _, c := range cases {
		var py strings.Builder
		py.WriteString("import provider\nprint(provider.seed_key(")
		py.WriteString("'" + c.name + "', {")
		for k, v := range c.params {
			py.WriteString("'" + k + "': '" + v + "', ")
		}
		py.WriteString("}, ")
		for _, v := range []any{c.r.N, c.r.B, c.r.Seed, c.r.Index, int(c.r.Split)} {
			fmt.Fprintf(&py, "%v, ", v)
		}
		py.WriteString(").hex())\n")
		cmd := exec.Command("/usr/bin/python3", "-c", py.String())
		cmd.Dir = filepath.Join(plugintest.Root(), "taskplugins", "python")
		cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // no __pycache__ in the tree
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, out)
		}
		k := task.SeedKey(c.name, c.params, c.r)
		if got, want := strings.TrimSpace(string(out)), hex.EncodeToString(k[:]); got != want {
			t.Errorf("%s: Python seed %s, Go %s", c.name, got, want)
		}
	}
}
