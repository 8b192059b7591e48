package plots

import (
	"math"
	"strconv"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// NiceTicks is a plot.Ticker with major ticks at 1, 2, 2.5 or 5 × 10^k
// (about Target of them), labels with just the decimals the step needs, and
// one unlabelled minor tick between majors. Hand-written because gonum's
// DefaultTicks labels e.g. "0.00, 250.00" with only two or three majors,
// which reads poorly on learning curves. If Limit is set (non-NaN, non-zero
// Target), no tick is placed above the first step multiple ≥ Limit, so
// headroom added for a legend does not show up as, say, "120 %" accuracy.
type NiceTicks struct {
	Target int
	Limit  float64
	// Integer keeps ticks on whole numbers (an axis of N, say).
	Integer bool
}

// Ticks implements plot.Ticker.
func (t NiceTicks) Ticks(lo, hi float64) []plot.Tick {
	target := t.Target
	if target <= 0 {
		target = 5
	}
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return []plot.Tick{{Value: lo, Label: formatTick(lo, 1)}}
	}
	step := niceStep((hi - lo) / float64(target))
	if t.Integer {
		step = math.Max(1, math.Round(step))
	}
	top := hi
	if t.Limit != 0 && !math.IsNaN(t.Limit) {
		top = math.Min(hi, math.Ceil(t.Limit/step-1e-9)*step)
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for k := 0; ; k++ {
		v := first + float64(k)*step
		if v > top+step*1e-9 {
			break
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v, step)})
		if m := v + step/2; m <= top {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	if m := first - step/2; m >= lo {
		ticks = append(ticks, plot.Tick{Value: m})
	}
	return ticks
}

// niceStep rounds raw up to 1, 2, 2.5, 5 or 10 × 10^k.
func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// formatTick prints v with the decimals that the step needs.
func formatTick(v, step float64) string {
	if math.Abs(v) < step*1e-9 {
		v = 0
	}
	if math.Abs(v) >= 1e6 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	dec := 0
	for s := step; dec < 10 && math.Abs(s-math.Round(s)) > 1e-9*step; s *= 10 {
		dec++
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// Approximate data-area size of a single figure (points), used to place a
// legend before the real panel size is known.
const approxAreaW, approxAreaH = 320, 220

// legendLayout remembers what placeLegend needs to redo the placement for
// the real data-area size when the plot is drawn by Save or Grid.
type legendLayout struct {
	xs, ys      []float64
	labels      []string
	preferRight bool
	yMax        float64     // Y.Max before any headroom
	yMarker     plot.Ticker // Y tick marker before any headroom
	setYMax     float64     // Y.Max as last set by apply (to detect user edits)
}

// layouts maps *plot.Plot → *legendLayout for plots built by this package.
var layouts sync.Map

// ManualLegend turns automatic legend placement off for p: after it, Save
// and Grid leave p.Legend and p.Y exactly as the caller sets them.
func ManualLegend(p *plot.Plot) { layouts.Delete(p) }

// placeLegend records the data points and places the legend for the
// approximate panel size; fitLegend redoes it for the real size at draw time.
func placeLegend(p *plot.Plot, xs, ys []float64, labels []string, preferRight bool) {
	if len(labels) == 0 || len(xs) == 0 {
		return
	}
	l := &legendLayout{xs: xs, ys: ys, labels: labels, preferRight: preferRight, yMax: p.Y.Max, yMarker: p.Y.Tick.Marker}
	layouts.Store(p, l)
	l.apply(p, approxAreaW, approxAreaH)
}

// fitLegend re-places p's legend for the data area p would get on c.
func fitLegend(p *plot.Plot, c draw.Canvas) {
	v, ok := layouts.Load(p)
	if !ok {
		return
	}
	l := v.(*legendLayout)
	if p.Y.Max != l.setYMax { // the caller changed the range: respect it
		return
	}
	p.Y.Max, p.Y.Tick.Marker = l.yMax, l.yMarker
	da := p.DataCanvas(c)
	w, h := da.Max.X-da.Min.X, da.Max.Y-da.Min.Y
	if w <= 0 || h <= 0 {
		l.apply(p, approxAreaW, approxAreaH)
		return
	}
	l.apply(p, float64(w), float64(h))
}

// apply puts the legend in the corner of the data area (areaW × areaH
// points) that covers the fewest recorded data points (preference:
// top-left, top-right, bottom-right, bottom-left; right first when
// preferRight). If every corner collides it keeps a top corner and raises
// Y.Max so the legend sits above the data, with Y ticks limited to the data
// range.
func (l *legendLayout) apply(p *plot.Plot, areaW, areaH float64) {
	defer func() { l.setYMax = p.Y.Max }()
	// Legend geometry as gonum's Legend.Draw lays it out.
	maxW, rowH := vg.Length(0), vg.Length(0)
	for _, s := range l.labels {
		maxW = max(maxW, p.Legend.TextStyle.Width(s))
		rowH = max(rowH, p.Legend.TextStyle.Rectangle(s).Max.Y)
	}
	rowH += p.Legend.Padding
	fw := float64(maxW+p.Legend.ThumbnailWidth+vg.Points(14)) / areaW
	fh := float64(vg.Length(len(l.labels))*rowH+vg.Points(6)) / areaH
	fw, fh = math.Min(fw, 0.95), math.Min(fh, 0.6)
	xr, yr := p.X.Max-p.X.Min, p.Y.Max-p.Y.Min
	if xr <= 0 || yr <= 0 {
		return
	}
	type corner struct{ top, left bool }
	corners := []corner{{true, true}, {true, false}, {false, false}, {false, true}}
	if l.preferRight {
		corners = []corner{{true, false}, {true, true}, {false, false}, {false, true}}
	}
	hits := func(c corner) int {
		n := 0
		for i := range l.xs {
			u, v := (l.xs[i]-p.X.Min)/xr, (l.ys[i]-p.Y.Min)/yr
			inX := (c.left && u <= fw) || (!c.left && u >= 1-fw)
			inY := (c.top && v >= 1-fh) || (!c.top && v <= fh)
			if inX && inY {
				n++
			}
		}
		return n
	}
	best, bestN := corners[0], math.MaxInt
	for _, c := range corners {
		if n := hits(c); n < bestN {
			best, bestN = c, n
		}
	}
	if bestN > 0 {
		// No free corner: make room above the data.
		best = corner{true, !l.preferRight}
		p.Y.Max = p.Y.Min + yr/(1-fh)
		p.Y.Tick.Marker = NiceTicks{Limit: l.yMax}
	}
	p.Legend.Top, p.Legend.Left = best.top, best.left
	if best.left {
		p.Legend.XOffs = vg.Points(6)
	} else {
		p.Legend.XOffs = -vg.Points(6)
	}
	if best.top {
		p.Legend.YOffs = -vg.Points(2)
	} else {
		p.Legend.YOffs = vg.Points(4)
	}
}
