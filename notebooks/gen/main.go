// Command gen writes the GoNB notebooks in notebooks/, one per figure of the
// paper (SPEC §5), plus smoke.ipynb, a toolchain check that needs nothing but
// the module's dependencies. The notebooks are generated, never hand-edited:
// change the cell text here and run
//
//	go run ./notebooks/gen            (from the repository root)
//	go run ./notebooks/gen -check     fail if a committed notebook is stale (run.sh does this)
//	go run ./notebooks/gen -compile   type-check every notebook's Go code against the
//	                                  current packages, without running it (seconds)
//
// Every notebook has the same shape: a markdown title cell, a setup cell that
// makes the local module github.com/cbrnn/cbrnn importable from GoNB's
// temporary directory, a profile cell, and the figure cell. The figure call
// lives in ONE place, figureCell below.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

// figure describes one notebook.
type figure struct {
	ID      string // figure id, also the notebook's file name
	Title   string
	Shows   string // what the figure shows (markdown)
	Section string // where the SPEC describes it
	Live    bool   // add the "train a CB-RNN live" cell
}

var figures = []figure{
	{ID: "fig2a", Title: "Figure 2a — curriculum progress, CB-RNN vs RNN",
		Shows:   "Highest N solved vs training epoch (mean ± SEM over runs) for the CB-RNN (H=64, G=256) and the parameter-matched RNN (H=202), on N-DMS and N-parity.",
		Section: "SPEC §1 (models), §2 (tasks), §3 (curriculum), §4 (learning metrics)", Live: true},
	{ID: "fig2b", Title: "Figure 2b — learning efficiency vs size",
		Shows:   "Area under the N-vs-epoch curve against the number of trainable parameters for the four matched pairs (G = 64/128/256/512 with H=64 ↔ RNN H = 128/160/202/272), N-DMS and N-parity.",
		Section: "SPEC §1 (parameter matching), §4 (AUC)"},
	{ID: "fig3", Title: "Figure 3 — multitask and task switching",
		Shows:   "N progression in the multitask setting (one sequence, DMS and parity heads), and under task switching one panel per task (its N, switches into it dashed), cut at 650 epochs; the table has the authors' switching metrics (active line, epochs to each switch, adaptation after a switch, censoring, N gained). CB-RNN vs RNN.",
		Section: "SPEC §2 (multitask, task switching), §3"},
	{ID: "fig4", Title: "Figure 4 — Frozen-core and Periodic-core",
		Shows:   "Frozen-core and Periodic-core networks against the CB-RNN and the RNN: single tasks (a), multitask (b), and task switching (c) as the authors draw it: the active task's N per epoch, dotted where most runs train parity, with a ribbon of the fraction of runs on parity, cut at 650 epochs.",
		Section: "SPEC §3 (Frozen-core, Periodic-core)"},
	{ID: "fig5", Title: "Figure 5 — cerebellar ablation",
		Shows:   "Accuracy vs N with and without the cerebellar term on evaluation trials shared by every network (N = the checkpoints all networks have), per-network bars, and a joint t-SNE of the final hidden states with and without the CB.",
		Section: "paper/METHODS §4.3–4.4"},
	{ID: "fig6", Title: "Figure 6 — mechanisms",
		Shows:   "DMS memory propagation through the one-step Jacobian (full, CB detached, the CB's contribution; CB-RNN vs RNN-202) and the parity CB-encoding swaps (Correct, No CB, Same, Opposite).",
		Section: "paper/METHODS §4.9–4.10"},
	{ID: "appB", Title: "Appendix B — parameter matching",
		Shows:   "The parameter-count table used to match every CB model with its plain-RNN (or GRU) baseline.",
		Section: "SPEC §1 (parameter matching)"},
	{ID: "appC", Title: "Appendix C — GRU cores",
		Shows:   "Learning curves of GRU (H=64) + CB (G=256) against the parameter-matched GRU with H=128.",
		Section: "SPEC §1 (GRU core), §3 (500-epoch budget)"},
	{ID: "appG", Title: "Appendix G — dimensionality and timescales",
		Shows:   "PCA dimensionality (d95/width vs N) and population timescales for each module (hidden, GC, PC, CB output) against N over every checkpoint, on DMS and parity: full training vs Frozen-core, and G = 256 vs G = 512.",
		Section: "paper/METHODS §4.6–4.7"},
	{ID: "appH", Title: "Appendix H — readout recovery",
		Shows:   "Accuracy after removing the cerebellar module, before and after retraining only the readout, the gaps to the intact network, and the controls that show the fall at low N is the protocol's (a smaller step; the same retraining of the intact network).",
		Section: "SPEC §4 (readout recovery)"},
	{ID: "table4", Title: "Table 4 — learning metrics",
		Shows:   "Max N, epochs to half the global max N and AUC for every group (CB-RNN, Frozen-core, Periodic-core, RNN-202), N-DMS and N-parity, next to the paper's numbers.",
		Section: "SPEC §4 (learning metrics), §6 (the paper's numbers)"},
	{ID: "continual", Title: "Continual learning with savings",
		Shows:   "The authors' continual curriculum (plan DMS → parity → DMS in fixed-length phases, each task at its own N): the N of the task being trained and of each task, per group (CB-RNN, Frozen-core, Periodic-core, per-task core, RNN), and the savings when DMS returns. Not drawn in the paper; a figure of this package.",
		Section: "METHODS §3.7"},
	{ID: "curricula", Title: "Fixed-schedule, cumulative and sliding curricula",
		Shows:   "Test accuracy under the fixed schedule (N + 1 every K epochs), and the largest N of the cumulative and sliding multi-head curricula next to the standard curriculum, CB-RNN vs RNN. Not drawn in the paper; a figure of this package.",
		Section: "METHODS §3.8, §3.9"},
	{ID: "controls", Title: "Controls: auxiliary RNN and compressed CB",
		Shows:   "Learning curves of the auxiliary-RNN control (a leaky RNN of the CB's size in its place) and of the CB with a compression layer, next to the CB-RNN and the matched RNN.",
		Section: "METHODS §1.7, §1.8"},
}

// setupCell makes github.com/cbrnn/cbrnn importable. GoNB compiles every cell
// in a temporary module ($GONB_TMP_DIR, where `!*` commands run); `!` commands
// and the cell programs run in the kernel's directory ($GONB_DIR: the
// notebook's folder under nbconvert and the notebook server). The repository
// root is $CBRNN_ROOT when set (notebooks/run.sh sets it), otherwise the first
// directory at or above $GONB_DIR whose go.mod declares the module. The
// temporary module joins a go.work with the repository and tools/gonb (which
// pins the gonbui package used for display), so every import resolves from
// the workspace's go.mod files: %noautoget stops GoNB's un-versioned `go get`
// (refused by some module proxies, and it would float versions), and
// %goworkfix adds the matching replace rules to the temporary go.mod.
const setupCell = `!*set -e; R="${CBRNN_ROOT:-}"; \
if [ -z "$R" ]; then d="$GONB_DIR"; \
  while [ "$d" != / ] && ! grep -qs '^module github.com/cbrnn/cbrnn$' "$d/go.mod"; do d=$(dirname "$d"); done; \
  R="$d"; fi; \
grep -qs '^module github.com/cbrnn/cbrnn$' "$R/go.mod" || { echo "cbrnn: repository root not found (set CBRNN_ROOT); tried $R" >&2; exit 1; }; \
[ -f go.work ] || go work init; go work use . "$R" "$R/tools/gonb"; echo "cbrnn module: $R"
%goworkfix
%noautoget

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
{{- range .Std}}
	{{printf "%q" .}}
{{- end}}

	"github.com/janpfeifer/gonb/gonbui"
{{- range .Mods}}
	{{printf "%q" .}}
{{- end}}
)

// repoRoot is the directory of github.com/cbrnn/cbrnn, found as in the
// shell line above.
func repoRoot() string {
	if r := os.Getenv("CBRNN_ROOT"); r != "" {
		return r
	}
	d, _ := os.Getwd()
	if g := os.Getenv("GONB_DIR"); g != "" {
		d = g
	}
	for {
		b, _ := os.ReadFile(filepath.Join(d, "go.mod"))
		for _, l := range bytes.Split(b, []byte("\n")) {
			if string(bytes.TrimSpace(l)) == "module github.com/cbrnn/cbrnn" {
				return d
			}
		}
		p := filepath.Dir(d)
		if p == d {
			panic("cbrnn: repository root not found; set CBRNN_ROOT")
		}
		d = p
	}
}

// show displays a figure inline: PNG bytes, a path to a PNG file or an image.
func show(v any) {
	switch x := v.(type) {
	case []byte:
		gonbui.DisplayPNG(x)
	case string:
		b, err := os.ReadFile(x)
		if err != nil {
			panic(err)
		}
		gonbui.DisplayHTML("<p><code>" + filepath.Base(x) + "</code></p>")
		gonbui.DisplayPNG(b)
	case image.Image:
		if err := gonbui.DisplayImage(x); err != nil {
			panic(err)
		}
	default:
		panic(fmt.Sprintf("show: cannot display a %T", v))
	}
}
`

// profileCell reads the run profile and worker count from the environment.
const profileCell = `// CBRNN_PROFILE picks the compute budget: smoke (seconds), quick (minutes,
// the default) or paper (the paper's full protocol; hours on a GPU).
// CBRNN_JOBS bounds concurrent runs (0: the package decides).
var (
	root    = repoRoot()
	profile = envOr("CBRNN_PROFILE", "quick")
	jobs    = envInt("CBRNN_JOBS", 0)
)

func envOr(k, def string) string {
	if v := strings.TrimSpace(os.Getenv(k)); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	v := strings.TrimSpace(os.Getenv(k))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		panic(fmt.Sprintf("%s=%q: not an integer", k, v))
	}
	return n
}

%%
fmt.Printf("root=%s profile=%s jobs=%d\n", root, profile, jobs)
`

// liveCell is fig2a's extra cell: a CB-RNN trained live in about a minute.
const liveCell = `// Train a CB-RNN live, in about a minute, before the full figure.
%%
ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
defer stop()
if err := experiments.LiveDemo(ctx, root); err != nil {
	panic(err)
}
`

// figureCell is the cell that regenerates a figure: the one place to adjust
// when the experiments API changes. {{.ID}} is the figure id.
const figureCell = `%%
ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
defer stop()
res, err := experiments.Figure(ctx, {{printf "%q" .ID}}, experiments.Options{Profile: profile, Root: root, Jobs: jobs})
if err != nil {
	panic(err)
}
for _, png := range res.PNGs {
	show(png)
}
if res.Markdown != "" {
	gonbui.DisplayMarkdown(res.Markdown)
}
`

// figureImports are the imports the figure cells need, beyond setupCell's
// (GoNB drops the ones a cell does not use).
var figureImports = imports{Std: []string{"context", "os/signal"}, Mods: []string{"github.com/cbrnn/cbrnn/experiments"}}

type imports struct{ Std, Mods []string }

// smokeCell checks the toolchain without the experiments package: it
// imports a package of the local module and gonum/plot (a dependency of the
// module), draws a PNG, displays it and writes it to $CBRNN_SMOKE_OUT (default
// notebooks/.out/smoke.png).
const smokeCell = `%%
fmt.Printf("local module reachable: task.%v\n", task.Train)
p := plot.New()
p.Title.Text = "GoNB smoke test"
pts := make(plotter.XYs, 50)
for i := range pts {
	pts[i].X = float64(i)
	pts[i].Y = float64(i * i)
}
line, err := plotter.NewLine(pts)
if err != nil {
	panic(err)
}
p.Add(line)
w, err := p.WriterTo(4*vg.Inch, 3*vg.Inch, "png")
if err != nil {
	panic(err)
}
var buf bytes.Buffer
if _, err := w.WriteTo(&buf); err != nil {
	panic(err)
}
show(buf.Bytes())
gonbui.DisplayHTML("<b>smoke ok</b>")
out := envOr("CBRNN_SMOKE_OUT", filepath.Join(root, "notebooks", ".out", "smoke.png"))
if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
	panic(err)
}
if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
	panic(err)
}
fmt.Println("wrote", out)
`

var smokeImports = imports{Mods: []string{"gonum.org/v1/plot", "gonum.org/v1/plot/plotter", "gonum.org/v1/plot/vg", "github.com/cbrnn/cbrnn/taskplugins/task"}}

// cell is one notebook cell in nbformat 4 (a map: code cells need an
// explicit null execution_count, markdown cells must not have one).
type cell map[string]any

type notebook struct {
	Cells         []cell         `json:"cells"`
	Metadata      map[string]any `json:"metadata"`
	NBFormat      int            `json:"nbformat"`
	NBFormatMinor int            `json:"nbformat_minor"`
}

// lines splits text into Jupyter's source list (each line keeps its "\n").
func lines(text string) []string {
	text = strings.TrimRight(text, "\n")
	parts := strings.SplitAfter(text, "\n")
	return parts
}

func markdown(id, text string) cell {
	return cell{"cell_type": "markdown", "id": id, "metadata": map[string]any{}, "source": lines(text)}
}

func code(id, text string) cell {
	return cell{"cell_type": "code", "id": id, "metadata": map[string]any{}, "execution_count": nil,
		"outputs": []any{}, "source": lines(text)}
}

func render(name, tmpl string, data any) string {
	t := template.Must(template.New(name).Parse(tmpl))
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		log.Fatalf("template %s: %v", name, err)
	}
	return b.String()
}

func newNotebook(cells []cell) notebook {
	return notebook{
		Cells: cells,
		Metadata: map[string]any{
			"kernelspec": map[string]any{"display_name": "Go (gonb)", "language": "go", "name": "gonb"},
			"language_info": map[string]any{
				"codemirror_mode": "", "file_extension": ".go", "mimetype": "", "name": "go",
				"nbconvert_exporter": "", "pygments_lexer": "", "version": "go1.26",
			},
		},
		NBFormat: 4, NBFormatMinor: 5,
	}
}

const runHint = "Run headless from the repository root with `notebooks/run.sh %s` " +
	"(`CBRNN_PROFILE=smoke|quick|paper`, `CBRNN_JOBS=N`). " +
	"This notebook is generated by `go run ./notebooks/gen`: edit the generator, not the notebook."

func figureNotebook(f figure) notebook {
	md := fmt.Sprintf("# %s\n\n%s\n\nSpecification: %s.\n\n"+runHint+"\n", f.Title, f.Shows, f.Section, f.ID)
	cells := []cell{
		markdown("title", md),
		code("setup", render("setup", setupCell, figureImports)),
		code("profile", profileCell),
	}
	if f.Live {
		cells = append(cells, code("live", liveCell))
	}
	cells = append(cells, code("figure", render("figure", figureCell, f)))
	return newNotebook(cells)
}

func smokeNotebook() notebook {
	md := "# Toolchain smoke test\n\nChecks that GoNB reaches the local module, draws a plot with gonum/plot " +
		"and displays it. It does not use the experiments package.\n\n" + fmt.Sprintf(runHint, "smoke") + "\n"
	return newNotebook([]cell{
		markdown("title", md),
		code("setup", render("setup", setupCell, smokeImports)),
		code("profile", profileCell),
		code("smoke", smokeCell),
	})
}

// write writes notebook id into dir if its content changed; with check it
// writes nothing and reports a stale or missing file instead.
func write(dir, id string, nb notebook, check bool) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nb); err != nil {
		return err
	}
	b := buf.Bytes()
	path := filepath.Join(dir, id+".ipynb")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if check {
		return fmt.Errorf("%s is not what notebooks/gen writes", path)
	}
	fmt.Println("wrote", path)
	return os.WriteFile(path, b, 0o644)
}

// goProgram turns a notebook's code cells into one Go program, roughly as
// GoNB does: special-command lines (`!…`, `%…`, with `\` continuations) are
// dropped, what precedes a `%%` line is kept as declarations and what follows
// it becomes the body of a function. It lets -compile type-check the cells
// against the current packages without running anything.
func goProgram(nb notebook) string {
	var decls, funcs strings.Builder
	for i, c := range nb.Cells {
		if c["cell_type"] != "code" {
			continue
		}
		var body *strings.Builder
		cont := false
		for _, l := range c["source"].([]string) {
			l = strings.TrimRight(l, "\n")
			t := strings.TrimSpace(l)
			if cont {
				cont = strings.HasSuffix(t, "\\")
				continue
			}
			if t == "%%" {
				body = &strings.Builder{}
				continue
			}
			if strings.HasPrefix(t, "!") || strings.HasPrefix(t, "%") {
				cont = strings.HasSuffix(t, "\\")
				continue
			}
			if body != nil {
				body.WriteString(l + "\n")
			} else {
				decls.WriteString(l + "\n")
			}
		}
		if body != nil {
			fmt.Fprintf(&funcs, "\nfunc cell%d() {\n%s}\n", i, body.String())
		}
	}
	return "package main\n\n" + decls.String() + funcs.String() + "\nfunc main() {}\n"
}

// compileAll builds every notebook's program in a scratch module joined to
// the repository (and tools/gonb) by a go.work, as the setup cell does.
func compileAll(root string, nbs map[string]notebook) error {
	tmp, err := os.MkdirTemp("", "nbcompile")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	run := func(dir string, args ...string) error {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	var failed []string
	for id, nb := range nbs {
		d := filepath.Join(tmp, id)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte("module nb_"+id+"\n\ngo 1.26\n"), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "main.go"), []byte(goProgram(nb)), 0o644); err != nil {
			return err
		}
		if err := run(d, "work", "init", ".", root, filepath.Join(root, "tools", "gonb")); err != nil {
			return err
		}
		if err := run(d, "vet", "."); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", id, err)
			failed = append(failed, id)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("notebooks that do not compile: %s", strings.Join(failed, " "))
	}
	return nil
}

func main() {
	dir := flag.String("dir", "notebooks", "output directory")
	only := flag.String("only", "", "comma-separated ids to write (default: all, plus smoke)")
	check := flag.Bool("check", false, "write nothing; fail if a notebook differs from what would be written")
	compile := flag.Bool("compile", false, "write nothing; type-check each notebook's Go code against the repository (run from its root)")
	flag.Parse()
	want := map[string]bool{}
	for _, id := range strings.Split(*only, ",") {
		if id != "" {
			want[id] = true
		}
	}
	nbs := map[string]notebook{}
	for _, f := range figures {
		if len(want) == 0 || want[f.ID] {
			nbs[f.ID] = figureNotebook(f)
		}
	}
	if len(want) == 0 || want["smoke"] {
		nbs["smoke"] = smokeNotebook()
	}
	if *compile {
		root, err := filepath.Abs(".")
		if err != nil {
			log.Fatal(err)
		}
		if err := compileAll(root, nbs); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, id := range sortedKeys(nbs) {
		if err := write(*dir, id, nbs[id], *check); err != nil {
			log.Fatal(err)
		}
	}
}

func sortedKeys(m map[string]notebook) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
