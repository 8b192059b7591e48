package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/trainer"
)

func init() {
	register("export", "write a run's checkpointed weights to a .safetensors file (PyTorch names)",
		func(ctx context.Context, args []string) error { return runExport(args, os.Stdout) })
}

const exportUsage = `usage: cbrnn export RUN --n N --out FILE.safetensors
       cbrnn export RUN --final --out FILE.safetensors
       cbrnn export RUN --list

Writes the weights of the model that solved N (PyTorch names, [out, in]
layout, float32) to FILE, atomically, with the run's config JSON under the
metadata key "cbrnn_config" and N under "n". FILE may be a folder (an
existing one, or a path ending in /): the file is then RUN-N005.safetensors
or RUN-final.safetensors in it, and its path is printed. The tensors are
checked against the model in the run's config.json first. --final exports the latest
weights from the run's resume state instead (the tensors named as in its
checkpoints; the state's meta goes under "cbrnn_state", and there is no "n"). --list prints the Ns that have a checkpoint.
An existing FILE is never replaced unless --force (which replaces a file, or
a symlink itself, never its target); folders, FIFOs and devices never are.
Weights holding NaN or infinities are refused.

flags:
`

// runExport is the export command; stdout receives --list's output.
func runExport(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("export", flag.ContinueOnError)
	n := flags.Int("n", -1, "export the checkpoint of the model that solved `N`")
	out := flags.String("out", "", "output `FILE`.safetensors")
	list := flags.Bool("list", false, "print the Ns that have a checkpoint, one per line")
	final := flags.Bool("final", false, "export the latest weights, from the resume state")
	force := flags.Bool("force", false, "replace an existing file (or symlink, itself) at the output path; folders, FIFOs and devices are never replaced")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), exportUsage)
		flags.PrintDefaults()
	}
	// Flags may come before or after RUN.
	run, err := parseOneArg(flags, args, "run directory")
	if err != nil {
		return err
	}
	d, err := rundir.Open(run)
	if err != nil {
		return err
	}
	ns, err := d.CheckpointNs()
	if err != nil {
		return err
	}
	if *list {
		for _, x := range ns {
			fmt.Fprintln(stdout, x)
		}
		return nil
	}
	switch {
	case *out == "":
		return errors.New("--out FILE.safetensors is required")
	case *final && *n >= 0:
		return errors.New("--n and --final exclude each other")
	case !*final && *n < 0:
		return fmt.Errorf("--n N (or --final) is required; checkpoints: %s", rundir.FormatNs(ns))
	}
	cfg, err := d.ConfigJSON()
	if err != nil {
		return err
	}
	dest, err := exportPath(*out, d.Path, *final, *n)
	if err != nil {
		return err
	}

	var ts []safetensors.Tensor
	var meta map[string]string
	if *final {
		ts, meta, err = finalWeights(d, ns)
	} else {
		ts, meta, err = d.LoadCheckpoint(*n)
		meta = maps.Clone(meta)
		if meta == nil {
			meta = map[string]string{}
		}
		meta["n"] = strconv.Itoa(*n)
	}
	if err != nil {
		return err
	}
	if err := fitsConfig(d, ts, *final, *n); err != nil {
		return err
	}
	meta["cbrnn_config"] = string(cfg)
	addAuthorsMeta(meta, d)
	if _, ok := meta["format"]; !ok {
		meta["format"] = "pt" // what Hugging Face loaders expect of PyTorch weights
	}
	if err := checkExportFinite(d, ts, *final, *n); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, ts, meta); err != nil {
		return fmt.Errorf("cannot write %s: %w", dest, err)
	}
	// Never replaces what it did not write: an existing path is refused
	// unless --force, and a folder, FIFO or device always.
	if err := rundir.WriteNewFile(dest, buf.Bytes(), 0o644, *force); err != nil {
		var ee *rundir.ExistsError
		if errors.As(err, &ee) {
			return fmt.Errorf("export --out: %w", err)
		}
		return fmt.Errorf("cannot write %s: %w", dest, err)
	}
	if dest != *out {
		fmt.Fprintln(stdout, dest)
	}
	return nil
}

// checkExportFinite refuses weights holding NaN or an infinity, which
// cbrnn's own --import (and any PyTorch user) would then refuse or
// propagate; it names the tensor and the file they came from.
func checkExportFinite(d *rundir.Dir, ts []safetensors.Tensor, final bool, n int) error {
	for _, t := range ts {
		for i, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				from := filepath.Join(d.Path, rundir.CheckpointsDir, fmt.Sprintf("N%03d.safetensors", n))
				if final {
					from = "the resume state of " + d.Path
				}
				return fmt.Errorf("refusing to export non-finite weights: tensor %q holds %v at index %d (in %s); the checkpoint is damaged", t.Name, v, i, from)
			}
		}
	}
	return nil
}

// exportPath is where the export goes: out itself, or, when out names a
// folder (an existing one, or any path ending in a separator), a file in it
// named after the run and what is exported (RUN-N005.safetensors,
// RUN-final.safetensors).
func exportPath(out, run string, final bool, n int) (string, error) {
	st, err := os.Stat(out)
	isDir := err == nil && st.IsDir()
	if !isDir && !strings.HasSuffix(out, string(filepath.Separator)) {
		return out, nil
	}
	if !isDir {
		return "", fmt.Errorf("--out %s names a folder that does not exist; create it, or give a file name", out)
	}
	what := fmt.Sprintf("N%03d", n)
	if final {
		what = "final"
	}
	return filepath.Join(out, filepath.Base(filepath.Clean(run))+"-"+what+".safetensors"), nil
}

// fitsConfig checks the exported tensors against the shapes the run's
// config.json gives its model, so that a checkpoint replaced by another
// model's weights is refused rather than exported under this run's config.
func fitsConfig(d *rundir.Dir, ts []safetensors.Tensor, final bool, n int) error {
	var c trainer.Config
	if err := d.ReadConfig(&c); err != nil {
		return err
	}
	if err := c.Model.Validate(); err != nil {
		return fmt.Errorf("run %s: the model in its %s is not valid (%w), so its weights cannot be checked", d.Path, rundir.ConfigFile, err)
	}
	what := fmt.Sprintf("the checkpoint of N=%d (%s)", n, filepath.Join(d.Path, rundir.CheckpointsDir, fmt.Sprintf("N%03d.safetensors", n)))
	if final {
		what = fmt.Sprintf("the resume state (%s)", filepath.Join(d.Path, rundir.StateFile))
	}
	if _, err := trainer.FromTensors(c.Model, ts, ""); err != nil {
		return fmt.Errorf("run %s: %s does not fit the run's config: %w", d.Path, what, err)
	}
	return nil
}

// finalWeights picks, from the run's resume state (which also keeps the
// optimiser's buffers), the model's parameters: those its config.json names
// when it holds a trainer config, else those its latest checkpoint holds,
// checking every shape. The state's meta goes under "cbrnn_state"; there is
// no "n", as the latest model has not necessarily solved any N.
func finalWeights(d *rundir.Dir, ns []int) ([]safetensors.Tensor, map[string]string, error) {
	var ref []safetensors.Tensor
	var from string
	var cfg trainer.Config
	if err := d.ReadConfig(&cfg); err == nil && cfg.Model.Validate() == nil {
		for _, p := range cfg.Model.Params() {
			ref = append(ref, safetensors.Tensor{Name: p.Name, Shape: p.Shape})
		}
		from = "the run's config"
	} else {
		if len(ns) == 0 {
			return nil, nil, fmt.Errorf("--final: run %s has neither a model config nor a checkpoint to tell its weights from the rest of the state", d.Path)
		}
		if ref, _, err = d.LoadCheckpoint(ns[len(ns)-1]); err != nil {
			return nil, nil, err
		}
		from = fmt.Sprintf("checkpoint N=%d", ns[len(ns)-1])
	}
	var sm json.RawMessage
	state, found, err := d.LoadState(&sm)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, fmt.Errorf("--final: run %s has no resume state", d.Path)
	}
	byName := make(map[string]safetensors.Tensor, len(state))
	for _, t := range state {
		byName[t.Name] = t
	}
	out := make([]safetensors.Tensor, 0, len(ref))
	for _, r := range ref {
		t, ok := byName[r.Name]
		if !ok {
			return nil, nil, fmt.Errorf("--final: the resume state of run %s has no tensor %q (named by %s)", d.Path, r.Name, from)
		}
		if !slices.Equal(t.Shape, r.Shape) {
			return nil, nil, fmt.Errorf("--final: tensor %q has shape %v in the resume state but %v in %s", r.Name, t.Shape, r.Shape, from)
		}
		out = append(out, t)
	}
	meta := map[string]string{"source": "state"}
	var compact bytes.Buffer
	if json.Compact(&compact, sm) == nil && compact.Len() > 0 {
		meta["cbrnn_state"] = compact.String()
	}
	return out, meta, nil
}
