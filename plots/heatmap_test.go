package plots

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"
)

func TestHeatmapColourScale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values [][]float64
		title  string // what the title must say about the scale
	}{
		{"signed: diverging, symmetric", [][]float64{{-0.5, 0.25}, {1, 0}}, "blue −1 … red +1"},
		{"rates: sequential from 0", [][]float64{{0, 0.5}, {2, 1}}, "dark 0 … bright 2"},
		{"NaNs are skipped", [][]float64{{math.NaN(), 3}, {1, 0}}, "dark 0 … bright 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Heatmap("h", "step", "unit", tc.values)
			if !strings.Contains(p.Title.Text, tc.title) {
				t.Errorf("title %q does not state the scale %q", p.Title.Text, tc.title)
			}
			b, err := PNG(p, ScreenDPI)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if want := int(DefaultWidthInches * ScreenDPI); cfg.Width != want {
				t.Errorf("PNG %d px wide, want %d (%g in at %d dpi)", cfg.Width, want, DefaultWidthInches, ScreenDPI)
			}
		})
	}
}

func TestHeatmapTopDownLabelsTheTopRowOne(t *testing.T) {
	p := HeatmapTopDown("trials", "step", "trial", [][]float64{{1, 1}, {0, 0}, {0, 1}})
	// Rows are drawn at y = 1 … 3; the top one (y = 3) is row 0: trial 1.
	labels := map[float64]string{}
	for _, tk := range p.Y.Tick.Marker.Ticks(0.5, 3.5) {
		if tk.Label != "" {
			labels[tk.Value] = tk.Label
		}
	}
	for y, want := range map[float64]string{3: "1", 2: "2", 1: "3"} {
		if labels[y] != want {
			t.Errorf("tick at y=%g labelled %q, want %q (all: %v)", y, labels[y], want, labels)
		}
	}
}

func TestPNGRejectsWhatItCannotDraw(t *testing.T) {
	if _, err := PNG(42, ScreenDPI); err == nil || !strings.Contains(err.Error(), "int") {
		t.Errorf("PNG(42) = %v, want an error naming the type", err)
	}
}

func TestHeatmapOfNothingIsAnEmptyPlot(t *testing.T) {
	if _, err := PNG(Heatmap("empty", "x", "y", nil), ScreenDPI); err != nil {
		t.Fatal(err)
	}
}
