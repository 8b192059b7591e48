package nb

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

func TestTableHTMLAlignsAndEscapes(t *testing.T) {
	h := TableHTML("AUC <mean>", []string{"group", "AUC", "half"}, [][]string{
		{"CB-RNN", "25041", "215 ± 3"},
		{"RNN & co", "−19254", "–"},
	})
	for _, want := range []string{
		"<p><b>AUC &lt;mean&gt;</b></p>",
		`<th style="text-align:left">group</th>`,
		`<th style="text-align:right">AUC</th>`,
		`<td style="text-align:right">215 ± 3</td>`,
		`<td style="text-align:left">RNN &amp; co</td>`,
		`<td style="text-align:right">–</td>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("table HTML lacks %q:\n%s", want, h)
		}
	}
	if got := TableText("", []string{"a", "b"}, [][]string{{"1", "x"}}); got != "| a | b |\n|---|---|\n| 1 | x |" {
		t.Errorf("TableText = %q", got)
	}
}

func TestPMAndF(t *testing.T) {
	for _, tc := range []struct {
		s      analysis.Summary
		digits int
		want   string
	}{
		{analysis.Summarise([]float64{1, 2, 3}), 2, "2.00 ± 0.58"},
		{analysis.Summarise([]float64{34.75}), 1, "34.8"},
		{analysis.Summarise(nil), 1, "–"},
	} {
		if got := PM(tc.s, tc.digits); got != tc.want {
			t.Errorf("PM(%+v, %d) = %q, want %q", tc.s, tc.digits, got, tc.want)
		}
	}
	if F(math.NaN(), 2) != "–" || F(2.345, 1) != "2.3" {
		t.Errorf("F: %q %q", F(math.NaN(), 2), F(2.345, 1))
	}
}

func TestBudgetFollowsTheProfile(t *testing.T) {
	t.Setenv("CBRNN_PROFILE", "smoke")
	if Budget(25, 3) != 3 {
		t.Error("smoke profile: want the smoke budget")
	}
	t.Setenv("CBRNN_PROFILE", "quick")
	if Budget(25, 3) != 25 || Profile().Name != "quick" {
		t.Error("quick profile: want the quick budget")
	}
	t.Setenv("CBRNN_PROFILE", "")
	if ProfileName() != "quick" {
		t.Errorf("unset profile = %q, want quick", ProfileName())
	}
}

func TestMemoComputesOncePerKey(t *testing.T) {
	t.Setenv("CBRNN_OUT", t.TempDir())
	type result struct{ Values []float64 }
	calls := 0
	f := func() (result, error) { calls++; return result{[]float64{1, float64(calls)}}, nil }
	a := Memo("dims", map[string]any{"run": "x", "n": 5}, f)
	b := Memo("dims", map[string]any{"run": "x", "n": 5}, f)
	if calls != 1 || a.Values[1] != 1 || b.Values[1] != 1 {
		t.Fatalf("same key: %d calls, results %v %v", calls, a, b)
	}
	if c := Memo("dims", map[string]any{"run": "x", "n": 6}, f); calls != 2 || c.Values[1] != 2 {
		t.Fatalf("another key: %d calls, result %v", calls, c)
	}
	files, _ := filepath.Glob(filepath.Join(CacheDir(), "dims-*.gob"))
	if len(files) != 2 {
		t.Errorf("cache files %v, want one per key", files)
	}
	// A corrupt file is recomputed, not trusted.
	for _, f := range files {
		os.WriteFile(f, []byte("junk"), 0o644)
	}
	Memo("dims", map[string]any{"run": "x", "n": 5}, f)
	if calls != 3 {
		t.Errorf("corrupt cache: %d calls, want a recomputation", calls)
	}
}

func TestMemoPanicsWithTheError(t *testing.T) {
	t.Setenv("CBRNN_OUT", t.TempDir())
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "no runs") {
			t.Errorf("recovered %v, want the function's error", r)
		}
	}()
	Memo("x", 1, func() (int, error) { return 0, errors.New("no runs") })
}

func TestPNGOfRendersAtScreenResolution(t *testing.T) {
	p := plots.Curves("c", "x", "y", []plots.Series{{Label: "a", Mean: []float64{1, 2}}})
	b, err := PNGOf(plots.Sized(p, 10, 4))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 10*plots.ScreenDPI || cfg.Height != 4*plots.ScreenDPI {
		t.Errorf("%d×%d px, want %d×%d", cfg.Width, cfg.Height, 10*plots.ScreenDPI, 4*plots.ScreenDPI)
	}
	if got := imageText("fig2a", b); got != "<figure fig2a, 960×384>" {
		t.Errorf("text form %q", got)
	}
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	if b, err := PNGOf(img); err != nil || len(b) == 0 {
		t.Errorf("image.Image: %v", err)
	}
	if _, err := PNGOf(3.5); err == nil {
		t.Error("a float64 is no figure")
	}
}

func TestProgressOutsideANotebookPrintsLines(t *testing.T) {
	r, w, _ := os.Pipe()
	stdout := os.Stdout
	os.Stdout = w
	p := NewProgress("training")
	p.Write([]byte("epoch 1\nepoch"))
	p.Write([]byte(" 2\n\n"))
	p.Done("trained 2 epochs")
	w.Close()
	os.Stdout = stdout
	var b bytes.Buffer
	b.ReadFrom(r)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || lines[0] != "training: epoch 1" || lines[1] != "training: epoch 2" || !strings.HasPrefix(lines[2], "trained 2 epochs (") {
		t.Errorf("printed %q", lines)
	}
}

func TestPNGOfFitsWideFiguresToTheScreen(t *testing.T) {
	p := plots.Curves("c", "x", "y", []plots.Series{{Label: "a", Mean: []float64{1, 2}}})
	b, err := PNGOf(plots.Grid([][]*plot.Plot{{p, p, p}}, 16, 5))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != MaxWidth || cfg.Height != 375 {
		t.Errorf("a 16×5 in figure drawn %d×%d px, want %d×375", cfg.Width, cfg.Height, MaxWidth)
	}
}

func TestPNGOfScalesWideBitmapsDown(t *testing.T) {
	wide := image.NewGray(image.Rect(0, 0, 2*MaxWidth, 100))
	var buf bytes.Buffer
	if err := png.Encode(&buf, wide); err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{buf.Bytes(), wide} {
		b, err := PNGOf(v)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := png.DecodeConfig(bytes.NewReader(b))
		if cfg.Width != MaxWidth || cfg.Height != 50 {
			t.Errorf("%T: %d×%d, want %d×50", v, cfg.Width, cfg.Height, MaxWidth)
		}
	}
	if _, err := PNGOf([]byte("not a png")); err == nil {
		t.Error("bytes that are no PNG: want an error")
	}
}

func TestACellStopsWhenItsKernelIsGone(t *testing.T) {
	exited := make(chan struct{})
	// A "kernel" that is not our parent: gone from the first poll.
	go watchKernel(os.Getppid()+1_000_000, time.Millisecond, 10*time.Millisecond, func() { close(exited) })
	select {
	case <-Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Context not cancelled when the kernel went away")
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the program did not exit after the grace period")
	}
}
