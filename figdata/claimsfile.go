package figdata

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cbrnn/cbrnn/rundir"
)

// The claims file, paper/claims.json, is what the claims engine decided for
// one profile, written by `cbrnn figures` next to paper/results.md. The
// report, the README's results section and every notebook's "What this run
// shows" cell read their verdicts from it, so that no verdict is computed
// twice or stated by hand.

// ClaimRecord is one row of the claims table, as written to the claims file.
type ClaimRecord struct {
	ID     string `json:"id"`     // stable across profiles, e.g. "table4/dms/auc/cb-rnn-vs-rnn-202"
	Family string `json:"family"` // the Holm family (a heading of the table), e.g. "The paper's claims"
	Figure string `json:"figure"` // the registered figure whose runs give the evidence
	Claim  string `json:"claim"`  // what the paper (or the sketch) says, in words
	Where  string `json:"where"`  // "Table 4, DMS", "fig5", …
	Metric string `json:"metric"` // what is compared
	Paper  string `json:"paper"`  // the paper's numbers, or how it states the claim
	Ours   string `json:"ours"`   // our numbers, e.g. "761 ± 7 (n = 3) vs 646 ± 3 (n = 3)"
	Test   string `json:"test"`   // the tests run and the one that decided
	Effect string `json:"effect"` // the effect with its 95 % interval
	// P and AdjustedP are the deciding test's raw and Holm-adjusted p (NaN
	// written as null when not testable).
	P         *float64 `json:"p"`
	AdjustedP *float64 `json:"adjusted_p"`
	Verdict   string   `json:"verdict"`  // supported | contradicted | inconclusive | not testable
	Reason    string   `json:"reason"`   // why, in words (always set for inconclusive and not testable)
	Need      string   `json:"need"`     // what would decide an inconclusive row, in words ("" otherwise)
	Sentence  string   `json:"sentence"` // the verdict said in one sentence, with its numbers
}

// ClaimsPath is where the claims file of an output folder lives.
func ClaimsPath(out string) string { return filepath.Join(out, "paper", "claims.json") }

// ReadClaims reads a claims file; a missing or damaged one is an error that
// names the file and says how to make it.
func ReadClaims(path string) ([]ClaimRecord, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("claims file %s: %w (`cbrnn figures` writes it)", path, err)
	}
	var rs []ClaimRecord
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("claims file %s is damaged: %w (rerun `cbrnn figures` to rewrite it)", path, err)
	}
	return rs, nil
}

// WriteClaims writes a claims file atomically (rundir's writer), so a
// reader never sees half of one.
func WriteClaims(path string, rs []ClaimRecord) error {
	if rs == nil {
		rs = []ClaimRecord{}
	}
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return fmt.Errorf("claims file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// ClaimsOf are the records whose evidence a figure draws: those the figure
// computed, and those whose Where names it ("fig3, fig4b …", "Table 4 and
// fig2a, DMS"), a figure that draws the same runs.
func ClaimsOf(rs []ClaimRecord, figure string) []ClaimRecord {
	named := regexp.MustCompile(`\b` + regexp.QuoteMeta(figure) + `\b`)
	var out []ClaimRecord
	for _, r := range rs {
		if r.Figure == figure || named.MatchString(r.Where) {
			out = append(out, r)
		}
	}
	return out
}

// reportTitle is the first line of every report (experiments.ReportJudged).
var reportTitle = regexp.MustCompile("^# Reproduction results — profile `([^`]+)`")

// ReportProfile is the profile of the report written with the claims file
// at claims (results.md beside it), or "" when there is none or its title
// does not say: the claims file's own records do not name their profile.
func ReportProfile(claims string) string {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(claims), "results.md"))
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if m := reportTitle.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return ""
}
