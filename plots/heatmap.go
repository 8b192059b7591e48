package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
)

// Heatmap draws values[row][col] as colours, column c at x = c+1 and row r
// at y = r+1 (e.g. rows: units, columns: time steps). Values of both signs
// get a diverging blue–red map centred on zero; non-negative values (ReLU
// rates) a sequential one from zero. The colour range goes into the title,
// since gonum/plot heat maps have no colour bar. NaNs are left blank.
func Heatmap(title, xlabel, ylabel string, values [][]float64) *plot.Plot {
	return heatmap(title, xlabel, ylabel, values, false)
}

// HeatmapTopDown is Heatmap with row 0 at the top, labelled 1 (e.g. rows:
// trials, read like a table).
func HeatmapTopDown(title, xlabel, ylabel string, values [][]float64) *plot.Plot {
	flipped := make([][]float64, len(values))
	for i, r := range values {
		flipped[len(values)-1-i] = r
	}
	return heatmap(title, xlabel, ylabel, flipped, true)
}

func heatmap(title, xlabel, ylabel string, values [][]float64, topDown bool) *plot.Plot {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range values {
		for _, v := range row {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) { // no finite value
		lo, hi = 0, 1
	}
	var pal palette.Palette
	if lo < 0 {
		m := max(-lo, hi, 1e-9)
		lo, hi = -m, m
		cm := moreland.SmoothBlueRed()
		cm.SetMin(lo)
		cm.SetMax(hi)
		pal = cm.Palette(255)
		title += fmt.Sprintf("  (blue −%.2g … red +%.2g)", m, m)
	} else {
		lo, hi = 0, max(hi, 1e-9)
		cm := moreland.Kindlmann()
		cm.SetMin(lo)
		cm.SetMax(hi)
		pal = cm.Palette(255)
		title += fmt.Sprintf("  (dark 0 … bright %.2g)", hi)
	}
	p := newPlot(title, xlabel, ylabel)
	if len(values) == 0 || len(values[0]) == 0 {
		return p // nothing to draw
	}
	h := plotter.NewHeatMap(grid(values), pal)
	h.Min, h.Max = lo, hi
	h.NaN = nil
	p.Add(h)
	p.X.Tick.Marker = NiceTicks{Integer: true}
	p.Y.Tick.Marker = NiceTicks{Integer: true}
	if topDown {
		p.Y.Tick.Marker = flippedTicks{rows: len(values)}
	}
	return p
}

// flippedTicks labels row y (1 at the bottom) as rows+1−y, so that the top
// row reads 1.
type flippedTicks struct{ rows int }

func (f flippedTicks) Ticks(lo, hi float64) []plot.Tick {
	n := float64(f.rows + 1)
	ts := NiceTicks{Integer: true}.Ticks(n-hi, n-lo)
	for i := range ts {
		ts[i].Value = n - ts[i].Value
	}
	return ts
}

// grid adapts [row][col] values to plotter.GridXYZ.
type grid [][]float64

func (g grid) Dims() (c, r int) {
	if len(g) == 0 {
		return 0, 0
	}
	return len(g[0]), len(g)
}
func (g grid) Z(c, r int) float64 { return g[r][c] }
func (g grid) X(c int) float64    { return float64(c + 1) }
func (g grid) Y(r int) float64    { return float64(r + 1) }
