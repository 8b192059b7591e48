package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PairedCondition is one bar of each category in PairedBars: its label, its
// colour, and one value per unit (network) per category.
type PairedCondition struct {
	Label  string
	Color  color.Color
	Values [][]float64 // [category][unit]
}

// PairedBars draws, per category, one bar per condition at the mean over
// units with ±SEM (ddof 1) error bars, one dot per unit on each bar, and a
// thin line joining each unit's dots across the conditions (the authors'
// plot_cb_ablation_acc_bars: networks with and without the CB, per task).
func PairedBars(title, ylabel string, categories []string, conds []PairedCondition, dotColor color.Color) *plot.Plot {
	p := newPlot(title, "", ylabel)
	m := len(conds)
	if m == 0 || len(categories) == 0 {
		return p
	}
	width := 0.7 / float64(m)
	var px, py []float64
	var labels []string
	for j, c := range conds {
		b := &dataBars{width: width, color: c.Color}
		var ex, ey, ee []float64
		for i := range categories {
			if i >= len(c.Values) || len(c.Values[i]) == 0 {
				continue
			}
			mean, sem := meanSEM(c.Values[i])
			x := float64(i) + (float64(j)-float64(m-1)/2)*width
			b.x, b.y, b.colors = append(b.x, x), append(b.y, mean), append(b.colors, c.Color)
			ex, ey, ee = append(ex, x), append(ey, mean), append(ee, sem)
			for k := 0; k <= 10; k++ {
				for _, dx := range []float64{-width / 2, width / 2} {
					px, py = append(px, x+dx), append(py, (mean+sem)*float64(k)/10)
				}
			}
		}
		p.Add(b)
		if eb, err := plotter.NewYErrorBars(errXY{ex, ey, ee}); err == nil {
			eb.LineStyle = draw.LineStyle{Color: color.Gray{0x33}, Width: vg.Points(1.1)}
			eb.CapWidth = vg.Points(5)
			p.Add(eb)
		}
		if c.Label != "" {
			p.Legend.Add(c.Label, b)
			labels = append(labels, c.Label)
		}
	}
	// Units: dots joined across conditions, jittered a little within a bar.
	for i := range categories {
		units := 0
		for _, c := range conds {
			if i < len(c.Values) {
				units = max(units, len(c.Values[i]))
			}
		}
		for u := range units {
			jit := (float64(u)/math.Max(1, float64(units-1)) - 0.5) * width * 0.36
			var pts plotter.XYs
			for j, c := range conds {
				if i >= len(c.Values) || u >= len(c.Values[i]) || math.IsNaN(c.Values[i][u]) {
					continue
				}
				x := float64(i) + (float64(j)-float64(m-1)/2)*width + jit
				pts = append(pts, plotter.XY{X: x, Y: c.Values[i][u]})
			}
			if len(pts) > 1 {
				if l, err := plotter.NewLine(pts); err == nil {
					l.LineStyle = draw.LineStyle{Color: withAlpha(dotColor, 0x60), Width: vg.Points(0.6)}
					p.Add(l)
				}
			}
			if sc, err := plotter.NewScatter(pts); err == nil {
				sc.GlyphStyle = draw.GlyphStyle{Color: dotColor, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
				p.Add(sc)
			}
		}
	}
	p.NominalX(categories...)
	p.X.Min, p.X.Max = -0.5, float64(len(categories))-0.5
	placeLegend(p, px, py, labels, true)
	return p
}

// meanSEM is the mean and SEM (ddof 1; 0 for one value) of the finite
// values.
func meanSEM(v []float64) (mean, sem float64) {
	n, s := 0, 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	mean = s / float64(n)
	if n == 1 {
		return mean, 0
	}
	ss := 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			ss += (x - mean) * (x - mean)
		}
	}
	return mean, math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
}

// PointSet is a cloud of points in one colour (a class of a t-SNE panel).
type PointSet struct {
	Label string
	X, Y  []float64
	Color color.Color
}

// Points draws point clouds with small translucent dots, and each cloud's
// centroid as a larger cross (the authors' t-SNE panels).
func Points(title, xlabel, ylabel string, sets []PointSet) *plot.Plot {
	p := newPlot(title, xlabel, ylabel)
	var px, py []float64
	var labels []string
	for _, s := range sets {
		n := min(len(s.X), len(s.Y))
		if n == 0 {
			continue
		}
		pts := make(plotter.XYs, n)
		cx, cy := 0.0, 0.0
		for i := range n {
			pts[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
			cx, cy = cx+s.X[i]/float64(n), cy+s.Y[i]/float64(n)
			if i%max(1, n/150) == 0 {
				px, py = append(px, s.X[i]), append(py, s.Y[i])
			}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			continue
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: withAlpha(s.Color, 0x80), Radius: vg.Points(1.4), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		if c, err := plotter.NewScatter(plotter.XYs{{X: cx, Y: cy}}); err == nil {
			c.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
			p.Add(c)
		}
		if s.Label != "" {
			p.Legend.Add(s.Label, sc)
			labels = append(labels, s.Label)
		}
	}
	placeLegend(p, px, py, labels, false)
	return p
}
