package experiments

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// All trains every run the figures need (one plan, largest ensembles),
// draws every figure, and writes paper/results.md. Offline, it trains
// nothing: it draws the figures whose runs have all finished, lists the
// unfinished runs (and the figures they hold back) in results.md, and then
// returns an *UnfinishedError naming them.
func (e *Env) All(ctx context.Context, p Profile, ids []string) ([]*Result, error) {
	if len(ids) == 0 {
		ids = IDs()
	}
	start := time.Now()
	if !e.Offline {
		if err := e.Plan(ctx, p, ids); err != nil {
			return nil, err
		}
	}
	trained := time.Since(start)
	var (
		out     []*Result
		missing []string
		held    []string
		seen    = map[string]bool{}
	)
	for _, id := range ids {
		t := time.Now()
		r, err := e.Figure(ctx, id, p)
		var un *UnfinishedError
		if e.Offline && errors.As(err, &un) {
			held = append(held, id)
			for _, path := range un.Paths {
				if !seen[path] {
					seen[path] = true
					missing = append(missing, path)
				}
			}
			if e.Progress != nil {
				fmt.Fprintf(e.Progress, "✗ %-6s not drawn: %d run(s) not finished\n", id, len(un.Paths))
			}
			continue
		}
		if err != nil {
			return out, err
		}
		if e.Progress != nil {
			fmt.Fprintf(e.Progress, "✓ %-6s %s (%s)\n", id, r.Title, time.Since(t).Round(time.Second))
		}
		out = append(out, r)
	}
	judged, err := JudgeResults(out)
	if err != nil {
		return out, err
	}
	plan := ""
	if bs, err := PriceBackends(e.Root, runtime.NumCPU()); err != nil {
		plan = "### What it would take\n\nNot priced: " + err.Error() + "\n\n"
	} else if plan, err = PlanMarkdown(p, Records(judged), bs); err != nil {
		return out, err
	}
	report := ReportJudged(p, out, judged, plan, trained, time.Since(start), ids)
	if len(missing) > 0 {
		report += e.unfinishedSection(held, missing)
	}
	if err := writeText(e.ResultsPathOf(p), report); err != nil {
		return out, err
	}
	if err := WriteClaims(filepath.Join(filepath.Dir(e.ResultsPathOf(p)), "claims.json"), Records(judged)); err != nil {
		return out, err
	}
	// The repository's own READMEs carry the verdicts of its own outputs:
	// those of the profile whose report is paper/results.md itself.
	if e.OutDir() == e.Root && p.Dir == "" && len(missing) == 0 && len(notAsked(ids)) == 0 {
		block := VerdictBlock(p.Name, Records(judged))
		for _, path := range []string{filepath.Join(e.Root, "README.md"), filepath.Join(e.Root, "paper", "README.md")} {
			text, err := os.ReadFile(path)
			if err != nil || VerdictBlockOf(string(text)) == "" {
				continue // no block to keep: nothing of ours in this file
			}
			updated, err := ReplaceVerdictBlock(string(text), block)
			if err != nil {
				return out, err
			}
			if err := writeText(path, updated); err != nil {
				return out, err
			}
		}
	}
	if len(missing) > 0 {
		return out, &UnfinishedError{Paths: missing}
	}
	return out, nil
}

// unfinishedSection lists, for results.md, the figures not drawn and the
// runs that held them back, each with its progress and the Env's note.
func (e *Env) unfinishedSection(held, paths []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Runs that did not finish\n\n")
	fmt.Fprintf(&b, "Not drawn, because some of their runs did not finish: %s. ", strings.Join(held, ", "))
	fmt.Fprintf(&b, "Train them again (a rerun resumes each where it stopped) and redraw.\n\n")
	fmt.Fprintf(&b, "| run | progress | note |\n|---|---|---|\n")
	for _, p := range paths {
		note := ""
		if e.RunNote != nil {
			note = e.RunNote(p)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", filepath.Base(p), InspectRun(p).Progress(), note)
	}
	b.WriteString("\n")
	return b.String()
}

// Report renders the results of a reproduction as Markdown, images linked
// relative to paper/. ids are the figures that were asked for: when they are
// not all of IDs(), the report says so at the top, because its claims table
// then covers only those figures and a reader of the committed file must not
// take a partial table for the whole.
func Report(p Profile, rs []*Result, trained, total time.Duration, ids []string) string {
	judged, err := JudgeResults(rs)
	if err != nil {
		judged = nil
	}
	md := ReportJudged(p, rs, judged, "", trained, total, ids)
	if err != nil {
		md += "\n**The claims could not be judged**: " + err.Error() + "\n"
	}
	return md
}

// ReportJudged is Report with the claims already judged (JudgeResults), so
// that the report and the claims file come from the same rows, and plan
// (PlanMarkdown, "" for none) printed under the claims table.
func ReportJudged(p Profile, rs []*Result, judged []JudgedClaim, plan string, trained, total time.Duration, ids []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Reproduction results — profile `%s`\n\n", p.Name)
	if left := notAsked(ids); len(left) > 0 {
		fmt.Fprintf(&b, "**Partial report**: written by `cbrnn figures --profile %s %s` (%s), so it covers %d of the %d figures and their claims only; not in it: %s. `./reproduce.sh --profile %s` writes the whole report.",
			p.Name, strings.Join(ids, " "), p.Summary, len(ids), len(IDs()), strings.Join(left, ", "), p.Name)
	} else {
		fmt.Fprintf(&b, "Generated by `./reproduce.sh --profile %s` (%s).", p.Name, p.Summary)
	}
	fmt.Fprintf(&b, " Training in this invocation took %s (cached runs are not retrained), everything %s.\n\n",
		trained.Round(time.Second), total.Round(time.Second))
	fmt.Fprintf(&b, "Protocol of this profile: budget %d epochs (GRU %d, switching comparison %d) of %d training + %d test batches of %d trials; %d runs per main group, %d per side point.\n\n",
		p.Epochs, p.EpochsGRU, p.EpochsSwitch, p.Steps, p.TestSteps, p.Batch, p.Seeds, p.SeedsSide)
	if len(judged) > 0 {
		b.WriteString(CountsSentence(judged) + "\n\n")
		b.WriteString(ClaimsMarkdown(judged))
		b.WriteString(plan)
	}
	for _, r := range rs {
		fmt.Fprintf(&b, "## %s — %s\n\n", r.ID, r.Title)
		for _, png := range r.PNGs {
			fmt.Fprintf(&b, "![%s](../figures/%s)\n\n", r.ID, filepath.Base(png))
		}
		if r.Markdown != "" {
			b.WriteString(r.Markdown)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// notAsked lists the figures of IDs() that ids leaves out, in IDs() order.
func notAsked(ids []string) []string {
	asked := map[string]bool{}
	for _, id := range ids {
		asked[id] = true
	}
	var left []string
	for _, id := range IDs() {
		if !asked[id] {
			left = append(left, id)
		}
	}
	return left
}
