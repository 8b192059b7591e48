package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"strconv"
	"strings"
)

// Program turns a notebook's code cells into one Go program the way GoNB
// runs them, so that the cells can be type-checked against the current
// packages without a kernel:
//   - special-command lines (`!…`, `%…`, with `\` continuations) are dropped;
//   - what precedes a `%%` line is declarations: imports, vars, consts,
//     types and funcs, remembered across cells, a later cell's declaration
//     replacing an earlier one of the same name (as GoNB does);
//   - what follows `%%` is the body of that cell's main, here a function
//     cellN.
//
// Unused imports are left for goimports (as in GoNB) or dropped by
// dropUnusedImports.
func Program(nb *Notebook) (string, error) {
	type decl struct {
		key  string
		text string
	}
	var (
		imports = map[string]string{} // path → import line
		order   []string              // import paths in first-seen order
		decls   []decl
		funcs   strings.Builder
	)
	for i, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		head, body, hasMain, bodyLine := splitCell(string(c.Source))
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, fmt.Sprintf("%s cell %d (%s)", nb.Name(), i, c.ID), "package main\n"+head, parser.SkipObjectResolution)
		if err != nil {
			return "", err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				if d.Tok == token.IMPORT {
					for _, s := range d.Specs {
						is := s.(*ast.ImportSpec)
						p, _ := strconv.Unquote(is.Path.Value)
						line := is.Path.Value
						if is.Name != nil {
							line = is.Name.Name + " " + line
						}
						if _, ok := imports[p]; !ok {
							order = append(order, p)
						}
						imports[p] = line
					}
					continue
				}
				for _, s := range d.Specs {
					text := lineDirective(nb, c, fset.Position(s.Pos()).Line-1) + d.Tok.String() + " " + nodeText(fset, s)
					for _, k := range specNames(s) {
						decls = removeKey(decls, k, func(x decl) string { return x.key })
					}
					decls = append(decls, decl{strings.Join(specNames(s), ","), text})
				}
			case *ast.FuncDecl:
				k := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) > 0 {
					k = nodeText(fset, d.Recv.List[0].Type) + "." + k
				}
				decls = removeKey(decls, k, func(x decl) string { return x.key })
				decls = append(decls, decl{k, lineDirective(nb, c, fset.Position(d.Pos()).Line-1) + nodeText(fset, d)})
			}
		}
		if hasMain {
			fmt.Fprintf(&funcs, "\nfunc cell%d() {\n%s%s\n}\n", i, lineDirective(nb, c, bodyLine), body)
		}
	}
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, p := range order {
		b.WriteString("\t" + imports[p] + "\n")
	}
	b.WriteString(")\n")
	for _, d := range decls {
		b.WriteString("\n" + d.text + "\n")
	}
	b.WriteString(funcs.String())
	b.WriteString("\nfunc main() {}\n")
	return b.String(), nil
}

// splitCell separates a cell's declarations from its %% body, dropping
// special commands.
// bodyLine is the line (1-based) where the body starts.
func splitCell(src string) (head, body string, hasMain bool, bodyLine int) {
	var h, m strings.Builder
	cont := false
	for i, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		if cont {
			cont = strings.HasSuffix(t, "\\")
			continue
		}
		if t == "%%" || strings.HasPrefix(t, "%% ") {
			hasMain, bodyLine = true, i+2
			continue
		}
		if strings.HasPrefix(l, "!") || strings.HasPrefix(l, "%") {
			cont = strings.HasSuffix(t, "\\")
			h.WriteString("\n") // keep line numbers
			continue
		}
		if hasMain {
			m.WriteString(l + "\n")
		} else {
			h.WriteString(l + "\n")
		}
	}
	return h.String(), m.String(), hasMain, bodyLine
}

// lineDirective makes compiler messages name the notebook, the cell and
// the line in it.
func lineDirective(nb *Notebook, c Cell, line int) string {
	return fmt.Sprintf("\n//line %s.ipynb[%s]:%d\n", nb.Name(), c.ID, max(line, 1))
}

func specNames(s ast.Spec) []string {
	switch s := s.(type) {
	case *ast.ValueSpec:
		var out []string
		for _, n := range s.Names {
			if n.Name != "_" {
				out = append(out, n.Name)
			}
		}
		return out
	case *ast.TypeSpec:
		return []string{s.Name.Name}
	}
	return nil
}

func removeKey[T any](xs []T, key string, keyOf func(T) string) []T {
	out := xs[:0]
	for _, x := range xs {
		drop := false
		for _, k := range strings.Split(keyOf(x), ",") {
			if k == key {
				drop = true
			}
		}
		if !drop {
			out = append(out, x)
		}
	}
	return out
}

func nodeText(fset *token.FileSet, n any) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, n); err != nil {
		panic(err)
	}
	return b.String()
}

// dropUnusedImports removes imports whose package name is never used as a
// selector: what goimports does, for when it is not installed. The package
// name is the import's alias, else the last path element (without a /vN
// suffix, and "gomlx_models" → "gomlxmodels").
func dropUnusedImports(src string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := s.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var keep []ast.Spec
	for _, s := range f.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		name := ""
		if s.Name != nil {
			name = s.Name.Name
		} else {
			parts := strings.Split(p, "/")
			name = parts[len(parts)-1]
			if len(parts) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
				name = parts[len(parts)-2]
			}
			name = strings.ReplaceAll(strings.TrimPrefix(name, "go-"), "_", "")
		}
		if used[name] || name == "_" || name == "." {
			keep = append(keep, s)
		}
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			g.Specs = keep
			if len(keep) == 0 {
				g.Lparen, g.Rparen = token.NoPos, token.NoPos
			}
		}
	}
	return nodeText(fset, f), nil
}
