package experiments

import (
	"hash/fnv"
	"image/color"

	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/plots"
)

// The authors' ablation colours (plot_cb_ablation_two_panel, _acc_bars) and
// t-SNE class colours (plot_hidden_class_points_two_tasks_tsne_1row4).
var (
	colorAblated      = figdata.ColorAblated
	colorAblationDots = color.RGBA{R: 0x8f, G: 0x3b, B: 0x30, A: 0xff}
)

// colorReadout is the authors' "Readout Training" green
// (readout_recovery.py: plot_cb_disabled_readout_recovery).
var colorReadout = figdata.ColorReadout

// Colour is the group's colour: the one declared with it, else (a group
// declared without one, e.g. in a notebook) a Palette colour chosen by a
// hash of its label, so that the same label keeps its colour.
func (g Group) Colour() color.Color {
	if g.Color != (color.RGBA{}) {
		return g.Color
	}
	h := fnv.New32a()
	h.Write([]byte(g.Label))
	return plots.Palette[h.Sum32()%uint32(len(plots.Palette))]
}
