package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

func init() {
	register("models", "list the registered models (list), or print one's full config (show NAME)",
		func(ctx context.Context, args []string) error { return runModels(args, os.Stdout) })
}

const modelsUsage = `usage: cbrnn models list
       cbrnn models show NAME [--hidden H] [--gc G] [--pc P] [--cb-sees S]

list prints every registered model with its parameter count at the paper's
sizes (one input, one head of 2 classes), how it computes its gradients, and
what it is. show prints the complete config a name builds (what a run's
config.json records), with the sizing flags applied.
`

func runModels(args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, modelsUsage)
		return errors.New("want a subcommand: list or show")
	}
	switch args[0] {
	case "list":
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tPARAMS\tGRADIENTS\tWHAT IT IS\tFROM")
		for _, m := range gm.Models() {
			c, err := gm.Build(m.Name, gm.Options{})
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", m.Name, c.Count().Total, c.Gradients(), m.Summary, m.Source)
		}
		return tw.Flush()
	case "show":
		fs := flag.NewFlagSet("models show", flag.ContinueOnError)
		mf := addModelFlags(fs, "")
		var name string
		rest := args[1:]
		if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
			name, rest = rest[0], rest[1:]
		}
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if name == "" && fs.NArg() == 1 {
			name = fs.Arg(0)
		}
		if name == "" {
			return errors.New("show needs a model name (see 'cbrnn models list')")
		}
		c, err := mf.build(name, 1, []int{2})
		if err != nil {
			return err
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		fmt.Fprintf(out, "# %s: %s, %d parameters (core %d, CB %d, readout %d)\n", name, c.Describe(),
			c.Count().Total, c.Count().Core, c.Count().CB, c.Count().Readout)
		return enc.Encode(c)
	}
	fmt.Fprint(os.Stderr, modelsUsage)
	return fmt.Errorf("unknown subcommand %q (list or show)", args[0])
}
