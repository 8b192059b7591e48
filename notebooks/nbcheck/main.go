// Command nbcheck keeps the notebooks in notebooks/ honest. They are
// written by hand (in Jupyter); this tool checks that they still compile
// against the packages and that their committed outputs are what a reader
// should see, and draws the thumbnails of notebooks/README.md:
//
//	go run ./notebooks/nbcheck                    compile + outputs, every notebook in notebooks/
//	go run ./notebooks/nbcheck -compile [NB…]     type-check the cells and check their source (seconds; runs nothing)
//	go run ./notebooks/nbcheck -outputs [NB…]     check executed notebooks (see CheckOutputs)
//	go run ./notebooks/nbcheck -thumbs DIR [NB…]  write DIR/<notebook>.png from each main figure
//
// -compile also checks what the cells say (CheckSource): no verdict of the
// notebook's own in prose or string literals (verdicts come from the claims
// engine, paper/claims.json, through nb.Shows; the paper's statements may be
// quoted in a blockquote starting "> The paper:"), and no code cell over
// MaxCellLines lines.
//
// NB is a notebook file or a folder of them (default notebooks/). Run it
// from the repository root. notebooks/run.sh calls -compile before
// executing anything; its test (go test ./notebooks/nbcheck) runs both
// checks on the committed notebooks.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cbrnn/cbrnn/experiments"
)

func main() {
	compile := flag.Bool("compile", false, "type-check every notebook's Go cells")
	outputs := flag.Bool("outputs", false, "check the notebooks' committed outputs")
	thumbs := flag.String("thumbs", "", "write the main figure of each notebook as a thumbnail into `DIR`")
	flag.Parse()
	if !*compile && !*outputs && *thumbs == "" {
		*compile, *outputs = true, true
	}
	args := flag.Args()
	if len(args) == 0 {
		args = []string{"notebooks"}
	}
	nbs, err := load(args)
	if err != nil {
		fatal(err)
	}
	failed := false
	if *compile {
		root, err := filepath.Abs(".")
		if err != nil {
			fatal(err)
		}
		if err := Compile(root, nbs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			failed = true
		}
		for _, nb := range nbs {
			for _, err := range CheckSource(nb) {
				fmt.Fprintln(os.Stderr, err)
				failed = true
			}
		}
	}
	if *outputs {
		for _, nb := range nbs {
			for _, err := range CheckOutputs(nb, experiments.IDs()) {
				fmt.Fprintln(os.Stderr, err)
				failed = true
			}
		}
	}
	if *thumbs != "" {
		for _, nb := range nbs {
			if _, err := Thumb(nb, *thumbs); err != nil {
				fmt.Fprintln(os.Stderr, err)
				failed = true
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

// load reads notebook files and folders of them.
func load(args []string) ([]*Notebook, error) {
	var out []*Notebook
	for _, a := range args {
		if strings.HasSuffix(a, ".ipynb") {
			nb, err := Read(a)
			if err != nil {
				return nil, err
			}
			out = append(out, nb)
			continue
		}
		nbs, err := ReadDir(a)
		if err != nil {
			return nil, err
		}
		out = append(out, nbs...)
	}
	return out, nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "nbcheck:", err)
	os.Exit(1)
}
