package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/cbrnn/cbrnn/internal/authors"
	"github.com/cbrnn/cbrnn/rundir"
)

func init() {
	register("import-run", "turn one of the authors' PyTorch run folders into a cbrnn run directory",
		func(ctx context.Context, args []string) error { return runImportRun(ctx, args, os.Stdout) })
}

const importRunUsage = `usage: cbrnn import-run AUTHORS_RUN_DIR --out runs/NAME

Reads one of the authors' run folders (GitHub AlexVoce/Cortico-cerebellar_RNNs:
config.json, stats.npy, checkpoints rnn_N{n}_N{n} written by torch.save) and
writes a cbrnn run directory: config.json (the run's trainer config),
stats.jsonl, checkpoints/N%03d.safetensors, done.json, and authors.json, which
lists every field of theirs that has no counterpart and every assumption made.
The analyses then read it like any run:
cbrnn figures --runs runs/NAME[,…] fig5 appG appH.

flags:
`

func runImportRun(ctx context.Context, args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("import-run", flag.ContinueOnError)
	out := flags.String("out", "", "the new run `DIR` (must not exist)")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), importRunUsage)
		flags.PrintDefaults()
	}
	theirs, err := parseOneArg(flags, args, "of the authors' run folders")
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out runs/NAME is required")
	}
	rep, err := authors.ImportRun(ctx, theirs, *out)
	if err != nil {
		return err
	}
	d, err := rundir.Open(*out)
	if err != nil {
		return err
	}
	ns, _ := d.CheckpointNs()
	fmt.Fprintf(stdout, "imported %s → %s\n", theirs, *out)
	fmt.Fprintf(stdout, "  model     %s (%s, regime %s)\n", rep.ModelName, rep.Constructor.Class, rep.Regime)
	fmt.Fprintf(stdout, "  epochs    %d\n  solved N  %s\n", rep.Epochs, rundir.FormatNs(ns))
	for _, f := range sortedKeys(rep.Skipped) {
		fmt.Fprintf(stdout, "  skipped   %s: %s\n", f, rep.Skipped[f])
	}
	for _, a := range rep.Assumed {
		fmt.Fprintf(stdout, "  assumed   %s\n", a)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stdout, "  warning   %s\n", w)
	}
	fmt.Fprintf(stdout, "  %d fields of theirs have no counterpart; all are listed in %s\n", len(rep.Unmapped), filepath.Join(*out, authors.ReportFile))
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
