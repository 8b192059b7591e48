package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution of the PNGs written by Save.
var DPI = 150

// Default size of a single *plot.Plot passed to Save.
const (
	DefaultWidthInches  = 5.5
	DefaultHeightInches = 4
)

// Drawable is anything Save can render: it knows its size and draws itself
// on a canvas. *GridFigure, *TableFigure and Sized plots implement it.
type Drawable interface {
	Size() (w, h vg.Length)
	Draw(c draw.Canvas)
}

// SizedPlot is a single plot with a fixed size.
type SizedPlot struct {
	*plot.Plot
	W, H vg.Length
}

// Size implements Drawable.
func (s SizedPlot) Size() (vg.Length, vg.Length) { return s.W, s.H }

// Draw implements Drawable: the legend is re-placed for the real panel size
// (see ManualLegend), then the plot is drawn.
func (s SizedPlot) Draw(c draw.Canvas) {
	fitLegend(s.Plot, c)
	s.Plot.Draw(c)
}

// Sized wraps p with a size in inches for Save.
func Sized(p *plot.Plot, widthInches, heightInches float64) SizedPlot {
	return SizedPlot{Plot: p, W: vg.Length(widthInches) * vg.Inch, H: vg.Length(heightInches) * vg.Inch}
}

// GridFigure is a multi-panel figure: Plots[row][col] (nil leaves a blank
// tile), axes aligned across panels with plot.Align, an optional overall
// title and bold panel letters (a, b, c, … row by row) when PanelLabels.
type GridFigure struct {
	Plots         [][]*plot.Plot
	Width, Height vg.Length
	Title         string
	PanelLabels   bool
}

// Grid composes plots into a rows × cols figure of the given size in inches.
// Rows may have different lengths; the grid has as many columns as the
// longest row.
func Grid(plots [][]*plot.Plot, widthInches, heightInches float64) *GridFigure {
	return &GridFigure{Plots: plots, Width: vg.Length(widthInches) * vg.Inch, Height: vg.Length(heightInches) * vg.Inch}
}

// Size implements Drawable.
func (g *GridFigure) Size() (vg.Length, vg.Length) { return g.Width, g.Height }

// Draw implements Drawable.
func (g *GridFigure) Draw(dc draw.Canvas) {
	dc.FillPolygon(color.White, []vg.Point{dc.Min, {X: dc.Max.X, Y: dc.Min.Y}, dc.Max, {X: dc.Min.X, Y: dc.Max.Y}})
	if g.Title != "" {
		sty := text.Style{Color: color.Black, Font: boldFont(TitleSize + 1), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
		dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(4)}, g.Title)
		dc = draw.Crop(dc, 0, 0, 0, -(sty.Height(g.Title) + vg.Points(8)))
	}
	rows, cols := len(g.Plots), 0
	for _, r := range g.Plots {
		cols = max(cols, len(r))
	}
	if rows == 0 || cols == 0 {
		return
	}
	// Square up the grid for plot.Align (it indexes [row][col]).
	full := make([][]*plot.Plot, rows)
	for j := range full {
		full[j] = make([]*plot.Plot, cols)
		copy(full[j], g.Plots[j])
	}
	labelPad := vg.Length(0)
	if g.PanelLabels {
		labelPad = vg.Points(14)
	}
	tiles := draw.Tiles{
		Rows: rows, Cols: cols,
		PadX: vg.Points(14), PadY: vg.Points(14) + labelPad,
		PadTop: vg.Points(4) + labelPad, PadBottom: vg.Points(4),
		PadLeft: vg.Points(4), PadRight: vg.Points(8),
	}
	// Re-place legends for the real tile size before aligning (the
	// headroom a legend needs can change tick labels and so the alignment).
	for j := range rows {
		for i := range cols {
			if full[j][i] != nil {
				fitLegend(full[j][i], tiles.At(dc, i, j))
			}
		}
	}
	canvases := plot.Align(full, tiles, dc)
	k := 0
	for j := range rows {
		for i := range cols {
			p := full[j][i]
			if p == nil {
				continue
			}
			p.Draw(canvases[j][i])
			if g.PanelLabels {
				t := tiles.At(dc, i, j)
				sty := text.Style{Color: color.Black, Font: boldFont(15), XAlign: draw.XLeft, YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}
				dc.FillText(sty, vg.Point{X: t.Min.X, Y: t.Max.Y + vg.Points(2)}, string(rune('a'+k%26)))
			}
			k++
		}
	}
}

// Save writes v as pathWithoutExt+".png" (at DPI) and pathWithoutExt+".svg".
// v is a *plot.Plot (drawn at DefaultWidthInches × DefaultHeightInches) or
// any Drawable (*GridFigure, *TableFigure, SizedPlot). A trailing ".png" or
// ".svg" on the path is dropped; missing directories are created.
//
// Both images are rendered in memory first, then each is written
// atomically (see writeAtomic), so a reader never sees a partial file and a
// failed render leaves nothing behind.
func Save(v any, pathWithoutExt string) error {
	d, err := AsDrawable(v)
	if err != nil {
		return fmt.Errorf("plots.Save: %w", err)
	}
	for _, ext := range []string{".png", ".svg"} {
		pathWithoutExt = strings.TrimSuffix(pathWithoutExt, ext)
	}
	w, h := d.Size()
	if w <= 0 || h <= 0 {
		return fmt.Errorf("plots.Save: non-positive size %v × %v", w, h)
	}
	png := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))}
	svg := vgsvg.New(w, h)
	var out [2]bytes.Buffer
	for i, c := range []vg.CanvasWriterTo{png, svg} {
		d.Draw(draw.New(c))
		if _, err := c.WriteTo(&out[i]); err != nil {
			return fmt.Errorf("plots.Save: render: %w", err)
		}
	}
	if dir := filepath.Dir(pathWithoutExt); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := writeAtomic(pathWithoutExt+".png", out[0].Bytes()); err != nil {
		return err
	}
	return writeAtomic(pathWithoutExt+".svg", out[1].Bytes())
}

// writeAtomic writes data to path through github.com/google/renameio/v2, a
// well-kept library for atomic replacement: a temporary file in path's own
// directory (so the rename cannot cross file systems), fsynced, then renamed
// over path. The mode is 0644 whatever the umask, as figures always had.
func writeAtomic(path string, data []byte) error {
	return renameio.WriteFile(path, data, 0o644,
		renameio.WithTempDir(filepath.Dir(path)), // not $TMPDIR
		renameio.IgnoreUmask())
}
