package importrules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// module is the module path; the table below names packages relative to it.
const module = "github.com/cbrnn/cbrnn"

// allowed is, for every package of the module, the module packages it may
// import (its production imports; tests may import more). Each row is
// written out in full rather than derived from the floors, so that adding
// an arrow is a deliberate one-line edit here.
//
// The floors, bottom up; a package imports only from floors below its own:
//
//	0  leaves, no module imports: safetensors, internal/suggest (and
//	   gomlx_models, which imports only it), analysis, claims (the
//	   statistics behind every verdict), notebooks/verdicts (the words only
//	   the engine may say), plots, taskplugins/task, taskplugins/proto,
//	   taskplugins/template,
//	   and the test-only packages (scripts, taskplugins/python, this one)
//	1  rundir, internal/torchio, internal/pytorchtest (safetensors);
//	   gomlx_models/variants, internal/costmodel (gomlx_models);
//	   taskplugins/tasks, taskplugins/internal/wire (the protocol)
//	2  figdata (analysis, plots, rundir: what a figure notebook reads
//	   from `cbrnn figures` — profiles, claims file, figure data — without
//	   GoMLX); trainer (task, gomlx_models, rundir, safetensors: it never sees a
//	   plugin host or the analyses); taskplugins/host and taskplugins/sdk
//	   (the two ends of the protocol)
//	3  env (backend, plugin host, repository layout, CBRNN_* variables);
//	   internal/slurm (trainer and costmodel: it sees the figures only
//	   through its RunSource interface); internal/authors; the task plugins
//	   and the plugin template's example (sdk, tasks); taskplugins/plugintest
//	4  experiments (the figure catalogue); experiments/examplefig (the
//	   README's worked figure, registered on import)
//	5  cmd/cbrnn, notebooks/nb (no GoMLX: figdata, never experiments),
//	   notebooks/nb/live (the notebooks that train: experiments),
//	   notebooks/nbcheck
var allowed = map[string][]string{
	// Floor 0.
	"safetensors":          nil,
	"gomlx_models":         {"internal/suggest"},
	"analysis":             nil,
	"claims":               nil,
	"notebooks/verdicts":   nil,
	"plots":                nil,
	"taskplugins/task":     nil,
	"taskplugins/proto":    nil,
	"taskplugins/template": nil,
	"taskplugins/python":   nil,
	"scripts":              nil,
	"internal/importrules": nil,
	"internal/suggest":     nil,

	// Floor 1.
	"rundir":                    {"safetensors"},
	"internal/torchio":          {"safetensors"},
	"internal/pytorchtest":      {"safetensors"},
	"gomlx_models/variants":     {"gomlx_models"},
	"internal/costmodel":        {"gomlx_models"},
	"taskplugins/tasks":         {"taskplugins/task"},
	"taskplugins/internal/wire": {"taskplugins/proto", "taskplugins/task"},

	// Floor 2.
	"figdata":          {"analysis", "plots", "rundir"},
	"trainer":          {"gomlx_models", "rundir", "safetensors", "taskplugins/task"},
	"taskplugins/host": {"internal/suggest", "taskplugins/internal/wire", "taskplugins/proto", "taskplugins/task"},
	"taskplugins/sdk":  {"taskplugins/internal/wire", "taskplugins/proto", "taskplugins/task"},

	// Floor 3.
	"env":                            {"figdata", "gomlx_models", "gomlx_models/variants", "rundir", "taskplugins/host", "taskplugins/task", "trainer"},
	"internal/slurm":                 {"gomlx_models", "internal/costmodel", "trainer"},
	"internal/authors":               {"gomlx_models", "internal/torchio", "rundir", "safetensors", "trainer"},
	"taskplugins/plugintest":         {"taskplugins/host"},
	"taskplugins/template/example":   {"taskplugins/sdk", "taskplugins/task", "taskplugins/tasks"},
	"taskplugins/dms":                {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/dms_fixed":          {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/dms_multin":         {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/mod3":               {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/multitask":          {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/oddball":            {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/oddball_structured": {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/parity":             {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/parity_fixed":       {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/parity_multin":      {"taskplugins/sdk", "taskplugins/tasks"},
	"taskplugins/switch":             {"taskplugins/sdk", "taskplugins/tasks"},

	// Floor 4.
	"experiments":            {"analysis", "claims", "env", "figdata", "gomlx_models", "internal/costmodel", "internal/suggest", "plots", "rundir", "taskplugins/host", "taskplugins/task", "taskplugins/tasks", "trainer"},
	"experiments/examplefig": {"analysis", "experiments", "plots"},

	// Floor 5.
	"cmd/cbrnn": {"analysis", "claims", "env", "experiments", "gomlx_models", "gomlx_models/variants", "internal/authors",
		"internal/costmodel", "internal/slurm", "rundir", "safetensors", "taskplugins/host", "taskplugins/task",
		"taskplugins/tasks", "taskplugins/template", "trainer"},
	"notebooks/nb":      {"analysis", "figdata", "notebooks/verdicts", "plots", "rundir"},
	"notebooks/nb/live": {"env", "experiments", "notebooks/nb", "taskplugins/host"},
	"notebooks/nbcheck": {"env", "experiments", "notebooks/verdicts"},
}

// graph maps each package of the module to the module packages it
// imports, both relative to the module path.
type graph map[string][]string

// violations lists what breaks the rules, sorted: an import its row does
// not allow (named as the arrow "from → to"), a package with no row, and a
// row for a package that does not exist (a stale row hides nothing, but
// misleads whoever reads the table).
func violations(g graph, rules map[string][]string) []string {
	var out []string
	for pkg, imports := range g {
		allow, ok := rules[pkg]
		if !ok {
			out = append(out, fmt.Sprintf("%s is not in the table: add its row (the module packages it may import) to allowed", pkg))
			continue
		}
		for _, imp := range imports {
			if !slices.Contains(allow, imp) {
				out = append(out, fmt.Sprintf("%s → %s: not allowed (%s may import: %s)", pkg, imp, pkg, list(allow)))
			}
		}
	}
	for pkg := range rules {
		if _, ok := g[pkg]; !ok {
			out = append(out, fmt.Sprintf("%s has a row in the table but is not a package of the module: remove the row", pkg))
		}
	}
	sort.Strings(out)
	return out
}

func list(pkgs []string) string {
	if len(pkgs) == 0 {
		return "no module package"
	}
	return strings.Join(pkgs, ", ")
}

// moduleGraph runs `go list -json` on the whole module and keeps the
// module-internal production imports of each package.
func moduleGraph(t *testing.T) graph {
	t.Helper()
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", stderrOf(err))
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "./...")
	cmd.Dir = strings.TrimSpace(string(root))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", stderrOf(err))
	}
	g := graph{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("reading go list's output: %v", err)
		}
		pkg, ok := relative(p.ImportPath)
		if !ok {
			t.Fatalf("go list ./... listed %s, outside module %s", p.ImportPath, module)
		}
		imports := []string{}
		for _, imp := range p.Imports {
			if rel, ok := relative(imp); ok {
				imports = append(imports, rel)
			}
		}
		g[pkg] = imports
	}
	if len(g) == 0 {
		t.Fatal("go list ./... listed no package")
	}
	return g
}

// relative is path relative to the module, ok false outside it.
func relative(path string) (string, bool) {
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

func stderrOf(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
	}
	return err
}

// TestImportRules checks the module as it is against the table.
func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	g := moduleGraph(t)
	for _, v := range violations(g, allowed) {
		t.Error(v)
	}
}

// TestViolations checks the checker on a made-up module: an upward arrow,
// a package without a row and a stale row are each reported by name, and
// a graph that keeps to its table passes.
func TestViolations(t *testing.T) {
	rules := map[string][]string{
		"leaf":   nil,
		"middle": {"leaf"},
		"top":    {"leaf", "middle"},
	}
	for _, tc := range []struct {
		name string
		g    graph
		want []string
	}{
		{"keeps to the table", graph{"leaf": {}, "middle": {"leaf"}, "top": {"middle"}}, nil},
		{"upward arrow", graph{"leaf": {}, "middle": {"leaf", "top"}, "top": {"middle"}},
			[]string{"middle → top: not allowed (middle may import: leaf)"}},
		{"a leaf that imports", graph{"leaf": {"middle"}, "middle": {"leaf"}, "top": {}},
			[]string{"leaf → middle: not allowed (leaf may import: no module package)"}},
		{"package without a row", graph{"leaf": {}, "middle": {}, "top": {}, "new": {"leaf"}},
			[]string{"new is not in the table: add its row (the module packages it may import) to allowed"}},
		{"stale row", graph{"leaf": {}, "middle": {}},
			[]string{"top has a row in the table but is not a package of the module: remove the row"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := violations(tc.g, rules); !slices.Equal(got, tc.want) {
				t.Errorf("violations =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
