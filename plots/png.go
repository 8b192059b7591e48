package plots

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ScreenDPI is the resolution for figures shown on a screen (notebooks):
// an 11-inch figure is about 1050 pixels wide.
const ScreenDPI = 96

// AsDrawable accepts what Save and PNG draw: a *plot.Plot (at
// DefaultWidthInches × DefaultHeightInches) or any Drawable.
func AsDrawable(v any) (Drawable, error) {
	switch x := v.(type) {
	case *plot.Plot:
		return Sized(x, DefaultWidthInches, DefaultHeightInches), nil
	case Drawable:
		return x, nil
	}
	return nil, fmt.Errorf("plots: cannot draw %T", v)
}

// PNG renders v (see AsDrawable) as PNG bytes at dpi, in memory.
func PNG(v any, dpi float64) ([]byte, error) {
	d, err := AsDrawable(v)
	if err != nil {
		return nil, err
	}
	w, h := d.Size()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("plots.PNG: non-positive size %v × %v", w, h)
	}
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(int(dpi)))}
	d.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("plots.PNG: render: %w", err)
	}
	return b.Bytes(), nil
}
