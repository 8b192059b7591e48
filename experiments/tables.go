package experiments

import (
	"context"
	"fmt"
	"strings"

	"github.com/cbrnn/cbrnn/figdata"

	"github.com/cbrnn/cbrnn/analysis"
	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/plots"
)

// metricTable is the learning-metric table of cohorts at their budget.
func metricTable(cs []*Cohort) analysis.GroupTableResult {
	budget := 0
	for _, c := range cs {
		budget = max(budget, c.Budget)
	}
	return analysis.GroupTable(analysisGroups(cs), budget)
}

// metricsMarkdown is the learning-metric table of cohorts (METHODS §4).
func metricsMarkdown(title string, cs []*Cohort, p Profile) string {
	cs, note := drawnOnce(cs)
	t := metricTable(cs)
	budget := t.Budget
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (profile %s, budget %d epochs, half = first epoch with N ≥ %.1f: %s)\n\n", title, p.Name, budget, t.HalfThreshold, t.HalfRule)
	b.WriteString("| group | n | max N | final N | mean N | half (epochs) | AUC |\n|---|---|---|---|---|---|---|\n")
	for _, r := range t.Rows {
		b.WriteString("| " + strings.Join(MetricCells(r), " | ") + " |\n")
	}
	b.WriteString("\n")
	if note != "" {
		b.WriteString(note + "\n\n")
	}
	return b.String()
}

// MetricHeader heads the cells of MetricCells (figdata.MetricHeader).
var MetricHeader = figdata.MetricHeader

// MetricCells is one group's row of the learning-metric table (METHODS §4),
// as the figures' tables and the notebooks' show it (figdata.MetricCells).
func MetricCells(r analysis.GroupRow) []string { return figdata.MetricCells(r) }

// PM formats mean ± SEM with digits decimals ("–" for no value, the mean
// alone for one), as every table of the figures does.
func PM(s analysis.Summary, digits int) string { return pm(s, digits) }

// pm formats mean ± SEM (figdata.PM).
func pm(s analysis.Summary, digits int) string { return figdata.PM(s, digits) }

// half is the epochs-to-half cell: mean ± SEM over the runs that reach the
// threshold, and how many do not.
func half(r analysis.GroupRow) string {
	if r.HalfNotReached == 0 {
		return pm(r.Half, 0)
	}
	return fmt.Sprintf("%s (%d of %d never)", pm(r.Half, 0), r.HalfNotReached, r.MaxN.N)
}

func appB(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	single, err := e.Source.Describe(ctx, "dms")
	if err != nil {
		return nil, err
	}
	header := []string{"model", "hidden", "G", "core", "CB", "readout", "total", "closest-match H"}
	var rows [][]string
	// pair adds a CB model and its baseline, with the hidden size the
	// closest-count rule would give the baseline.
	pair := func(cbG, baseG Group) error {
		cbM, err := ModelConfig(cbG, single)
		if err != nil {
			return err
		}
		baseM, err := ModelConfig(baseG, single)
		if err != nil {
			return err
		}
		// What the closest-count rule gives: the registry's matched baseline.
		ruleG := baseG
		ruleG.Options = gm.Options{GC: cbM.CB.Layers[0].Width}
		ruleM, err := ModelConfig(ruleG, single)
		if err != nil {
			return err
		}
		rule := ruleM.Core.Hidden
		for _, r := range []struct {
			g     Group
			m     gm.Config
			match string
		}{{cbG, cbM, ""}, {baseG, baseM, fmt.Sprint(rule)}} {
			c := r.m.Count()
			gcs := "–"
			if r.m.CB != nil {
				gcs = fmt.Sprint(r.m.CB.Layers[0].Width)
			}
			rows = append(rows, []string{LabelFor(r.g, single), fmt.Sprint(r.m.Core.Hidden), gcs, fmt.Sprint(c.Core), fmt.Sprint(c.CB), fmt.Sprint(c.Readout), fmt.Sprint(c.Total), r.match})
		}
		return nil
	}
	for _, gc := range ScalingGCs {
		if err := pair(ScalingGroups(gc)); err != nil {
			return nil, err
		}
	}
	if err := pair(GRUCB, GRUMatched); err != nil {
		return nil, err
	}
	data := figdata.ParamMatch{Task: "dms", Rows: rows}
	for _, name := range []string{"cb-rnn", "rnn", "cb-gru", "gru"} {
		m, err := gm.Build(name, gm.Options{}) // one input, one head of two classes
		if err != nil {
			return nil, err
		}
		data.Defaults = append(data.Defaults, figdata.ParamCount{Model: name, Network: m.Describe(), Params: m.Count().Total})
	}
	if err := e.SaveFigData("appB", p, all, data); err != nil {
		return nil, err
	}
	md := "Parameter counts (readout included: one head, 2 classes, 1 input). A baseline takes the hidden size whose total is closest to its CB model's " +
		"(last column); Fig 2b uses the paper's pairs, which differ from that rule only at G=128 (the paper's RNN-160 against the closest H=157).\n\n" +
		plots.MarkdownTable(header, rows) + "\n"
	return &Drawing{Table: plots.Table("Appendix B: parameter matching", header, rows), Markdown: md}, nil
}

func table4(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0]
	header := []string{"task", "group", "n", "max N", "half", "AUC", "paper max N", "paper half", "paper AUC"}
	var rows [][]string
	var claims []Claim
	var notes []string
	for i, name := range singleTasks {
		t := analysis.GroupTable(analysisGroups(cs[i]), p.Epochs)
		claims = append(claims, table4Claims(name, cs[i], t)...)
		drawn, note := drawnOnce(cs[i])
		if note != "" {
			notes = append(notes, strings.ToUpper(name)+": "+note)
		}
		dt := analysis.GroupTable(analysisGroups(drawn), p.Epochs)
		for j, r := range dt.Rows {
			ref := figdata.PaperTable4Values[name][drawn[j].Group.Label]
			rows = append(rows, []string{strings.ToUpper(name), r.Name, fmt.Sprint(r.MaxN.N), pm(r.MaxN, 2), half(r), pm(r.AUC, 0),
				fmt.Sprintf("%.2f", ref[0]), fmt.Sprintf("%.0f", ref[1]), fmt.Sprintf("%.0f", ref[2])})
		}
	}
	md := fmt.Sprintf("Profile **%s** (budget %d epochs of %d + %d batches of %d, n = %d per group) next to the paper's Table 4 (n = 8, 1000 epochs of 100 + 50 batches of 64). "+
		"Max N is the largest N attempted; half = epochs up to the first with N ≥ the half threshold (METHODS §4.1: half the global max N, the authors' convention, or half the way from the start N where that is not above it), over the runs that get there. Reduced profiles cannot reach the paper's N; compare the ordering of the groups, not the values.\n\n",
		p.Name, p.Epochs, p.Steps, p.TestSteps, p.Batch, p.Seeds) + plots.MarkdownTable(header, rows) + "\n"
	if len(notes) > 0 {
		md += strings.Join(notes, " ") + "\n\n"
	}
	return &Drawing{Table: plots.Table("Table 4: learning metrics (mean ± SEM) vs the paper", header, rows), Markdown: md, Claims: claims}, nil
}
