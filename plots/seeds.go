package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SeedGroup is one condition of a per-network figure: each network's
// values against X (PerSeed[k][j] at X[j]).
type SeedGroup struct {
	Label   string
	Color   color.Color
	Dashed  bool
	X       []float64
	PerSeed [][]float64
}

// SeedLines draws each group as faint per-network lines under its mean ±
// SD over networks (markers, error bars, joined), the way the authors draw
// their mechanism figures (mechanism_plots.py), with an optional dotted
// reference line at y = ref (NaN: none).
func SeedLines(title, xlabel, ylabel string, groups []SeedGroup, ref float64) *plot.Plot {
	var means []Series
	var faint []plot.Plotter
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, g := range groups {
		col := g.Color
		if col == nil {
			col = ColorFor(g.Label)
		}
		for _, row := range g.PerSeed {
			var pts plotter.XYs
			for j, v := range row {
				if j < len(g.X) && !math.IsNaN(v) {
					pts = append(pts, plotter.XY{X: g.X[j], Y: v})
				}
			}
			if len(pts) > 1 {
				if l, err := plotter.NewLine(pts); err == nil {
					l.LineStyle = draw.LineStyle{Color: withAlpha(col, 0x50), Width: vg.Points(0.8)}
					if g.Dashed {
						l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
					}
					faint = append(faint, l)
				}
			}
		}
		s := Series{Label: g.Label, X: g.X, Color: col, Dashed: g.Dashed}
		for j := range g.X {
			n, sum := 0, 0.0
			for _, row := range g.PerSeed {
				if j < len(row) && !math.IsNaN(row[j]) {
					sum += row[j]
					n++
				}
			}
			m, sd := math.NaN(), 0.0
			if n > 0 {
				m = sum / float64(n)
			}
			if n > 1 {
				ss := 0.0
				for _, row := range g.PerSeed {
					if j < len(row) && !math.IsNaN(row[j]) {
						ss += (row[j] - m) * (row[j] - m)
					}
				}
				sd = math.Sqrt(ss / float64(n-1))
			}
			s.Mean, s.SEM = append(s.Mean, m), append(s.SEM, sd)
			xlo, xhi = math.Min(xlo, g.X[j]), math.Max(xhi, g.X[j])
		}
		means = append(means, s)
	}
	p := LinePoints(title, xlabel, ylabel, means)
	p.Add(faint...)
	if !math.IsNaN(ref) && !math.IsInf(xlo, 0) {
		lo, hi := xlo-0.5, xhi+0.5
		if l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: ref}, {X: hi, Y: ref}}); err == nil {
			l.LineStyle = draw.LineStyle{Color: color.Gray{0x90}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(1.5), vg.Points(2.5)}}
			p.Add(l)
		}
	}
	return p
}
