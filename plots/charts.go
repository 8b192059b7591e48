package plots

import (
	"image/color"
	"math"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a figure: Mean (and optionally ±SEM) against X.
// X nil means 0, 1, 2, … (epochs). SEM nil means no band / no error bars.
// Color nil means ColorFor(Label). Dashed draws a dashed line (e.g. "without
// CB"). Points with a NaN X or Mean are skipped; a NaN SEM counts as 0.
type Series struct {
	Label        string
	X, Mean, SEM []float64
	Color        color.Color
	Dashed       bool
}

func (s Series) color() color.Color {
	if s.Color != nil {
		return s.Color
	}
	return ColorFor(s.Label)
}

// points returns the finite (x, mean, sem) triples of s.
func (s Series) points() (xs, ms, es []float64) {
	for i, m := range s.Mean {
		x := float64(i)
		if s.X != nil {
			if i >= len(s.X) {
				break
			}
			x = s.X[i]
		}
		e := 0.0
		if i < len(s.SEM) && !math.IsNaN(s.SEM[i]) && !math.IsInf(s.SEM[i], 0) {
			e = math.Abs(s.SEM[i])
		}
		if math.IsNaN(x) || math.IsNaN(m) || math.IsInf(x, 0) || math.IsInf(m, 0) {
			continue
		}
		xs, ms, es = append(xs, x), append(ms, m), append(es, e)
	}
	return
}

// Font sizes of the house style (points).
const (
	TitleSize  = 13
	LabelSize  = 12
	TickSize   = 10
	LegendSize = 10
)

// newPlot returns a plot in the house style: titled, labelled axes with
// NiceTicks, legend top-left until placeLegend moves it.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = textFont(TitleSize)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = textFont(LabelSize)
		a.Tick.Label.Font = textFont(TickSize)
		a.Padding = vg.Points(4)
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = NiceTicks{}, NiceTicks{}
	p.Legend.TextStyle.Font = textFont(LegendSize)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), -vg.Points(2)
	p.Legend.ThumbnailWidth = vg.Points(22)
	p.Legend.Padding = vg.Points(2.5)
	return p
}

func lineStyle(c color.Color, dashed bool) draw.LineStyle {
	ls := draw.LineStyle{Color: c, Width: vg.Points(1.8)}
	if dashed {
		ls.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return ls
}

// Curves draws each series as its mean line over a shaded ±SEM band (alpha
// ≈ 28 %), with a legend placed in the emptiest corner (move it with
// p.Legend.Top/Left). Bands are drawn first so no band hides another
// series' line.
func Curves(title, xlabel, ylabel string, series []Series) *plot.Plot {
	p := newPlot(title, xlabel, ylabel)
	type entry struct {
		label string
		thumb []plot.Thumbnailer
	}
	var lines []plot.Plotter
	var entries []entry
	var px, py []float64 // data points, for legend placement
	for _, s := range series {
		xs, ms, es := s.points()
		if len(xs) == 0 {
			continue
		}
		stride := max(1, len(xs)/200)
		for i := 0; i < len(xs); i += stride {
			px = append(px, xs[i], xs[i], xs[i])
			py = append(py, ms[i], ms[i]+es[i], ms[i]-es[i])
		}
		col := s.color()
		var thumbs []plot.Thumbnailer
		if s.SEM != nil {
			ring := make(plotter.XYs, 0, 2*len(xs))
			for i := range xs {
				ring = append(ring, plotter.XY{X: xs[i], Y: ms[i] + es[i]})
			}
			for i := len(xs) - 1; i >= 0; i-- {
				ring = append(ring, plotter.XY{X: xs[i], Y: ms[i] - es[i]})
			}
			if band, err := plotter.NewPolygon(ring); err == nil {
				band.Color = withAlpha(col, 0x48)
				band.LineStyle.Width = 0
				p.Add(band)
				thumbs = append(thumbs, band)
			}
		}
		xy := make(plotter.XYs, len(xs))
		for i := range xs {
			xy[i] = plotter.XY{X: xs[i], Y: ms[i]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			continue
		}
		l.LineStyle = lineStyle(col, s.Dashed)
		lines = append(lines, l)
		entries = append(entries, entry{s.Label, append(thumbs, l)})
	}
	p.Add(lines...)
	var labels []string
	for _, e := range entries {
		if e.label != "" {
			p.Legend.Add(e.label, e.thumb...)
			labels = append(labels, e.label)
		}
	}
	placeLegend(p, px, py, labels, false)
	return p
}

// errXY adapts three slices to plotter's XYer + YErrorer.
type errXY struct{ x, y, e []float64 }

func (d errXY) Len() int                        { return len(d.x) }
func (d errXY) XY(i int) (float64, float64)     { return d.x[i], d.y[i] }
func (d errXY) YError(i int) (float64, float64) { return d.e[i], d.e[i] }

// glyphs cycles marker shapes so series stay distinguishable in greyscale.
var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}

// LinePoints draws each series as markers joined by lines, with ±SEM error
// bars where SEM is given (fig2b: AUC vs trainable parameters, one series
// per architecture).
func LinePoints(title, xlabel, ylabel string, series []Series) *plot.Plot {
	return points(title, xlabel, ylabel, series, true)
}

// Scatter is LinePoints without the joining lines.
func Scatter(title, xlabel, ylabel string, series []Series) *plot.Plot {
	return points(title, xlabel, ylabel, series, false)
}

func points(title, xlabel, ylabel string, series []Series, join bool) *plot.Plot {
	p := newPlot(title, xlabel, ylabel)
	var px, py []float64
	var labels []string
	for k, s := range series {
		xs, ms, es := s.points()
		if len(xs) == 0 {
			continue
		}
		for i := range xs {
			px = append(px, xs[i], xs[i], xs[i])
			py = append(py, ms[i], ms[i]+es[i], ms[i]-es[i])
		}
		col := s.color()
		d := errXY{xs, ms, es}
		var thumbs []plot.Thumbnailer
		if join {
			l, err := plotter.NewLine(d)
			if err == nil {
				l.LineStyle = lineStyle(col, s.Dashed)
				p.Add(l)
				thumbs = append(thumbs, l)
			}
		}
		if s.SEM != nil {
			if eb, err := plotter.NewYErrorBars(d); err == nil {
				eb.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.4)}
				eb.CapWidth = vg.Points(6)
				p.Add(eb)
			}
		}
		sc, err := plotter.NewScatter(d)
		if err != nil {
			continue
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: glyphs[k%len(glyphs)]}
		p.Add(sc)
		thumbs = append(thumbs, sc)
		if s.Label != "" {
			p.Legend.Add(s.Label, thumbs...)
			labels = append(labels, s.Label)
		}
	}
	placeLegend(p, px, py, labels, false)
	return p
}

// BarSeries is one set of bars in a grouped bar chart: one value (and
// optional ±error) per category.
type BarSeries struct {
	Label        string
	Values, Errs []float64
	Color        color.Color // nil → ColorFor(Label)
}

// Bars draws a grouped bar chart: categories along X (e.g. network seeds, or
// groups), one bar per series within each category, with error bars where
// Errs is given. Bars are sized in data units (the group spans 0.8 of a
// category), so they scale with the figure. With a single series pass one
// BarSeries and per-bar colours via colors (nil → the series colour).
func Bars(title, ylabel string, categories []string, series []BarSeries, colors ...color.Color) *plot.Plot {
	p := newPlot(title, "", ylabel)
	m := len(series)
	if m == 0 || len(categories) == 0 {
		return p
	}
	width := 0.8 / float64(m)
	var px, py []float64
	var labels []string
	for j, s := range series {
		col := s.Color
		if col == nil {
			col = ColorFor(s.Label)
		}
		b := &dataBars{width: width, color: col}
		var ex, ey, ee []float64
		for i := range categories {
			if i >= len(s.Values) || math.IsNaN(s.Values[i]) {
				continue
			}
			x := float64(i) + (float64(j)-float64(m-1)/2)*width
			c := col
			if m == 1 && i < len(colors) && colors[i] != nil {
				c = colors[i]
			}
			b.x, b.y, b.colors = append(b.x, x), append(b.y, s.Values[i]), append(b.colors, c)
			top := s.Values[i]
			if i < len(s.Errs) && !math.IsNaN(s.Errs[i]) {
				ex, ey, ee = append(ex, x), append(ey, s.Values[i]), append(ee, math.Abs(s.Errs[i]))
				top += math.Abs(s.Errs[i])
			}
			for k := 0; k <= 10; k++ { // the bar's whole column, for legend placement
				for _, dx := range []float64{-width / 2, 0, width / 2} {
					px, py = append(px, x+dx), append(py, top*float64(k)/10)
				}
			}
		}
		p.Add(b)
		if len(ex) > 0 {
			if eb, err := plotter.NewYErrorBars(errXY{ex, ey, ee}); err == nil {
				eb.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}
				eb.CapWidth = vg.Points(5)
				p.Add(eb)
			}
		}
		if s.Label != "" && m > 1 {
			p.Legend.Add(s.Label, b)
			labels = append(labels, s.Label)
		}
	}
	p.NominalX(categories...)
	p.X.Min, p.X.Max = -0.5, float64(len(categories))-0.5
	placeLegend(p, px, py, labels, true)
	return p
}

// dataBars draws vertical bars whose width is in data units.
type dataBars struct {
	x, y   []float64
	colors []color.Color
	width  float64
	color  color.Color
}

func (b *dataBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i := range b.x {
		x0, x1 := trX(b.x[i]-b.width/2), trX(b.x[i]+b.width/2)
		y0, y1 := trY(0), trY(b.y[i])
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(b.colors[i], c.ClipPolygonXY(pts))
		outline := append(pts, pts[0])
		c.StrokeLines(draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}, c.ClipLinesXY(outline)...)
	}
}

func (b *dataBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for i := range b.x {
		xmin, xmax = math.Min(xmin, b.x[i]-b.width/2), math.Max(xmax, b.x[i]+b.width/2)
		ymin, ymax = math.Min(ymin, b.y[i]), math.Max(ymax, b.y[i])
	}
	return
}

func (b *dataBars) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(b.color, pts)
}

// Font is the house typeface: gonum/plot's bundled Liberation Sans (a
// metric clone of Arial, close to matplotlib's sans-serif look), so no font
// is ever downloaded. SVGs name the font and let the viewer substitute.
var Font = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textFont returns Font at size pt.
func textFont(pt float64) font.Font { return font.From(Font, vg.Length(pt)) }

// boldFont returns Font at size pt, bold.
func boldFont(pt float64) font.Font {
	f := textFont(pt)
	f.Weight = xfont.WeightBold
	return f
}
