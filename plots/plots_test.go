package plots

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// demoCurves are synthetic learning curves shaped like fig2a.
func demoCurves() []Series {
	mk := func(label string, rate, plateau float64) Series {
		n := 300
		s := Series{Label: label, X: make([]float64, n), Mean: make([]float64, n), SEM: make([]float64, n)}
		for i := range n {
			s.X[i] = float64(i)
			s.Mean[i] = 2 + plateau*(1-math.Exp(-float64(i)/rate))
			s.SEM[i] = 0.5 + 0.08*s.Mean[i]
		}
		return s
	}
	return []Series{mk("CB-RNN (H64/G256)", 80, 32), mk("RNN-202", 160, 29), mk("Frozen-core", 110, 28), mk("Periodic-core", 100, 33)}
}

func demoPlots() map[string]any {
	curves := Curves("N-DMS", "epoch", "N (max sequence parameter)", demoCurves())
	params := []float64{13122, 22338, 41922, 80450}
	lp := LinePoints("N-DMS", "trainable parameters", "AUC (N × epochs)", []Series{
		{Label: "CB-RNN", X: params, Mean: []float64{18000, 21000, 25041, 26500}, SEM: []float64{900, 800, 700, 1000}},
		{Label: "RNN", X: []float64{16770, 26400, 41816, 74800}, Mean: []float64{15000, 17500, 19254, 21000}, SEM: []float64{1000, 900, 850, 950}},
	})
	sc := Scatter("scatter", "x", "y", []Series{{Label: "points", X: []float64{1, 2, 3}, Mean: []float64{3, 1, 2}}})
	bars := Bars("CB ablation", "accuracy (%)", []string{"net 1", "net 2", "net 3", "net 4"}, []BarSeries{
		{Label: "with CB", Values: []float64{99, 98.5, 99.2, 98.8}, Errs: []float64{0.4, 0.6, 0.3, 0.5}},
		{Label: "without CB", Values: []float64{61, 55, 70, 52}, Errs: []float64{3, 4, 2.5, 5}},
		{Label: "readout recovered", Values: []float64{80, 76, 85, 71}, Errs: []float64{2, 3, 2, 3}, Color: ColorRNN},
	})
	parity := Curves("N-parity", "epoch", "N (max sequence parameter)", demoCurves()[:2])
	grid := Grid([][]*plot.Plot{{Curves("N-DMS", "epoch", "N (max sequence parameter)", demoCurves()[:2]), parity}}, 11, 4.2)
	grid.PanelLabels = true
	grid.Title = "Fig 2a: CB-RNN vs RNN"
	table := Table("Table 4 (DMS)", []string{"group", "max N", "half", "AUC"}, [][]string{
		{"CB-RNN", "34.75 ± 1.2", "215", "25,041"},
		{"Frozen-core", "30.00 ± 0.9", "275", "21,689"},
		{"Periodic-core", "35.63 ± 1.5", "264", "23,595"},
		{"RNN-202", "31.38 ± 1.1", "456", "19,254"},
	})
	ns := []float64{2, 4, 6, 8, 10, 12, 14, 16, 18, 20}
	with, without, sem := make([]float64, len(ns)), make([]float64, len(ns)), make([]float64, len(ns))
	for i, n := range ns {
		with[i], without[i], sem[i] = 99-0.05*n, 95-2.2*n, 1.5
	}
	ablation := Curves("CB ablation (N-DMS)", "N (max sequence parameter)", "test accuracy (%)", []Series{
		{Label: "CB-RNN with CB", X: ns, Mean: with, SEM: sem},
		{Label: "CB-RNN without CB", X: ns, Mean: without, SEM: sem, Color: ColorCBRNN, Dashed: true},
	})
	ragged := Grid([][]*plot.Plot{{lp, nil, sc}, {bars}}, 12, 6)
	ragged.PanelLabels = true
	return map[string]any{"ragged_grid": ragged, "ablation": ablation, "curves": curves, "linepoints": lp, "scatter": sc, "bars": bars, "grid": grid, "table": table}
}

// checkPNG decodes a PNG, checks its pixel size and that it is not blank.
func checkPNG(t *testing.T, path string, wantW, wantH int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if wantW > 0 && (abs(b.Dx()-wantW) > 1 || abs(b.Dy()-wantH) > 1) {
		t.Errorf("%s: size %dx%d want %dx%d", path, b.Dx(), b.Dy(), wantW, wantH)
	}
	if nonWhite(img) < 500 {
		t.Errorf("%s: looks blank (%d non-white pixels)", path, nonWhite(img))
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func nonWhite(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r < 0xF000 || g < 0xF000 || bb < 0xF000 {
				n++
			}
		}
	}
	return n
}

func TestHelpersWritePNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	for name, v := range demoPlots() {
		t.Run(name, func(t *testing.T) {
			base := filepath.Join(dir, "sub", name)
			if err := Save(v, base); err != nil {
				t.Fatal(err)
			}
			var wantW, wantH int
			if d, ok := v.(Drawable); ok {
				w, h := d.Size()
				wantW, wantH = int(float64(w/vg.Inch)*float64(DPI)+0.5), int(float64(h/vg.Inch)*float64(DPI)+0.5)
			} else {
				wantW, wantH = int(DefaultWidthInches*float64(DPI)+0.5), int(DefaultHeightInches*float64(DPI)+0.5)
			}
			checkPNG(t, base+".png", wantW, wantH)
			svg, err := os.ReadFile(base + ".svg")
			if err != nil {
				t.Fatal(err)
			}
			if len(svg) < 500 || !strings.Contains(string(svg), "<svg") {
				t.Errorf("%s.svg: %d bytes, not an SVG", base, len(svg))
			}
		})
	}
	// Atomic writes leave no temporary files behind.
	entries, err := os.ReadDir(filepath.Join(dir, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !(strings.HasSuffix(e.Name(), ".png") || strings.HasSuffix(e.Name(), ".svg")) {
			t.Errorf("unexpected file %q left in output dir", e.Name())
		}
	}
	if len(entries) != 2*len(demoPlots()) {
		t.Errorf("%d files, want %d", len(entries), 2*len(demoPlots()))
	}
}

func TestSaveOverwritesAndStripsExtension(t *testing.T) {
	dir := t.TempDir()
	p := Curves("t", "x", "y", demoCurves()[:1])
	base := filepath.Join(dir, "fig")
	for range 2 {
		if err := Save(Sized(p, 3, 2), base+".png"); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("files %v, want fig.png and fig.svg only", names)
	}
	checkPNG(t, base+".png", 3*DPI, 2*DPI)
	if err := Save(42, base); err == nil {
		t.Fatal("Save of a non-drawable should fail")
	}
}

func TestMarkdownTable(t *testing.T) {
	got := MarkdownTable([]string{"group", "max N", "AUC"}, [][]string{
		{"CB-RNN", "34.75", "25,041"},
		{"a|b", "1"},
	})
	want := "| group | max N | AUC |\n" +
		"|---|---|---|\n" +
		"| CB-RNN | 34.75 | 25,041 |\n" +
		"| a\\|b | 1 |  |\n"
	if got != want {
		t.Fatalf("MarkdownTable:\n%s\nwant:\n%s", got, want)
	}
}

func TestColorFor(t *testing.T) {
	tests := []struct {
		group string
		want  color.Color
	}{
		{"CB-RNN", ColorCBRNN},
		{"CB-RNN (H64/G256)", ColorCBRNN},
		{"RNN-202", ColorRNN},
		{"Frozen-core", ColorFrozenCore},
		{"frozen core CB", ColorFrozenCore},
		{"Periodic-core", ColorPeriodicCore},
		{"GRU+CB", ColorGRUCB},
		{"GRU-128", ColorGRU},
		{"without CB", ColorNoCB},
		{"CB ablated", ColorNoCB},
	}
	for _, tc := range tests {
		if got := ColorFor(tc.group); got != tc.want {
			t.Errorf("ColorFor(%q) = %v want %v", tc.group, got, tc.want)
		}
	}
	if ColorFor("something else") != ColorFor("something else") {
		t.Error("fallback colour not deterministic")
	}
}

func TestIsNumeric(t *testing.T) {
	for s, want := range map[string]bool{"25,041": true, "34.75 ± 1.2": true, "98%": true, "CB-RNN": false, "": false, "—": true} {
		if isNumeric(s) != want {
			t.Errorf("isNumeric(%q) != %v", s, want)
		}
	}
}

// TestDemo renders every helper into $PLOTS_DEMO (skipped when unset), for
// looking at the figures by eye.
func TestDemo(t *testing.T) {
	dir := os.Getenv("PLOTS_DEMO")
	if dir == "" {
		t.Skip("set PLOTS_DEMO=/tmp/plots_demo to render the demo figures")
	}
	for name, v := range demoPlots() {
		if err := Save(v, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	labels := func(ts []plot.Tick) []string {
		var out []string
		for _, tk := range ts {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	tests := []struct {
		lo, hi float64
		limit  float64
		want   string
	}{
		{0, 1000, 0, "0 200 400 600 800 1000"},
		{0, 1, 0, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{2.3, 35.4, 0, "10 20 30"},
		{0, 125, 99, "0 25 50 75 100"}, // headroom above 100 % gets no ticks
		{-0.5, 0.5, 0, "-0.4 -0.2 0.0 0.2 0.4"},
	}
	for _, tc := range tests {
		got := strings.Join(labels(NiceTicks{Limit: tc.limit}.Ticks(tc.lo, tc.hi)), " ")
		if got != tc.want {
			t.Errorf("Ticks(%v, %v, limit %v) = %q want %q", tc.lo, tc.hi, tc.limit, got, tc.want)
		}
	}
}

// TestCurvesDrawBand checks the ±SEM band is really painted: pixels of the
// series colour blended at the band's alpha over white must be present.
func TestCurvesDrawBand(t *testing.T) {
	dir := t.TempDir()
	p := Curves("band", "epoch", "N", demoCurves()[:1]) // CB-RNN, salmon
	if err := Save(Sized(p, 4, 3), filepath.Join(dir, "band")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "band.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	a := float64(0x48) / 255
	want := [3]float64{255*(1-a) + 0xFA*a, 255*(1-a) + 0x80*a, 255*(1-a) + 0x72*a}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			got := [3]float64{float64(r >> 8), float64(g >> 8), float64(bb >> 8)}
			if math.Abs(got[0]-want[0]) <= 4 && math.Abs(got[1]-want[1]) <= 4 && math.Abs(got[2]-want[2]) <= 4 {
				n++
			}
		}
	}
	if n < 2000 {
		t.Fatalf("only %d band-coloured pixels; the ±SEM band is missing", n)
	}
}
