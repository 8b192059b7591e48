package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/template"
)

func init() {
	register("tasks", "list, sample and scaffold task plugins", runTasks)
}

const tasksUsage = `usage: cbrnn tasks list   [--path DIRS]
       cbrnn tasks sample --task NAME --n N [--b B] [--seed S] [--index I] [--split train|test] [--param KEY=VALUE]... [--path DIRS]
       cbrnn tasks new NAME [--dir taskplugins]

list    describes every plugin found (name, version, heads, N range, parameters).
sample  prints one small batch with its labels.
new     writes DIR/NAME/main.go from the template; then run 'make plugins'.

Plugins are looked for in $CBRNN_TASK_PATH, else taskplugins/bin (built by
'make plugins') of the repository found from $CBRNN_ROOT, the working
directory or the cbrnn binary, as 'cbrnn train' does; --path overrides
both. 'list' fails (exit status 1) when any plugin found cannot be used.
`

// runTasks is the tasks command.
func runTasks(ctx context.Context, args []string) error {
	return tasksCmd(ctx, args, os.Stdout)
}

func tasksCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, tasksUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "list":
		return tasksList(ctx, args[1:], out)
	case "sample":
		return tasksSample(ctx, args[1:], out)
	case "new":
		return tasksNew(args[1:], out)
	}
	fmt.Fprint(os.Stderr, tasksUsage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func tasksFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("tasks "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), tasksUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	path := fs.String("path", "", "plugin `DIRS`, separated by ':' (default $CBRNN_TASK_PATH, else taskplugins/bin)")
	return fs, path
}

func tasksList(ctx context.Context, args []string, out io.Writer) error {
	fs, path := tasksFlags("list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	where := env.PluginPath(*path)
	h, err := host.Open(ctx, host.Options{Path: where})
	if err != nil {
		return err
	}
	defer h.Close()
	plugins := h.Plugins()
	if len(plugins) == 0 {
		return fmt.Errorf("no task plugins in %s: build them with 'make plugins' or set %s", where, host.PathEnv)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tVERSION\tINPUTS\tHEADS (classes)\tN\tPARAMS\tDESCRIPTION")
	var problems []string
	for _, p := range plugins {
		d, err := h.Describe(ctx, p.Name)
		if err != nil {
			fmt.Fprintf(w, "%s\t-\t-\t-\t-\t-\tunusable (see below)\n", p.Name)
			problems = append(problems, err.Error())
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%d-%d\t%s\t%s\n", d.Name, d.Version, d.Inputs, heads(d), d.MinN, d.MaxN, params(d), d.Summary)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(out, "\n"+p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d of %d task plugins in %s cannot be used (the reasons are listed above)", len(problems), len(plugins), where)
	}
	return nil
}

func heads(d task.Description) string {
	var s []string
	for i, c := range d.Heads {
		name := fmt.Sprint(i)
		if i < len(d.HeadNames) {
			name = d.HeadNames[i]
		}
		s = append(s, fmt.Sprintf("%s:%d", name, c))
	}
	return strings.Join(s, " ")
}

func params(d task.Description) string {
	if len(d.Params) == 0 {
		return "-"
	}
	var s []string
	for _, p := range d.Params {
		s = append(s, p.Key+"="+p.Default)
	}
	return strings.Join(s, " ")
}

// paramFlag collects repeated --param KEY=VALUE.
type paramFlag map[string]string

func (p paramFlag) String() string { return fmt.Sprint(map[string]string(p)) }

func (p paramFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	if was, ok := p[k]; ok {
		return fmt.Errorf("%s is given twice (%s=%s, then %s=%s): give each parameter once", k, k, was, k, v)
	}
	p[k] = v
	return nil
}

func tasksSample(ctx context.Context, args []string, out io.Writer) error {
	fs, path := tasksFlags("sample")
	name := fs.String("task", "", "task `NAME` (see 'cbrnn tasks list')")
	n := fs.Int("n", 0, "task difficulty `N`")
	b := fs.Int("b", 4, "number of trials")
	seed := fs.Uint64("seed", 0, "run `SEED`")
	index := fs.Uint64("index", 0, "batch `INDEX` in its stream")
	split := fs.String("split", "train", "train or test")
	ps := paramFlag{}
	fs.Var(ps, "param", "task parameter `KEY=VALUE` (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" || *n <= 0 {
		fs.Usage()
		return errors.New("--task and --n are required")
	}
	r := task.Request{Task: *name, N: *n, B: *b, Seed: *seed, Index: *index, Params: ps}
	switch *split {
	case "train":
		r.Split = task.Train
	case "test":
		r.Split = task.Test
	default:
		return fmt.Errorf("--split %q: want train or test", *split)
	}
	if len(ps) == 0 {
		r.Params = nil
	}
	h, err := host.Open(ctx, host.Options{Path: env.PluginPath(*path)})
	if err != nil {
		return err
	}
	defer h.Close()
	d, err := h.Describe(ctx, r.Task)
	if err != nil {
		return err
	}
	batch, err := h.Batch(ctx, r)
	if err != nil {
		return err
	}
	printBatch(out, d, r, batch)
	return nil
}

// printBatch shows a batch one trial per block: each input channel as a
// row over time (0/1 inputs as digits), then the labels per head.
func printBatch(out io.Writer, d task.Description, r task.Request, b *task.Batch) {
	fmt.Fprintf(out, "%s %s: %s\n", d.Name, d.Version, d.Summary)
	fmt.Fprintf(out, "request %v\n", r)
	where := "on the last step"
	if d.Labels == task.PerStep {
		where = "per step"
	}
	fmt.Fprintf(out, "T=%d (bounds %s for N=%d)  B=%d  I=%d  labels %s\n\n", b.T, tbounds(d, r.N), r.N, b.B, b.I, where)

	binary := true
	for _, v := range b.X {
		if v != 0 && v != 1 {
			binary = false
			break
		}
	}
	names := make([]string, len(d.Heads))
	for i := range names {
		names[i] = fmt.Sprintf("head%d", i)
		if i < len(d.HeadNames) {
			names[i] = d.HeadNames[i]
		}
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "trial\tch\tx (t = 0 … %d)\t%s\n", b.T-1, strings.Join(names, "\t"))
	for i := range b.B {
		for c := range b.I {
			var row strings.Builder
			for t := range b.T {
				v := b.At(t, i, c)
				if binary {
					row.WriteByte('0' + byte(v))
				} else {
					if t > 0 {
						row.WriteByte(' ')
					}
					row.WriteString(strconv.FormatFloat(float64(v), 'g', 3, 32))
				}
			}
			// Every row has all cells, so tabwriter aligns the columns.
			trial, labels := "", strings.Repeat("\t", len(b.Labels)-1)
			if c == 0 {
				trial = fmt.Sprint(i)
				labels = labelCells(d, b, i)
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", trial, c, row.String(), labels)
		}
	}
	w.Flush()
}

func tbounds(d task.Description, n int) string {
	lo, hi := d.TBounds(n)
	return fmt.Sprintf("[%d, %d]", lo, hi)
}

func labelCells(d task.Description, b *task.Batch, i int) string {
	cells := make([]string, len(b.Labels))
	for h, ls := range b.Labels {
		if d.Labels == task.PerStep {
			var s []string
			for t := range b.T {
				s = append(s, fmt.Sprint(ls[t*b.B+i]))
			}
			cells[h] = strings.Join(s, "")
		} else {
			cells[h] = fmt.Sprint(ls[i])
		}
	}
	return strings.Join(cells, "\t")
}

func tasksNew(args []string, out io.Writer) error {
	fs, _ := tasksFlags("new")
	dir := fs.String("dir", "taskplugins", "parent `DIR` of the new plugin's directory")
	// NAME may come before or after the flags.
	name, err := parseOneArg(fs, args, "task NAME")
	if err != nil {
		return err
	}
	path, err := template.Write(*dir, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s\nnext: edit desc and generate in it, run 'make plugins', then 'cbrnn tasks sample --task %s --n 5'\n", path, name)
	return nil
}
