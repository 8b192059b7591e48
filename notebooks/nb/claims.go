package nb

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"strings"

	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/notebooks/verdicts"
)

// A notebook states no verdict of its own. The claims engine (package
// claims, run by `cbrnn figures`) decides each of the paper's claims once,
// with its tests, and writes the decisions to the output folder's claims
// file, paper/claims.json; a notebook's last cell, "What this run shows",
// shows that figure's records as they are (Shows). Everywhere else a
// notebook shows numbers, never a yes/no on raw means.

// ClaimsFile is the claims file of the notebook's output folder (Out) for
// its profile: <Out>/paper/claims.json, the one `cbrnn figures` (and
// reproduce.sh) writes for the profile it ran, or paper/standard/claims.json
// for the standard profile in the repository itself (figdata.ClaimsPathOf).
func ClaimsFile() string { return figdata.ClaimsPathOf(Out(), Root(), Profile()) }

// Verdict is a verdict word of a claims-file record: the only way a
// verdict reaches Markdownf (its fields are unexported, so no cell can make
// one from a literal or a comparison of its own).
type Verdict struct{ word string }

// VerdictOf is r's verdict, for Markdownf.
func VerdictOf(r figdata.ClaimRecord) Verdict { return Verdict{r.Verdict} }

// String is the verdict word.
func (v Verdict) String() string { return v.word }

// Shows displays, as Markdown, what the claims engine decided about the
// claims whose evidence figure draws, read from ClaimsFile: each claim's
// sentence and verdict, the paper's numbers and ours, the deciding test and
// its Holm-adjusted p, where ours disagree with the paper, what would
// decide an inconclusive claim and why one cannot be tested at this
// profile. A missing or damaged claims file is one line saying so and how
// to make it: the cell still runs.
func Shows(figure string) {
	markdown(ShowsMarkdown(ClaimsFile(), figure, ProfileName()) + "\n\n" +
		OtherProfileMarkdown(Out(), Root(), figure, ProfileName()))
}

// OtherProfileMarkdown is one line on the other workstation profile: for a
// notebook at any profile but standard, where the standard profile's
// version of the figure and its tables is, and which of the figure's
// verdicts differ between the two claims files (by claim id); at standard,
// the same against quick. Profiles disagree where a longer budget or more
// networks decide what a short one cannot: the line says so by claim.
func OtherProfileMarkdown(out, root, figure, profile string) string {
	other := "standard"
	if profile == "standard" {
		other = "quick"
	}
	op, err := figdata.LookupProfile(other)
	if err != nil {
		return ""
	}
	mineAt := figdata.ClaimsPathOf(out, root, mustProfile(profile))
	base := otherProfileBase(out, root, mineAt, op)
	theirsAt := figdata.ClaimsPathOf(base, root, op)
	rel := func(path string) string {
		if r, ok := relUnder(path, root, out); ok {
			return r
		}
		return path
	}
	figs := rel(figdata.FiguresDirOf(base, root, op))
	report := rel(filepath.Join(filepath.Dir(theirsAt), "results.md"))
	theirs, err := figdata.ReadClaims(theirsAt)
	if err != nil {
		return fmt.Sprintf("*The %s profile's version of %s* (`%s`, `%s`) is not here: `./reproduce.sh --profile %s` writes it.", other, figure, figs, report, other)
	}
	mine, _ := figdata.ReadClaims(mineAt)
	byID := map[string]string{}
	for _, r := range figdata.ClaimsOf(theirs, figure) {
		byID[r.ID] = r.Verdict
	}
	var differ []string
	same := 0
	for _, r := range figdata.ClaimsOf(mine, figure) {
		v, ok := byID[r.ID]
		switch {
		case !ok:
		case v == r.Verdict:
			same++
		default:
			differ = append(differ, fmt.Sprintf("`%s` (%s: %s; %s: %s)", r.ID, profile, r.Verdict, other, v))
		}
	}
	line := fmt.Sprintf("*The %s profile's version of %s* is in `%s` and `%s`: of the claims both profiles test, %d have the same verdict", other, figure, figs, report, same)
	if len(differ) == 0 {
		return line + " and none differ."
	}
	return line + fmt.Sprintf(" and %d differ: %s.", len(differ), strings.Join(differ, "; "))
}

// otherProfileBase is the folder that holds the other profile op's
// figures and claims file: the output folder out when out holds op's
// report, else the repository (root), where quick's and standard's are
// committed side by side. An output folder of one's own holds a single
// profile in the flat layout, so there op's claims path is the notebook's
// own claims file (mine), never the answer: a profile compared with itself
// agrees on everything.
func otherProfileBase(out, root, mine string, op figdata.Profile) string {
	at := figdata.ClaimsPathOf(out, root, op)
	if filepath.Clean(at) == filepath.Clean(mine) || figdata.ReportProfile(at) != op.Name {
		return root
	}
	return out
}

// mustProfile is the named profile, or the zero profile (flat layout) for
// an unknown name.
func mustProfile(name string) figdata.Profile {
	p, _ := figdata.LookupProfile(name)
	return p
}

// ShowsMarkdown is what Shows displays for the claims file at path (see
// Shows); profile is the notebook's, named in the command that writes a
// missing file and checked against the report the file came with.
func ShowsMarkdown(path, figure, profile string) string {
	rs, err := figdata.ReadClaims(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Sprintf("No claims file at `%s` yet: `cbrnn figures --profile %s` (or `./reproduce.sh --profile %s`) writes it, and this cell then shows what the claims engine decided for %s.",
				shortPath(path), profile, profile, figure)
		}
		return fmt.Sprintf("The claims file `%s` could not be read (%s): rerun `cbrnn figures --profile %s` to rewrite it.",
			shortPath(path), shortErr(err, path), profile)
	}
	var b strings.Builder
	if p := figdata.ReportProfile(path); p != "" && p != profile {
		fmt.Fprintf(&b, "*The claims file `%s` comes from the profile `%s`, this notebook runs at `%s`: `cbrnn figures --profile %s` rewrites it for this one.*\n\n",
			shortPath(path), p, profile, profile)
	}
	mine := figdata.ClaimsOf(rs, figure)
	if len(mine) == 0 {
		fmt.Fprintf(&b, "The claims engine checks no claim on the runs of %s (`%s` holds %d claims of other figures).", figure, shortPath(path), len(rs))
		return b.String()
	}
	count := map[string]int{}
	var order []string
	for _, r := range mine {
		if count[r.Verdict] == 0 {
			order = append(order, r.Verdict)
		}
		count[r.Verdict]++
	}
	var tally []string
	for _, v := range order {
		tally = append(tally, fmt.Sprintf("%d %s", count[v], v))
	}
	fmt.Fprintf(&b, "The claims engine's verdicts on the %d claim(s) drawn from the runs of %s (`%s`): %s.\n\n",
		len(mine), figure, shortPath(path), strings.Join(tally, ", "))
	for _, r := range mine {
		b.WriteString(claimMarkdown(r))
	}
	return strings.TrimRight(b.String(), "\n")
}

// claimMarkdown is one record as a list item: the verdict and the engine's
// sentence, then the numbers and the test under it.
func claimMarkdown(r figdata.ClaimRecord) string {
	var b strings.Builder
	sentence := r.Sentence
	if sentence == "" {
		sentence = r.Claim
	}
	fmt.Fprintf(&b, "* **%s** — %s", r.Verdict, oneLine(sentence))
	if r.Where != "" {
		fmt.Fprintf(&b, " (%s)", oneLine(r.Where))
	}
	b.WriteString("\n")
	item := func(format string, args ...any) { fmt.Fprintf(&b, "  * "+format+"\n", args...) }
	// The sketch's claims (their Paper says "the sketch: …") are quoted as
	// the sketch's, not the paper's.
	source, said := "the paper", r.Paper
	if rest, ok := strings.CutPrefix(r.Paper, "the sketch: "); ok {
		source, said = "the sketch", rest
	}
	if r.Metric != "" || r.Paper != "" || r.Ours != "" {
		item("%s — %s: %s; this run: %s", orDash(r.Metric), source, orDash(said), orDash(r.Ours))
	}
	if r.Test != "" || r.P != nil || r.AdjustedP != nil {
		t := orDash(r.Test)
		if r.Effect != "" {
			t += "; effect " + oneLine(r.Effect)
		}
		item("test: %s; p = %s, Holm-adjusted p = %s", t, pValue(r.P), pValue(r.AdjustedP))
	}
	switch r.Verdict {
	case "contradicted":
		item("this run disagrees with %s: %s against %s's %s", source, orDash(r.Ours), source, orDash(said))
	case "inconclusive":
		if r.Need != "" {
			item("what would decide it: %s", oneLine(r.Need))
		}
	case "not testable":
		item("this profile cannot tell")
	}
	if r.Reason != "" {
		item("why: %s", oneLine(r.Reason))
	}
	return b.String()
}

// pValue formats a p-value ("–" when the claim was not tested).
func pValue(p *float64) string {
	switch {
	case p == nil || math.IsNaN(*p):
		return "–"
	case *p < 0.001:
		return "< 0.001"
	default:
		return fmt.Sprintf("%.3g", *p)
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return oneLine(s)
}

// oneLine keeps a field from breaking the Markdown list it is shown in.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// shortPath is path relative to the repository (or the output folder) when
// it is inside one: committed outputs name no folder of the machine.
func shortPath(path string) string {
	if rel, ok := relUnder(path, Out(), Root()); ok {
		return rel
	}
	return filepath.Base(path)
}

// relUnder is path relative to the first of bases that holds it, with
// forward slashes; false when none does.
func relUnder(path string, bases ...string) (string, bool) {
	for _, base := range bases {
		if rel, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel), true
		}
	}
	return "", false
}

// shortErr is err's message with path shortened.
func shortErr(err error, path string) string {
	return strings.ReplaceAll(err.Error(), path, shortPath(path))
}

// checkNoVerdict panics when text states a verdict.
func checkNoVerdict(what, text string) {
	if w := verdicts.Find(text); len(w) > 0 {
		panic(fmt.Errorf("%s states a verdict (%s) that no claims-engine record gave: a notebook shows numbers; verdicts come from paper/claims.json (nb.Shows, nb.VerdictOf): %q",
			what, strings.Join(w, ", "), text))
	}
}
