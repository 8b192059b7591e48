package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/taskplugins/plugintest"
)

// pluginDir builds the dms and switch plugins into a fresh directory.
func pluginDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := plugintest.Build(dir, "taskplugins/dms", "taskplugins/switch"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if left := plugintest.Children(dir); len(left) > 0 {
			t.Errorf("plugin processes left: %v", left)
		}
	})
	return dir
}

func TestTasksList(t *testing.T) {
	dir := pluginDir(t)
	// An unlisted binary is shown as unusable, with the reason.
	if err := plugintest.Copy(filepath.Join(dir, "dms"), filepath.Join(dir, "stray")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CBRNN_TASK_PATH", dir)
	var out bytes.Buffer
	// An unusable plugin makes the listing fail (exit status 1).
	err := tasksCmd(context.Background(), []string{"list"}, &out)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 task plugins in "+dir+" cannot be used") {
		t.Fatalf("list with an unusable plugin: %v", err)
	}
	s := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^dms\s+1\.0\.0\s+1\s+dms:2\s+2-1000\s+-\s+N-DMS`),
		regexp.MustCompile(`(?m)^switch\s+1\.0\.0\s+2\s+dms:2 parity:2\s+2-1000\s+active=dms\s+task switching`),
		regexp.MustCompile(`(?m)^stray\s+.*unusable`),
		regexp.MustCompile(`stray.*not listed.*make plugins`),
	} {
		if !want.MatchString(s) {
			t.Errorf("list output lacks %v:\n%s", want, s)
		}
	}
}

// `tasks list` finds the plugins from any working directory,
// the way `train` does (the repository found from $CBRNN_ROOT, the working
// directory or the binary), and succeeds when all are usable.
func TestTasksListFromElsewhere(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "taskplugins", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := plugintest.Build(bin, "taskplugins/dms"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if left := plugintest.Children(bin); len(left) > 0 {
			t.Errorf("plugin processes left: %v", left)
		}
	})
	t.Setenv("CBRNN_TASK_PATH", "")
	t.Setenv("CBRNN_ROOT", root)
	t.Chdir(t.TempDir())
	var out bytes.Buffer
	if err := tasksCmd(context.Background(), []string{"list"}, &out); err != nil {
		t.Fatalf("list from another working directory: %v", err)
	}
	if !regexp.MustCompile(`(?m)^dms\s+1\.0\.0`).MatchString(out.String()) {
		t.Errorf("list output lacks dms:\n%s", out.String())
	}
}

func TestTasksSample(t *testing.T) {
	dir := pluginDir(t)
	var out bytes.Buffer
	args := []string{"sample", "--task", "switch", "--n", "3", "--b", "2", "--seed", "4", "--split", "test", "--param", "active=parity", "--path", dir}
	if err := tasksCmd(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"switch{N=3 B=2 seed=4 index=0 split=test params=map[active:parity]}", "I=2", "dms  parity", "bounds [5, 13] for N=3"} {
		if !strings.Contains(s, want) {
			t.Errorf("sample output lacks %q:\n%s", want, s)
		}
	}
	// Each trial: a channel-0 row of bits with two labels, then the pulse.
	rows := regexp.MustCompile(`(?m)^(\d)\s+0\s+([01]+)\s+([01])\s+([01])\s*\n\s+1\s+(111[0]+)\s*$`).FindAllStringSubmatch(s, -1)
	if len(rows) != 2 {
		t.Fatalf("want 2 trials, got %d:\n%s", len(rows), s)
	}
	for _, r := range rows {
		x, n := r[2], 3
		m := len(x)
		dms := "0"
		if x[m-n] == x[m-1] {
			dms = "1"
		}
		parity := strings.Count(x[m-n:], "1") % 2
		if r[3] != dms || r[4] != string(rune('0'+parity)) {
			t.Errorf("trial %s: x=%s labels %s %s, want %s %d", r[1], x, r[3], r[4], dms, parity)
		}
	}
}

func TestTasksErrors(t *testing.T) {
	dir := pluginDir(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sample", "--task", "dms", "--n", "1", "--path", dir}, "N=1 outside the supported range"},
		{[]string{"sample", "--task", "nope", "--n", "3", "--path", dir}, `unknown task "nope"`},
		{[]string{"sample", "--task", "dms", "--path", dir}, "--task and --n are required"},
		{[]string{"sample", "--task", "dms", "--n", "3", "--split", "dev", "--path", dir}, "want train or test"},
		{[]string{"list", "--path", t.TempDir()}, "no task plugins"},
		{[]string{"frobnicate"}, "unknown subcommand"},
	}
	for _, c := range cases {
		err := tasksCmd(context.Background(), c.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

func TestTasksNew(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := tasksCmd(context.Background(), []string{"new", "recall", "--dir", dir}, &out); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "recall", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `const taskName = "recall"`) || !strings.Contains(out.String(), "make plugins") {
		t.Fatalf("scaffold:\n%s\n%s", out.String(), src)
	}
	if err := tasksCmd(context.Background(), []string{"new", "recall", "--dir", dir}, &out); err == nil {
		t.Fatal("new overwrote an existing task")
	}
}
