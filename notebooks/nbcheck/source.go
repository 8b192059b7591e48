package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"

	"github.com/cbrnn/cbrnn/notebooks/verdicts"
)

// MaxCellLines is the longest a code cell may be: a cell is one step a
// reader follows; longer code belongs in a package (experiments, nb).
const MaxCellLines = 40

// Verdicts. A notebook states no verdict of its own: whether the paper's
// claims hold on a run is the claims engine's to decide (package claims,
// paper/claims.json), and a notebook shows it in its last cell with
// nb.Shows. So CheckSource refuses
//   - a markdown cell with a verdict word (package verdicts: yes, shown,
//     faster, larger, beats …, "no" as an answer); the paper's own
//     statements may be quoted in a blockquote whose first line starts
//     with "The paper:" (> The paper: the CB-RNN learns faster …);
//   - a Go string literal in a code cell with a verdict word, unless
//     allowedLiterals lists it with the reason it is no verdict: a cell
//     that prints "yes" from a comparison of means is what this forbids
//     (nb.Markdownf refuses such text when it runs, too).

// allowedLiterals are string literals of code cells that hold a verdict
// word and state no verdict, each with its reason.
var allowedLiterals = map[string]string{}

// CheckSource checks what a notebook's cells say, before anything runs:
// no verdicts (see above) and no code cell over MaxCellLines.
func CheckSource(nb *Notebook) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{nb.Name()}, args...)...))
	}
	for i, c := range nb.Cells {
		src := string(c.Source)
		switch c.Type {
		case "markdown":
			if w := verdicts.Find(src); len(w) > 0 {
				fail("markdown cell %d (%s) states a verdict (%s): verdicts come from the claims engine (nb.Shows); quote the paper in a blockquote that starts \"> The paper:\"",
					i, c.ID, strings.Join(w, ", "))
			}
		case "code":
			if n := len(strings.Split(strings.TrimRight(src, "\n"), "\n")); n > MaxCellLines {
				fail("code cell %d (%s) has %d lines, more than %d: move code into a package (experiments, nb)", i, c.ID, n, MaxCellLines)
			}
			lits, err := stringLiterals(src)
			if err != nil {
				fail("code cell %d (%s) does not parse: %v", i, c.ID, err)
				continue
			}
			for _, l := range lits {
				if _, ok := allowedLiterals[l]; ok {
					continue
				}
				if w := verdicts.Find(l); len(w) > 0 {
					fail("code cell %d (%s) prints a verdict (%s) from the literal %q: show numbers, and the engine's verdicts with nb.Shows",
						i, c.ID, strings.Join(w, ", "), l)
				}
			}
		}
	}
	return errs
}

// stringLiterals are the values of the Go string literals of a code cell
// (its declarations and its %% body; special-command lines left out).
func stringLiterals(src string) ([]string, error) {
	head, body, _, _ := splitCell(src)
	var out []string
	for _, file := range []string{"package main\n" + head, "package main\nfunc _() {\n" + body + "\n}\n"} {
		f, err := parser.ParseFile(token.NewFileSet(), "", file, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if l, ok := n.(*ast.BasicLit); ok && l.Kind == token.STRING {
				if s, err := strconv.Unquote(l.Value); err == nil {
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out, nil
}
