package figdata

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

// Populations are the network's recorded populations, in drawing order:
// the core's hidden units, the granule cells, the Purkinje cells and the
// cerebellar output.
var Populations = []string{"hidden", "gc", "pc", "cb_bias"}

// Modules is appendix G's data: each module's PCA dimensionality and
// population timescale against N, per task and group, as `cbrnn figures`
// measured them (experiments.ModuleStudy) — what the appG notebook shows.
type Modules struct {
	Tasks  []string
	Groups [][]ModuleGroup // [task][group]
	// Markdown is the figure's text: what is measured, and per task the
	// last-checkpoint tables (dimensionality, sparseness, unit τ).
	Markdown string
}

// ModuleGroup is one group's module measures on one task.
type ModuleGroup struct {
	Label        string
	Frozen       bool // Frozen-core: drawn in the authors' Frozen-core colours
	Runs         int
	Checkpointed int // checkpoints analysed, over all runs
	// D95 and Tau map population → N → one value per run that has N:
	// d95/width, and the population timescale (steps).
	D95, Tau map[string]map[int][]float64
}

// Rows are appendix G's panels: PCA on each task, then the timescale on
// each task; one column per group.
func (m Modules) Rows() [][]*plot.Plot {
	var pca, tau [][]*plot.Plot
	for ti, task := range m.Tasks {
		var pr, tr []*plot.Plot
		for _, g := range m.Groups[ti] {
			title := fmt.Sprintf("%s · %s", DisplayTask(task), g.Label)
			pr = append(pr, ModulePanel(title+": PCA", "d95 / width", g.D95, g.Frozen))
			tr = append(tr, ModulePanel(title+": timescale", "τ_pop (steps)", g.Tau, g.Frozen))
		}
		pca, tau = append(pca, pr), append(tau, tr)
	}
	return append(pca, tau...)
}

// The authors' module colours (pca_dimensionality.py): full training and
// Frozen-core.
var (
	moduleColors = map[string]color.Color{
		"hidden": color.RGBA{R: 0x20, G: 0xA0, B: 0xC9, A: 0xff}, "gc": color.RGBA{R: 0x05, G: 0x53, B: 0xCF, A: 0xff},
		"pc": color.RGBA{R: 0x33, G: 0xBB, B: 0xFF, A: 0xff}, "cb_bias": color.RGBA{R: 0x5B, G: 0xD7, B: 0xCD, A: 0xff},
	}
	moduleColorsFrozen = map[string]color.Color{
		"hidden": color.RGBA{R: 0xFF, G: 0x5F, B: 0x4A, A: 0xff}, "gc": color.RGBA{R: 0xD6, G: 0x2E, B: 0x24, A: 0xff},
		"pc": color.RGBA{R: 0xFF, G: 0x82, B: 0x00, A: 0xff}, "cb_bias": color.RGBA{R: 0xFF, G: 0xC1, B: 0x00, A: 0xff},
	}
	// ModuleLabels name the populations in legends and tables.
	ModuleLabels = map[string]string{"hidden": "RNN", "gc": "GC", "pc": "PC", "cb_bias": "CB output"}
)

// ModulePanel draws one measure (m: population → N → values over runs) per
// population against N, mean ± SEM over the runs that have each N.
func ModulePanel(title, ylabel string, m map[string]map[int][]float64, frozen bool) *plot.Plot {
	cols := moduleColors
	if frozen {
		cols = moduleColorsFrozen
	}
	var series []plots.Series
	for _, pop := range Populations {
		byN := m[pop]
		if byN == nil {
			continue
		}
		ns := make([]int, 0, len(byN))
		for n := range byN {
			ns = append(ns, n)
		}
		sort.Ints(ns)
		s := plots.Series{Label: ModuleLabels[pop], Color: cols[pop]}
		for _, n := range ns {
			sum := analysis.SummariseFinite(byN[n])
			sem := sum.SEM
			if math.IsNaN(sem) {
				sem = 0
			}
			s.X, s.Mean, s.SEM = append(s.X, float64(n)), append(s.Mean, sum.Mean), append(s.SEM, sem)
		}
		series = append(series, s)
	}
	p := plots.LinePoints(title, "N", ylabel, series)
	p.X.Tick.Marker = plots.NiceTicks{Integer: true}
	return p
}

// DisplayTask is a task's name in titles: DMS, Parity, Mod3 ….
func DisplayTask(t string) string {
	switch t {
	case "dms":
		return "DMS"
	case "parity":
		return "Parity"
	case "":
		return ""
	}
	return strings.ToUpper(t[:1]) + t[1:]
}
