package experiments

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/cbrnn/cbrnn/figdata"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/rundir"
	"gonum.org/v1/plot"
)

func fig5(ctx context.Context, e *Env, p Profile, all [][][]*Cohort) (*Drawing, error) {
	cs := all[0]
	var studies []*AblationStudy
	for i := range singleTasks {
		if len(cs[i][0].Dirs) == 0 {
			continue // drawn from given runs of one task only (FigureFromRuns)
		}
		var base []*rundir.Dir
		if len(cs[i]) > 1 {
			base = cs[i][1].Dirs
		}
		s, err := e.AblationStudyOf(ctx, cs[i][0].Dirs, base, p.EvalBatches, p.MaxCheckpoints)
		if err != nil {
			return nil, err
		}
		if len(cs[i]) > 1 {
			s.BaselineLabel = cs[i][1].Label
		}
		studies = append(studies, s)
	}
	if len(studies) == 0 {
		return nil, fmt.Errorf("CB ablation: no CB runs")
	}
	d, embs, err := e.drawFig5(ctx, p, studies)
	if err != nil {
		return nil, err
	}
	d.Claims = ablationClaims(studies)
	data := figdata.Ablation{Embeddings: embs, CheckpointNs: map[string][]int{}}
	for _, s := range studies {
		data.Studies = append(data.Studies, figdata.AblationData{Task: s.Task, Ns: s.Ns, BaselineNs: s.BaselineNs, Nets: s.Nets,
			WithCB: s.WithCB, NoCB: s.NoCB, Baseline: s.Baseline, BatchesPerN: s.BatchesPerN, B: s.B, BaselineLabel: s.BaselineLabel})
	}
	for _, byTask := range cs {
		for _, c := range byTask {
			for _, dir := range c.Dirs {
				ns, err := RunNs(dir)
				if err != nil {
					return nil, err
				}
				data.CheckpointNs[dir.Path] = ns
			}
		}
	}
	if err := e.SaveFigData("fig5", p, all, data); err != nil {
		return nil, err
	}
	return d, nil
}

// drawFig5 draws the CB ablation as the authors do (cb_ablation.py:
// plot_cb_ablation_two_panel, plot_cb_ablation_acc_bars,
// plot_hidden_class_points_two_tasks_tsne_1row4): accuracy vs N with and
// without the CB per task, per-network bars, and the joint t-SNE of the
// first network's final hidden states at the highest shared N.
func (e *Env) drawFig5(ctx context.Context, p Profile, studies []*AblationStudy) (*Drawing, []figdata.Embedding, error) {
	d := &Drawing{W: 15, H: 8.4}
	var top, tsneRow []*plot.Plot
	var embs []figdata.Embedding
	var md strings.Builder
	cats := make([]string, len(studies))
	full := plots.PairedCondition{Label: "Full", Color: plots.ColorCBRNN}
	abl := plots.PairedCondition{Label: "CB ablated", Color: colorAblated}
	for i, s := range studies {
		name := displayTask(s.Task)
		cats[i] = name
		with, without := PerN(s.WithCB, len(s.Ns)), PerN(s.NoCB, len(s.Ns))
		sw := plots.Series{Label: "CB-RNN", Color: plots.ColorCBRNN}
		so := plots.Series{Label: "CB ablated", Color: colorAblated, Dashed: true}
		for j, n := range s.Ns {
			sw.X, so.X = append(sw.X, float64(n)), append(so.X, float64(n))
			sw.Mean, sw.SEM = append(sw.Mean, with[j].Mean), append(sw.SEM, zeroNaN(with[j].SEM))
			so.Mean, so.SEM = append(so.Mean, without[j].Mean), append(so.SEM, zeroNaN(without[j].SEM))
		}
		pl := nAxis(plots.Curves(name, "N", "accuracy (%)", []plots.Series{sw, so}))
		pl.Y.Min, pl.Y.Max = 40, 102
		// The authors' x range also spans the baseline's Ns.
		for _, n := range append(append([]int{}, s.Ns...), s.BaselineNs...) {
			pl.X.Min, pl.X.Max = math.Min(pl.X.Min, float64(n)-0.5), math.Max(pl.X.Max, float64(n)+0.5)
		}
		top = append(top, pl)
		full.Values = append(full.Values, PerNet(s.WithCB))
		abl.Values = append(abl.Values, PerNet(s.NoCB))
		md.WriteString(ablationMarkdown(s))
	}
	top = append(top, plots.PairedBars("Mean over shared N, per network", "accuracy (%)", cats, []plots.PairedCondition{full, abl}, colorAblationDots))
	for _, s := range studies {
		if len(s.Ns) == 0 || len(s.Nets) == 0 {
			continue
		}
		n := s.Ns[len(s.Ns)-1]
		cp, err := LoadCheckpointAt(s.dirs[0], n)
		if err != nil {
			return nil, nil, err
		}
		emb, err := e.EmbedAblation(ctx, cp, s.Trials[n], p.TSNEIterations())
		if err != nil {
			return nil, nil, err
		}
		embs = append(embs, figdata.Embedding{Task: s.Task, Run: emb.Run, N: emb.N, Full: emb.Full, Ablated: emb.Ablated,
			FullLab: emb.FullLab, AblatedLab: emb.AblatedLab, Perplexity: emb.Perplexity, Iterations: p.TSNEIterations()})
		name := displayTask(s.Task)
		tsneRow = append(tsneRow,
			plots.Points(fmt.Sprintf("%s N=%d: full", name, n), "t-SNE 1", "t-SNE 2", ClassSets(emb.Full, emb.FullLab)),
			plots.Points(fmt.Sprintf("%s N=%d: CB ablated", name, n), "t-SNE 1", "t-SNE 2", ClassSets(emb.Ablated, emb.AblatedLab)))
		fmt.Fprintf(&md, "t-SNE (%s): network %s at N = %d, %d + %d final hidden states embedded jointly (perplexity %.0f, %d iterations).\n\n",
			name, emb.Run, n, len(emb.Full), len(emb.Ablated), emb.Perplexity, p.TSNEIterations())
	}
	d.Rows = [][]*plot.Plot{top, tsneRow}
	d.Markdown = md.String()
	return d, embs, nil
}

// ClassSets splits embedded points by label, in the authors' class
// colours: the t-SNE panels of the figure and of its notebook
// (figdata.ClassSets).
func ClassSets(pts [][2]float64, lab []int32) []plots.PointSet { return figdata.ClassSets(pts, lab) }

// ablationMarkdown is the per-N table of an ablation study.
func ablationMarkdown(s *AblationStudy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — accuracy (%%) on %d×%d trials per N shared by every network, both conditions and the baseline; N = the checkpoints all %d CB networks have (%s)\n\n",
		displayTask(s.Task), s.BatchesPerN, s.B, len(s.Nets), rundir.FormatNs(s.Ns))
	if len(s.Ns) == 0 {
		b.WriteString("No N is common to every network.\n\n")
		return b.String()
	}
	base := map[int]analysis.Summary{}
	for j, sm := range PerN(s.Baseline, len(s.BaselineNs)) {
		base[s.BaselineNs[j]] = sm
	}
	label := s.BaselineLabel
	if label == "" {
		label = "baseline"
	}
	fmt.Fprintf(&b, "| N | with CB | CB removed | drop | %s (n=%d) |\n|---|---|---|---|---|\n", label, len(s.Baseline))
	with, without := PerN(s.WithCB, len(s.Ns)), PerN(s.NoCB, len(s.Ns))
	drop := make([][]float64, len(s.WithCB))
	for k := range s.WithCB {
		for j := range s.Ns {
			drop[k] = append(drop[k], s.WithCB[k][j]-s.NoCB[k][j])
		}
	}
	dr := PerN(drop, len(s.Ns))
	for j, n := range s.Ns {
		bs := "–"
		if sm, ok := base[n]; ok {
			bs = pm(sm, 1)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", n, pm(with[j], 1), pm(without[j], 1), pm(dr[j], 1), bs)
	}
	b.WriteString("\n")
	return b.String()
}

func nanToZero(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = zeroNaN(x)
	}
	return out
}

// byN turns per-N samples into a mean ± SEM series ordered by N.
func byN(label string, m map[int][]float64) plots.Series {
	ns := make([]int, 0, len(m))
	for n := range m {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	s := plots.Series{Label: label}
	for _, n := range ns {
		sum := analysis.Summarise(m[n])
		s.X = append(s.X, float64(n))
		s.Mean = append(s.Mean, sum.Mean)
		s.SEM = append(s.SEM, zeroNaN(sum.SEM))
	}
	return s
}
