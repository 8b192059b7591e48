package plots

import (
	"hash/fnv"
	"image/color"
	"strings"
)

func hex(rgb uint32) color.RGBA {
	return color.RGBA{R: uint8(rgb >> 16), G: uint8(rgb >> 8), B: uint8(rgb), A: 0xff}
}

// The paper's group colours.
var (
	ColorCBRNN        = hex(0xFA8072) // salmon
	ColorRNN          = hex(0x6495ED) // cornflower blue
	ColorFrozenCore   = hex(0xFFA500) // orange
	ColorPeriodicCore = hex(0x2E8B57) // sea green
	ColorGRUCB        = hex(0xB22222) // firebrick: the GRU variant of the CB model
	ColorGRU          = hex(0x1F3A93) // dark blue: the plain GRU baseline
	ColorNoCB         = hex(0x808080) // grey: CB removed / ablated
)

// Palette is the fallback colour cycle (matplotlib "tab10"-like, minus the
// hues already taken by the named groups).
var Palette = []color.RGBA{
	hex(0x9467BD), // purple
	hex(0x8C564B), // brown
	hex(0xE377C2), // pink
	hex(0x17BECF), // cyan
	hex(0xBCBD22), // olive
	hex(0x7F7F7F), // grey
	hex(0x2CA02C), // green
	hex(0xD62728), // red
}

// ColorFor maps a group name to its colour by keywords (case-insensitive):
//
//	"frozen"                          → orange   (Frozen-core)
//	"periodic"                        → green    (Periodic-core)
//	"no cb", "without", "ablat", "−cb"/"-cb", "removed" → grey (CB ablated)
//	"gru" and "cb"                    → firebrick (GRU + CB)
//	"gru"                             → dark blue (GRU baseline)
//	"cb" or "cereb"                   → salmon   (CB-RNN)
//	"rnn"                             → cornflower blue (RNN baseline)
//
// Anything else gets a Palette colour chosen by a hash of the name, so the
// same name always gets the same colour.
func ColorFor(group string) color.Color {
	g := strings.ToLower(group)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(g, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("frozen"):
		return ColorFrozenCore
	case has("periodic"):
		return ColorPeriodicCore
	case has("no cb", "no-cb", "nocb", "without", "ablat", "−cb", "-cb", "removed"):
		return ColorNoCB
	case has("gru") && has("cb", "cereb"):
		return ColorGRUCB
	case has("gru"):
		return ColorGRU
	case has("cb", "cereb"):
		return ColorCBRNN
	case has("rnn"):
		return ColorRNN
	}
	h := fnv.New32a()
	h.Write([]byte(group))
	return Palette[h.Sum32()%uint32(len(Palette))]
}

// withAlpha returns c with its alpha set to a (0–255), as non-premultiplied
// RGBA.
func withAlpha(c color.Color, a uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}
