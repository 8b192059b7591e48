package live

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cbenv "github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/notebooks/nb"
	"github.com/cbrnn/cbrnn/taskplugins/host"
)

// nb (which links no GoMLX) names $CBRNN_JOBS itself; it is env's.
func TestJobsVarIsEnvs(t *testing.T) {
	if nb.JobsVar != cbenv.JobsVar {
		t.Errorf("nb.JobsVar = %q, env.JobsVar = %q", nb.JobsVar, cbenv.JobsVar)
	}
}

// The first Env of a checkout without built plugins builds them, once.
func TestEnsurePluginsBuildsOnce(t *testing.T) {
	t.Setenv(host.PathEnv, "")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "taskplugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	count := filepath.Join(root, "builds")
	script := "#!/bin/sh\nset -e\necho built >> " + count + "\nmkdir -p taskplugins/bin\necho '{}' > taskplugins/bin/manifest.json\n"
	if err := os.WriteFile(filepath.Join(root, "taskplugins", "build.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var said bytes.Buffer
	for range 2 {
		if err := ensurePlugins(root, &said); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(count); string(b) != "built\n" {
		t.Errorf("build.sh ran %d times, want once", strings.Count(string(b), "built"))
	}
	if n := strings.Count(said.String(), "building them once"); n != 1 {
		t.Errorf("said %q, want one line about building the plugins", said.String())
	}
	// A failing build is an error that carries the script's output.
	os.Remove(filepath.Join(root, host.DefaultDir, host.ManifestFile))
	os.WriteFile(filepath.Join(root, "taskplugins", "build.sh"), []byte("#!/bin/sh\necho 'no go here' >&2\nexit 3\n"), 0o755)
	if err := ensurePlugins(root, &said); err == nil || !strings.Contains(err.Error(), "no go here") {
		t.Errorf("failing build: %v", err)
	}
	// $CBRNN_TASK_PATH names plugins built elsewhere: nothing is built.
	t.Setenv(host.PathEnv, t.TempDir())
	if err := ensurePlugins(root, &said); err != nil {
		t.Errorf("with %s set: %v", host.PathEnv, err)
	}
}
