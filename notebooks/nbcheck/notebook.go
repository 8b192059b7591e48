package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Notebook is the part of nbformat 4 the checks read.
type Notebook struct {
	Path     string `json:"-"`
	Cells    []Cell `json:"cells"`
	Metadata struct {
		CBRNN Meta `json:"cbrnn"`
	} `json:"metadata"`
}

// Meta is a notebook's metadata.cbrnn: what it claims to show.
type Meta struct {
	Title string `json:"title"`
	// Figures are the figure ids the notebook's image outputs carry (the
	// paper's ids — fig2a, appG … — or the notebook's own).
	Figures []string `json:"figures"`
	// Main is the figure its thumbnail in notebooks/README.md shows
	// (default: the first of Figures).
	Main string `json:"main"`
	// Summary is its one line in notebooks/README.md.
	Summary string `json:"summary"`
	// Profile is the profile its outputs come from (execute.py --normalise).
	Profile string `json:"profile"`
}

// Cell is one cell.
type Cell struct {
	Type           string         `json:"cell_type"`
	Metadata       map[string]any `json:"metadata"`
	ID             string         `json:"id"`
	Source         Text           `json:"source"`
	Outputs        []Output       `json:"outputs"`
	ExecutionCount *int           `json:"execution_count"`
}

// Output is one output of a code cell.
type Output struct {
	Type     string                     `json:"output_type"`
	Name     string                     `json:"name"` // stream: stdout | stderr
	Text     Text                       `json:"text"`
	Data     map[string]json.RawMessage `json:"data"`
	Metadata map[string]any             `json:"metadata"`
	EName    string                     `json:"ename"`
	EValue   string                     `json:"evalue"`
}

// Text is nbformat's multiline string: a string or a list of lines.
type Text string

// UnmarshalJSON accepts both forms.
func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Text(s)
		return nil
	}
	var ls []string
	if err := json.Unmarshal(b, &ls); err != nil {
		return err
	}
	*t = Text(strings.Join(ls, ""))
	return nil
}

// String returns the output's data of one MIME type as text ("" if none).
func (o Output) String(mime string) string {
	raw, ok := o.Data[mime]
	if !ok {
		return ""
	}
	var t Text
	if err := json.Unmarshal(raw, &t); err != nil {
		return ""
	}
	return string(t)
}

// Read parses a notebook file.
func Read(path string) (*Notebook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nb := &Notebook{Path: path}
	if err := json.Unmarshal(b, nb); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return nb, nil
}

// Name is the notebook's file name without .ipynb.
func (nb *Notebook) Name() string { return strings.TrimSuffix(filepath.Base(nb.Path), ".ipynb") }

// MainFigure is the figure its thumbnail shows.
func (nb *Notebook) MainFigure() string {
	m := nb.Metadata.CBRNN
	if m.Main != "" {
		return m.Main
	}
	if len(m.Figures) > 0 {
		return m.Figures[0]
	}
	return ""
}

// ReadDir reads every notebook of a folder, sorted by name.
func ReadDir(dir string) ([]*Notebook, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.ipynb"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []*Notebook
	for _, p := range paths {
		nb, err := Read(p)
		if err != nil {
			return nil, err
		}
		out = append(out, nb)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no notebooks in %s", dir)
	}
	return out, nil
}
