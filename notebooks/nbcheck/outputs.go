package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Limits on what a committed notebook may hold.
const (
	MaxBytes    = 1 << 20 // a notebook file, per registered figure it tells (seed tells seven)
	MaxPNGWidth = 1400    // pixels: figures at screen resolution, not print
)

// CheckOutputs checks an executed notebook as a reader gets it: every code
// cell ran; no output is an error or went to stderr (GoNB's compile errors
// and panics); it was normalised (execute.py --normalise: no timestamps,
// progress lines or paths of the machine, the profile recorded); its images carry exactly the figure ids it claims in
// metadata.cbrnn.figures, a notebook named after a figure id claims it; the
// PNGs are at screen resolution and the file is under MaxBytes; and every
// number of every markdown cell appears in the outputs (or the code) of the
// cells below it, so that no number copied by hand into prose can disagree
// with what the run computed (see Numbers for what counts as a number).
func CheckOutputs(nb *Notebook, figureIDs []string) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{nb.Name()}, args...)...))
	}
	if fi, err := os.Stat(nb.Path); err == nil && fi.Size() > maxBytes(nb, figureIDs) {
		fail("%d bytes, more than %d", fi.Size(), maxBytes(nb, figureIDs))
	}
	outputs := 0
	shown := map[string]int{}
	for i, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		if c.ExecutionCount == nil {
			fail("cell %d (%s) was not executed", i, c.ID)
		}
		outputs += len(c.Outputs)
		if _, ok := c.Metadata["execution"]; ok {
			fail("cell %d (%s) keeps execution timestamps: write it with notebooks/run.sh --write", i, c.ID)
		}
		for _, o := range c.Outputs {
			if o.Metadata[progressKey] == true {
				fail("cell %d (%s) keeps a progress line: write it with notebooks/run.sh --write", i, c.ID)
			}
			if m := machinePath.FindString(outputText(o)); m != "" {
				fail("cell %d (%s) shows a path of the machine it ran on (%s): write it with notebooks/run.sh --write", i, c.ID, strings.TrimLeft(m, " \t\n\"'(="))
			}
			switch {
			case o.Type == "error":
				fail("cell %d (%s) has an error output: %s: %s", i, c.ID, o.EName, o.EValue)
			case o.Type == "stream" && o.Name == "stderr":
				fail("cell %d (%s) wrote to stderr: %s", i, c.ID, firstLine(string(o.Text)))
			}
			if id, ok := o.Metadata[figureKey].(string); ok {
				shown[id]++
			}
			if b64 := o.String("image/png"); b64 != "" {
				b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
				if err != nil {
					fail("cell %d (%s): image/png is not base64: %v", i, c.ID, err)
					continue
				}
				cfg, err := png.DecodeConfig(bytes.NewReader(b))
				if err != nil {
					fail("cell %d (%s): image/png does not decode: %v", i, c.ID, err)
				} else if cfg.Width > MaxPNGWidth {
					fail("cell %d (%s): a %d px wide PNG (at most %d: screen resolution)", i, c.ID, cfg.Width, MaxPNGWidth)
				}
			}
		}
	}
	if outputs == 0 {
		fail("no outputs: execute it (notebooks/run.sh --write notebooks %s)", nb.Name())
	}
	if nb.Metadata.CBRNN.Profile == "" {
		fail("metadata.cbrnn.profile is not set: write it with notebooks/run.sh --write")
	}
	claimed := nb.Metadata.CBRNN.Figures
	if slices.Contains(figureIDs, nb.Name()) && !slices.Contains(claimed, nb.Name()) {
		fail("named after figure %s but metadata.cbrnn.figures does not claim it (claims %v)", nb.Name(), claimed)
	}
	for _, id := range claimed {
		if shown[id] == 0 {
			fail("claims figure %s, but no output shows it (shown: %v)", id, keys(shown))
		}
	}
	for id := range shown {
		if !slices.Contains(claimed, id) {
			fail("shows figure %s, which metadata.cbrnn.figures does not claim (%v)", id, claimed)
		}
	}
	if m := nb.MainFigure(); m != "" && !slices.Contains(claimed, m) {
		fail("main figure %s is not among its figures %v", m, claimed)
	}
	errs = append(errs, checkNumbers(nb)...)
	return errs
}

// figureKey and progressKey are nb.FigureKey and nb.ProgressKey
// (notebooks/nb), repeated to keep this tool free of the notebook runtime.
const (
	figureKey   = "cbrnn/figure"
	progressKey = "cbrnn/progress"
)

// machinePath is what execute.py --normalise replaces: GoNB's scratch
// folders and absolute paths under the usual roots of a checkout.
var machinePath = regexp.MustCompile(`/tmp/gonb_[0-9a-f]+|(^|[\s"'(=])/(home|root|work|tmp|Users)/[^\s"')]+`)

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// checkNumbers finds every number of each markdown cell among the numbers
// of the outputs and code of the cells below it.
func checkNumbers(nb *Notebook) []error {
	var errs []error
	for i, c := range nb.Cells {
		if c.Type != "markdown" {
			continue
		}
		below := map[float64]bool{}
		for _, d := range nb.Cells[i+1:] {
			if d.Type != "code" {
				continue
			}
			for _, v := range numbersIn(string(d.Source)) {
				below[v] = true
			}
			for _, o := range d.Outputs {
				for _, v := range numbersIn(outputText(o)) {
					below[v] = true
				}
			}
		}
		var missing []string
		for _, n := range Numbers(string(c.Source)) {
			v, _ := parseNumber(n)
			if !below[v] {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("%s: markdown cell %d (%s) states %s, found in no output or code below it: compute it in a cell (nb.Markdownf) or show it in a table",
				nb.Name(), i, c.ID, strings.Join(missing, ", ")))
		}
	}
	return errs
}

// outputText is everything a reader can read in an output.
func outputText(o Output) string {
	var b strings.Builder
	b.WriteString(string(o.Text))
	for _, mime := range []string{"text/plain", "text/markdown", "text/html"} {
		b.WriteString("\n" + o.String(mime))
	}
	if o.Type == "error" {
		b.WriteString("\n" + o.EValue)
	}
	return b.String()
}

var (
	numberRE = regexp.MustCompile(`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`)
	// Text a number does not count in: code spans and blocks, link
	// targets, HTML tags.
	codeBlockRE = regexp.MustCompile("(?s)```.*?```")
	codeSpanRE  = regexp.MustCompile("`[^`]*`")
	linkRE      = regexp.MustCompile(`\]\([^)]*\)`)
	tagRE       = regexp.MustCompile(`<[^>]*>`)
	// A number right after one of these names a section or a figure,
	// not a result.
	refRE = regexp.MustCompile(`(?i)(§\s*|§\d+(\.\d+)*[–-]|\b(?:fig\.?|figures?|tables?|appendix|appendices|issue|eq\.?|equation|section)\s+)$`)
	// A numbered heading or list item.
	enumRE = regexp.MustCompile(`^\s*(?:#+\s*)?$`)
)

// Numbers returns the numbers a markdown text states: digits not inside a
// word or a name ("d95", "fig2a", "SHA-256" hold none; "G = 256" does), not
// in code, a link target or an HTML tag, not a reference (§4.2, Fig 2b,
// Table 4, Appendix G, issue 11) and not the number of a numbered heading
// or list item ("## 2.", "1.").
func Numbers(md string) []string {
	md = codeBlockRE.ReplaceAllStringFunc(md, blank)
	md = codeSpanRE.ReplaceAllStringFunc(md, blank)
	md = linkRE.ReplaceAllStringFunc(md, blank)
	md = tagRE.ReplaceAllStringFunc(md, blank)
	var out []string
	for _, line := range strings.Split(md, "\n") {
		for _, m := range numberRE.FindAllStringIndex(line, -1) {
			s, e := m[0], m[1]
			if s > 0 && isWordByte(line[s-1]) || e < len(line) && isWordByte(line[e]) {
				continue
			}
			if s > 1 && (line[s-1] == '.' && isDigit(line[s-2]) || line[s-1] == '-' && isWordByte(line[s-2])) {
				continue // the tail of 1.2.3, or a name: SHA-256, RNN-202
			}
			if refRE.MatchString(line[:s]) {
				continue
			}
			if enumRE.MatchString(line[:s]) && e < len(line) && (line[e] == '.' || line[e] == ')') {
				continue
			}
			out = append(out, line[s:e])
		}
	}
	return out
}

// numbersIn is every number in a text that is not part of a word ("d95"
// holds none), as values.
func numbersIn(s string) []float64 {
	var out []float64
	for _, m := range numberRE.FindAllStringIndex(s, -1) {
		if m[0] > 0 && isWordByte(s[m[0]-1]) || m[1] < len(s) && isWordByte(s[m[1]]) {
			continue
		}
		if v, ok := parseNumber(s[m[0]:m[1]]); ok {
			out = append(out, v)
		}
	}
	return out
}

func parseNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	return v, err == nil
}

func isWordByte(b byte) bool {
	return b == '_' || isDigit(b) || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func blank(s string) string { return strings.Repeat(" ", len(s)) }

// marshal is used by tests to build notebooks.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// maxBytes is the size a committed notebook may reach: MaxBytes for each
// registered figure it claims to tell (at least one), so that a notebook
// telling several figures (seed.ipynb tells seven) may hold each figure's
// images and verdicts as a one-figure notebook does.
func maxBytes(nb *Notebook, figureIDs []string) int64 {
	n := 0
	for _, id := range nb.Metadata.CBRNN.Figures {
		if slices.Contains(figureIDs, id) {
			n++
		}
	}
	return int64(max(n, 1)) * MaxBytes
}
