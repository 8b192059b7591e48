package nb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbrnn/cbrnn/figdata"
)

// writeClaims writes a synthetic claims file (and, when profile is set, the
// report heading beside it) into a fresh output folder.
func writeClaims(t *testing.T, rs []figdata.ClaimRecord, profile string) string {
	t.Helper()
	out := t.TempDir()
	t.Setenv("CBRNN_OUT", out)
	path := figdata.ClaimsPath(out)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if profile != "" {
		os.WriteFile(filepath.Join(out, "paper", "results.md"), []byte("# Reproduction results — profile `"+profile+"`\n\nx\n"), 0o644)
	}
	return path
}

func ptr(v float64) *float64 { return &v }

var records = []figdata.ClaimRecord{
	{ID: "fig2a/dms/auc", Figure: "fig2a", Claim: "CB-RNN larger AUC on DMS", Where: "Table 4, DMS", Metric: "AUC",
		Paper: "25,041 vs 19,254 (n = 8)", Ours: "761 ± 7 (n = 3) vs 646 ± 3 (n = 3)", Test: "Welch t; exact permutation",
		Effect: "115 [90, 140]", P: ptr(0.0004), AdjustedP: ptr(0.0021), Verdict: "supported",
		Sentence: "On DMS the CB-RNN's AUC is larger than the RNN's, as in the paper."},
	{ID: "fig2a/parity/auc", Figure: "fig2a", Claim: "CB-RNN larger AUC on parity", Metric: "AUC",
		Paper: "11,971 vs 9,000", Ours: "581 ± 20 vs 539 ± 10", Test: "exact permutation", P: ptr(0.1), AdjustedP: ptr(0.3),
		Verdict: "inconclusive", Reason: "the difference is within the noise of 3 runs", Need: "about 8 runs per group",
		Sentence: "On parity the difference in AUC is not decided by 3 runs."},
	{ID: "fig2a/parity/maxn", Figure: "fig2a", Claim: "max N", Paper: "34.75 vs 31.38", Ours: "6 vs 7", Test: "Welch t",
		P: ptr(0.01), AdjustedP: ptr(0.04), Verdict: "contradicted", Sentence: "On parity the RNN reaches a higher N."},
	{ID: "fig2a/gru", Figure: "fig2a", Claim: "GRU", Verdict: "not testable", Reason: "n = 1 per group",
		Sentence: "The GRU comparison has one run per group."},
	{ID: "fig6/q", Figure: "fig6", Claim: "Q", Verdict: "supported", Sentence: "other figure"},
}

func TestShowsMarkdownStatesTheEnginesVerdicts(t *testing.T) {
	path := writeClaims(t, records, "quick")
	got := ShowsMarkdown(path, "fig2a", "quick")
	for _, want := range []string{
		"verdicts on the 4 claim(s) drawn from the runs of fig2a (`paper/claims.json`): 1 supported, 1 inconclusive, 1 contradicted, 1 not testable.",
		"* **supported** — On DMS the CB-RNN's AUC is larger than the RNN's, as in the paper. (Table 4, DMS)",
		"AUC — the paper: 25,041 vs 19,254 (n = 8); this run: 761 ± 7 (n = 3) vs 646 ± 3 (n = 3)",
		"test: Welch t; exact permutation; effect 115 [90, 140]; p = < 0.001, Holm-adjusted p = 0.0021",
		"* **inconclusive** — On parity the difference in AUC is not decided by 3 runs.",
		"what would decide it: about 8 runs per group",
		"why: the difference is within the noise of 3 runs",
		"this run disagrees with the paper: 6 vs 7 against the paper's 34.75 vs 31.38",
		"* **not testable** — The GRU comparison has one run per group.",
		"this profile cannot tell",
		"why: n = 1 per group",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Shows lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "other figure") {
		t.Errorf("Shows fig2a shows another figure's claim:\n%s", got)
	}
	if strings.Contains(got, "comes from the profile") {
		t.Errorf("same profile, yet a warning:\n%s", got)
	}
}

func TestShowsMarkdownWithoutAClaimsFile(t *testing.T) {
	out := t.TempDir()
	t.Setenv("CBRNN_OUT", out)
	got := ShowsMarkdown(ClaimsFile(), "fig6", "smoke")
	want := "No claims file at `paper/claims.json` yet: `cbrnn figures --profile smoke` (or `./reproduce.sh --profile smoke`) writes it, and this cell then shows what the claims engine decided for fig6."
	if got != want {
		t.Errorf("missing file: %q, want %q", got, want)
	}
	// A damaged file is one line too, naming it without the machine's folders.
	os.MkdirAll(filepath.Join(out, "paper"), 0o755)
	os.WriteFile(ClaimsFile(), []byte("{not json"), 0o644)
	got = ShowsMarkdown(ClaimsFile(), "fig6", "smoke")
	if strings.Contains(got, "\n") || !strings.Contains(got, "could not be read") || strings.Contains(got, out) {
		t.Errorf("damaged file: %q", got)
	}
}

func TestShowsMarkdownSaysWhenTheProfilesDiffer(t *testing.T) {
	path := writeClaims(t, records, "smoke")
	got := ShowsMarkdown(path, "fig2a", "quick")
	if !strings.Contains(got, "comes from the profile `smoke`, this notebook runs at `quick`") {
		t.Errorf("no profile warning:\n%s", got)
	}
	if got := ShowsMarkdown(path, "appB", "smoke"); !strings.Contains(got, "checks no claim on the runs of appB") {
		t.Errorf("a figure without claims: %q", got)
	}
}

func TestMarkdownfTakesVerdictsOnlyFromTheEngine(t *testing.T) {
	panics := func(f func()) (msg string) {
		defer func() {
			if r := recover(); r != nil {
				msg = r.(error).Error()
			}
		}()
		f()
		return ""
	}
	for _, tc := range []struct {
		name string
		f    func()
		want string // "" = no panic
	}{
		{"numbers", func() { Markdownf("CB-RNN %.1f, RNN %.1f; chance %d %%", 98.3, 68.2, 50) }, ""},
		{"the engine's verdict", func() { Markdownf("Table 4 on DMS: **%v**", VerdictOf(records[0])) }, ""},
		{"a verdict in the format", func() { Markdownf("larger AUC: yes (%.0f)", 761.0) }, "(larger, yes)"},
		{"a verdict as a string", func() { Markdownf("as in the paper? %s", "no") }, "argument 1 states a verdict (no)"},
		{"a verdict in Markdown", func() { Markdown("The CB-RNN propagates its memory better than the RNN.") }, "(better)"},
	} {
		got := panics(tc.f)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: panic %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Issue 23: every figure notebook says where the standard profile's version
// is and which verdicts differ from its own profile's.
func TestOtherProfileMarkdown(t *testing.T) {
	root := t.TempDir()
	write := func(path string, rs []figdata.ClaimRecord) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := figdata.WriteClaims(path, rs); err != nil {
			t.Fatal(err)
		}
	}
	got := OtherProfileMarkdown(root, root, "fig2a", "quick")
	if !strings.Contains(got, "figures/standard") || !strings.Contains(got, "./reproduce.sh --profile standard") {
		t.Errorf("no standard claims file: %q", got)
	}
	rec := func(id, verdict string) figdata.ClaimRecord {
		return figdata.ClaimRecord{ID: id, Figure: "fig2a", Verdict: verdict}
	}
	write(filepath.Join(root, "paper", "claims.json"), []figdata.ClaimRecord{rec("a", "inconclusive"), rec("b", "inconclusive"), rec("c", "supported")})
	write(filepath.Join(root, "paper", "standard", "claims.json"), []figdata.ClaimRecord{rec("a", "supported"), rec("b", "inconclusive")})
	got = OtherProfileMarkdown(root, root, "fig2a", "quick")
	for _, want := range []string{"1 have the same verdict", "1 differ", "`a` (quick: inconclusive; standard: supported)"} {
		if !strings.Contains(got, want) {
			t.Errorf("quick against standard: %q lacks %q", got, want)
		}
	}
	if got := OtherProfileMarkdown(root, root, "fig2a", "standard"); !strings.Contains(got, "`a` (standard: supported; quick: inconclusive)") {
		t.Errorf("standard against quick: %q", got)
	}

	// An output folder of one's own (reproduce.sh --out DIR) holds one
	// profile, flat: its paper/claims.json is the notebook's own, so the
	// other profile is the repository's, never the notebook's file again.
	report := func(dir, profile string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte("# Reproduction results — profile `"+profile+"`\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	quickOut, standardOut := t.TempDir(), t.TempDir()
	write(filepath.Join(quickOut, "paper", "claims.json"), []figdata.ClaimRecord{rec("a", "inconclusive"), rec("b", "supported")})
	report(filepath.Join(quickOut, "paper"), "quick")
	write(filepath.Join(standardOut, "paper", "claims.json"), []figdata.ClaimRecord{rec("a", "supported"), rec("b", "supported")})
	report(filepath.Join(standardOut, "paper"), "standard")
	for _, tc := range []struct {
		name, out, profile string
		want               []string
	}{
		{"quick in its own folder against the repository's standard", quickOut, "quick",
			[]string{"`figures/standard`", "`paper/standard/results.md`", "0 have the same verdict", "`a` (quick: inconclusive; standard: supported); `b` (quick: supported; standard: inconclusive)"}},
		{"standard in its own folder against the repository's quick", standardOut, "standard",
			[]string{"`figures`", "`paper/results.md`", "0 have the same verdict", "`a` (standard: supported; quick: inconclusive)"}},
	} {
		got := OtherProfileMarkdown(tc.out, root, "fig2a", tc.profile)
		for _, want := range tc.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s: %q lacks %q", tc.name, got, want)
			}
		}
	}
}

// A sketch claim is quoted as the sketch's, never as the paper's.
func TestClaimMarkdownQuotesTheSketch(t *testing.T) {
	r := figdata.ClaimRecord{ID: "seed/x", Claim: "c", Verdict: "contradicted", Metric: "AUC",
		Paper: `the sketch: "should converge faster"`, Ours: "1 vs 2"}
	got := claimMarkdown(r)
	if strings.Contains(got, "the paper") || !strings.Contains(got, `AUC — the sketch: "should converge faster"; this run: 1 vs 2`) ||
		!strings.Contains(got, "this run disagrees with the sketch") {
		t.Errorf("sketch claim rendered as %q", got)
	}
}
