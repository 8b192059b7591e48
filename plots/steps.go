package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// StepSeries is a mean ± SEM curve drawn as steps that hold each value until
// the next x (matplotlib's step(where="post"), how the authors draw N per
// epoch in their switching and multitask panels). Dotted[i] draws the step
// that starts at X[i] dotted instead of solid (the authors mark the epochs
// where most runs train the second task that way); nil draws it all solid.
// NaN means are gaps.
type StepSeries struct {
	Label        string
	X, Mean, SEM []float64
	Dotted       []bool
	Color        color.Color
}

// VLine is a dashed vertical marker (e.g. a switch epoch) in a colour.
type VLine struct {
	X     float64
	Color color.Color
}

// Ribbon is one row of a phase strip: per x (as the series' X), the
// fraction of runs in the second phase, shown as a colour between
// StepOptions.RibbonColors[0] (0) and [1] (1).
type Ribbon struct {
	Label string
	Frac  []float64
	Color color.Color // the label's colour (the group's)
}

// StepOptions are the extras of a step panel.
type StepOptions struct {
	XMin, XMax float64 // x range (0, 0: the data's)
	YMin       float64 // lower y limit (NaN: the data's)
	VLines     []VLine
	HLines     []float64 // grey dashed horizontal lines
	// Ribbons are drawn as strips below the curves (one per group), in
	// colours between RibbonColors, with RibbonKeys naming the two ends.
	Ribbons      []Ribbon
	RibbonColors [2]color.Color
	RibbonKeys   [2]string
}

// StepCurves draws step series with ±SEM bands (alpha ≈ 15 %), the given
// vertical and horizontal markers and, optionally, a phase ribbon under the
// curves. Legend placement is automatic, as for Curves.
func StepCurves(title, xlabel, ylabel string, series []StepSeries, o StepOptions) *plot.Plot {
	p := newPlot(title, xlabel, ylabel)
	var px, py []float64
	var labels []string
	yLo, yHi := math.Inf(1), math.Inf(-1)
	xLo, xHi := math.Inf(1), math.Inf(-1)
	var lines []plot.Plotter
	type entry struct {
		label string
		thumb []plot.Thumbnailer
	}
	var entries []entry
	for _, s := range series {
		col := s.Color
		if col == nil {
			col = ColorFor(s.Label)
		}
		n := min(len(s.X), len(s.Mean))
		// Bands: one polygon per run of finite points.
		var band plotter.XYs
		var lower []plotter.XY
		flush := func() {
			if len(band) > 0 {
				for i := len(lower) - 1; i >= 0; i-- {
					band = append(band, lower[i])
				}
				if poly, err := plotter.NewPolygon(band); err == nil {
					poly.Color = withAlpha(col, 0x28)
					poly.LineStyle.Width = 0
					p.Add(poly)
				}
			}
			band, lower = nil, nil
		}
		var thumbs []plot.Thumbnailer
		var seg plotter.XYs
		segDotted := false
		emit := func() {
			if len(seg) > 1 {
				if l, err := plotter.NewLine(seg); err == nil {
					l.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.6)}
					if segDotted {
						l.LineStyle.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
					}
					lines = append(lines, l)
					if len(thumbs) == 0 {
						thumbs = append(thumbs, l)
					}
				}
			}
			seg = nil
		}
		for i := range n {
			x, m := s.X[i], s.Mean[i]
			if math.IsNaN(m) || math.IsNaN(x) {
				flush()
				emit()
				continue
			}
			next := x + 1
			if i+1 < n {
				next = s.X[i+1]
			}
			e := 0.0
			if i < len(s.SEM) && !math.IsNaN(s.SEM[i]) {
				e = s.SEM[i]
			}
			band = append(band, plotter.XY{X: x, Y: m + e}, plotter.XY{X: next, Y: m + e})
			lower = append(lower, plotter.XY{X: x, Y: m - e}, plotter.XY{X: next, Y: m - e})
			dotted := i < len(s.Dotted) && s.Dotted[i]
			if dotted != segDotted && len(seg) > 0 {
				last := seg[len(seg)-1]
				emit()
				seg = plotter.XYs{last} // the styles join
			}
			segDotted = dotted
			if len(seg) == 0 {
				seg = append(seg, plotter.XY{X: x, Y: m})
			} else if seg[len(seg)-1].Y != m {
				seg = append(seg, plotter.XY{X: x, Y: seg[len(seg)-1].Y}, plotter.XY{X: x, Y: m})
			}
			seg = append(seg, plotter.XY{X: next, Y: m})
			yLo, yHi = math.Min(yLo, m-e), math.Max(yHi, m+e)
			xLo, xHi = math.Min(xLo, x), math.Max(xHi, next)
			if i%max(1, n/200) == 0 {
				px, py = append(px, x, x), append(py, m+e, m-e)
			}
		}
		flush()
		emit()
		if s.Label != "" && len(thumbs) > 0 {
			entries = append(entries, entry{s.Label, thumbs})
		}
	}
	for _, h := range o.HLines {
		if l, err := plotter.NewLine(plotter.XYs{{X: xLo, Y: h}, {X: xHi, Y: h}}); err == nil && !math.IsInf(xLo, 0) {
			l.LineStyle = draw.LineStyle{Color: color.Gray{0x90}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
			p.Add(l)
		}
	}
	if len(o.VLines) > 0 {
		p.Add(vLines{o.VLines})
	}
	p.Add(lines...)
	for _, e := range entries {
		p.Legend.Add(e.label, e.thumb...)
		labels = append(labels, e.label)
	}
	if o.XMax > o.XMin {
		p.X.Min, p.X.Max = o.XMin, o.XMax
	}
	if !math.IsNaN(o.YMin) && !math.IsInf(yHi, 0) {
		p.Y.Min = o.YMin
		p.Y.Max = math.Max(yHi+1, o.YMin+1)
	}
	if len(o.Ribbons) > 0 {
		r := &ribbons{rows: o.Ribbons, colors: o.RibbonColors}
		if len(series) > 0 {
			r.x = series[0].X
		}
		// Make room under the curves: each strip takes 7 % of the y range.
		span := p.Y.Max - p.Y.Min
		if math.IsInf(span, 0) || span <= 0 {
			span = 1
		}
		frac := 0.07 * float64(len(o.Ribbons))
		r.top = p.Y.Min
		p.Y.Min -= span * frac / (1 - frac)
		r.bottom = p.Y.Min
		p.Add(r)
		for i := 0; i < len(r.x); i += max(1, len(r.x)/50) { // keep the legend off the strips
			px, py = append(px, r.x[i], r.x[i]), append(py, r.bottom, r.top)
		}
		p.Y.Tick.Marker = floorTicks{NiceTicks{Integer: true}, r.top}
		for k, key := range o.RibbonKeys {
			if key != "" {
				p.Legend.Add(key, swatch{o.RibbonColors[k]})
				labels = append(labels, key)
			}
		}
	}
	placeLegend(p, px, py, labels, false)
	return p
}

// vLines draws dashed vertical lines across the data area.
type vLines struct{ ls []VLine }

func (v vLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, l := range v.ls {
		x := trX(l.X)
		if x < c.Min.X || x > c.Max.X {
			continue
		}
		col := l.Color
		if col == nil {
			col = color.Gray{0x90}
		}
		c.StrokeLine2(draw.LineStyle{Color: withAlpha(col, 0x90), Width: vg.Points(0.9), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}},
			x, c.Min.Y, x, c.Max.Y)
	}
}

// ribbons draws the phase strips between y = bottom and y = top (data
// units), one row per ribbon, with the ribbon's label at its left end.
type ribbons struct {
	rows        []Ribbon
	colors      [2]color.Color
	x           []float64
	top, bottom float64
}

func (r *ribbons) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	y0, y1 := trY(r.bottom), trY(r.top)
	h := (y1 - y0) / vg.Length(len(r.rows))
	for k, row := range r.rows {
		lo := y1 - vg.Length(k+1)*h
		hi := lo + h - vg.Points(1)
		for i, f := range row.Frac {
			if i >= len(r.x) || math.IsNaN(f) {
				continue
			}
			x0 := trX(r.x[i])
			x1 := x0 + (trX(r.x[i]+1) - x0)
			if i+1 < len(r.x) {
				x1 = trX(r.x[i+1])
			}
			pts := []vg.Point{{X: x0, Y: lo}, {X: x1, Y: lo}, {X: x1, Y: hi}, {X: x0, Y: hi}}
			c.FillPolygon(mix(r.colors[0], r.colors[1], f), c.ClipPolygonXY(pts))
		}
		if row.Label != "" {
			col := row.Color
			if col == nil {
				col = color.Black
			}
			sty := draw.TextStyle{Color: color.White, Font: textFont(TickSize - 2), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
			c.FillText(sty, vg.Point{X: c.Min.X + vg.Points(3), Y: (lo + hi) / 2}, row.Label)
		}
	}
}

func (r *ribbons) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for _, x := range r.x {
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x+1)
	}
	return xmin, xmax, r.bottom, r.top
}

// swatch is a legend thumbnail filled with one colour.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.c, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
}

// mix blends a and b: f = 0 gives a, 1 gives b.
func mix(a, b color.Color, f float64) color.Color {
	f = math.Max(0, math.Min(1, f))
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	l := func(x, y uint32) uint8 { return uint8((float64(x)*(1-f) + float64(y)*f) / 257) }
	return color.RGBA{R: l(ar, br), G: l(ag, bg), B: l(ab, bb), A: 0xff}
}

// floorTicks drops the ticks of Ticker below Floor (the ribbon area has no
// y values).
type floorTicks struct {
	Ticker plot.Ticker
	Floor  float64
}

func (f floorTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range f.Ticker.Ticks(lo, hi) {
		if t.Value >= f.Floor-1e-9 {
			out = append(out, t)
		}
	}
	return out
}
