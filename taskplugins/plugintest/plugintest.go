package plugintest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/cbrnn/cbrnn/taskplugins/host"
)

// Paper lists the packages of the paper's task plugins.
var Paper = []string{
	"taskplugins/dms", "taskplugins/parity", "taskplugins/mod3", "taskplugins/oddball", "taskplugins/oddball_structured",
	"taskplugins/dms_fixed", "taskplugins/parity_fixed", "taskplugins/multitask", "taskplugins/switch",
	"taskplugins/dms_multin", "taskplugins/parity_multin",
}

// Python names the Python example plugin in Build's specs.
const Python = "python"

// Root is the repository root, found from this file's location.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Build puts the plugins named by specs into dir and writes
// dir/manifest.json listing them; it returns the binaries' names. A spec is a
// Go main package relative to the repository root (the binary takes its
// last element), or Python for the Python example.
func Build(dir string, specs ...string) ([]string, error) {
	cache := filepath.Join(Root(), ".cache", "plugintest")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	// Test binaries of several packages may build at once: take turns.
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	var pkgs, names []string
	python := false
	for _, s := range specs {
		if s == Python {
			python = true
			names = append(names, "py_parity")
			continue
		}
		pkgs = append(pkgs, "./"+strings.TrimPrefix(s, "./"))
		names = append(names, filepath.Base(s))
	}
	if len(pkgs) > 0 {
		args := append([]string{"build", "-trimpath", "-o", cache + "/"}, pkgs...)
		cmd := exec.Command(goTool(), args...)
		cmd.Dir = Root()
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %v: %w\n%s", pkgs, err, out)
		}
	}
	if python {
		cmd := exec.Command("/usr/bin/python3", filepath.Join(Root(), "taskplugins", "python", "build_pyz.py"), filepath.Join(cache, "py_parity"))
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building the Python plugin: %w\n%s", err, out)
		}
	}
	for _, n := range names {
		if err := Copy(filepath.Join(cache, n), filepath.Join(dir, n)); err != nil {
			return nil, err
		}
	}
	return names, host.WriteManifest(dir, names)
}

// HasPython reports whether /usr/bin/python3 can run the Python plugin.
func HasPython() bool {
	return exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf").Run() == nil
}

// Copy copies an executable.
func Copy(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// Children lists the live processes whose command line starts with a path
// inside dir, or whose environment says the host launched them as a plugin
// of dir (a plugin runs from the host's verified private copy, so a Python
// plugin's command line names the copy) (Linux /proc): the plugins a test
// launched from dir. Tests use it to prove that no plugin outlives its
// host.
func Children(dir string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	prefix := dir + string(filepath.Separator)
	for _, p := range procs {
		raw, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || len(raw) == 0 {
			continue // gone, or a zombie
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		hit := false
		for _, a := range args[:min(len(args), 2)] { // python3 <script> counts too
			if strings.HasPrefix(a, prefix) {
				hit = true
			}
		}
		if env, err := os.ReadFile(filepath.Join(p, "environ")); err == nil {
			for _, kv := range strings.Split(string(env), "\x00") {
				if strings.HasPrefix(kv, "CBRNN_TASK_PLUGIN="+prefix) {
					hit = true
				}
			}
		}
		if hit {
			var pid int
			fmt.Sscanf(filepath.Base(p), "%d", &pid)
			pids = append(pids, pid)
		}
	}
	return pids
}
