package analysis

import (
	"math"
	"slices"
)

// Task-switching metrics (paper/METHODS §4.2), as the authors compute them in
// analysis/learning_metrics.py: get_switch_phases,
// reconstruct_global_task_lines, compute_switch_line_metrics_for_run,
// compute_switch_adaptation_metrics_for_run and analyse_switch_groups. Their
// notebook calls analyse_switch_groups with max_global_epochs = 650
// (SwitchClip).

// SwitchClip is the horizon the authors cut every switching line at (their
// paper_figures.ipynb: analyse_switch_groups(..., max_global_epochs=650)).
const SwitchClip = 650

// SwitchEpoch is one epoch of a task-switching run: the N trained that epoch
// (recorded before any advance) and the task being trained.
type SwitchEpoch struct {
	N    float64
	Task string
}

// SwitchPhase is a maximal stretch of epochs that train the same task.
// Start is the 0-based global epoch of its first epoch, End one past its
// last; N holds its per-epoch N record (len End−Start).
type SwitchPhase struct {
	Index      int
	Task       string
	Start, End int
	N          []float64
}

// SwitchPhases splits a run into its phases (get_switch_phases: phase p
// starts at Σ_{q<p} L_q).
func SwitchPhases(run []SwitchEpoch) []SwitchPhase {
	var out []SwitchPhase
	for i, e := range run {
		if len(out) == 0 || out[len(out)-1].Task != e.Task {
			out = append(out, SwitchPhase{Index: len(out), Task: e.Task, Start: i, End: i})
		}
		p := &out[len(out)-1]
		p.N = append(p.N, e.N)
		p.End = i + 1
	}
	return out
}

// clipLine returns y[:clip] (clip ≤ 0: y unchanged).
func clipLine(y []float64, clip int) []float64 {
	if clip > 0 && len(y) > clip {
		return y[:clip]
	}
	return y
}

// ActiveLine is the N of the task being trained at each epoch (the
// concatenation of every phase's record), cut to its first clip epochs.
func ActiveLine(run []SwitchEpoch, clip int) []float64 {
	y := make([]float64, len(run))
	for i, e := range run {
		y[i] = e.N
	}
	return clipLine(y, clip)
}

// TaskLine is one task's N on the global epoch axis as the authors' metrics
// see it (reconstruct_global_task_lines): its own phases' records, NaN
// elsewhere, then forward-filled, leading epochs taking the first observed
// value; cut to clip. A task never trained gives all NaN.
func TaskLine(run []SwitchEpoch, task string, clip int) []float64 {
	y := make([]float64, len(run))
	first := -1
	for i, e := range run {
		if e.Task == task {
			y[i] = e.N
			if first < 0 {
				first = i
			}
		} else {
			y[i] = math.NaN()
		}
	}
	if first >= 0 {
		for i := 0; i < first; i++ {
			y[i] = y[first]
		}
		for i := first + 1; i < len(y); i++ {
			if math.IsNaN(y[i]) {
				y[i] = y[i-1]
			}
		}
	}
	return clipLine(y, clip)
}

// TaskLineDrawn is one task's N per epoch as the authors' switching panels
// draw it (multitask_switching_plotting_utils.py:
// _build_continual_global_dict): their runs record every task's current N
// at every epoch, so an inactive task shows the N it will resume at. Here
// that is reconstructed from the active records: startN before the task is
// first trained; after one of its phases, its last recorded N + 1 (a phase
// ends on the advance to the switch target, METHODS §3.6). Not clipped.
func TaskLineDrawn(run []SwitchEpoch, task string, startN float64) []float64 {
	y := make([]float64, len(run))
	hold := startN
	for i, e := range run {
		if e.Task == task {
			y[i] = e.N
			hold = e.N + 1
		} else {
			y[i] = hold
		}
	}
	return y
}

// FirstEpochReaching is the 1-based index of the first y ≥ target, or NaN
// (learning_metrics.py: first_epoch_reaching).
func FirstEpochReaching(y []float64, target float64) float64 {
	if math.IsNaN(target) || math.IsInf(target, 0) {
		return math.NaN()
	}
	for i, v := range y {
		if v >= target {
			return float64(i + 1)
		}
	}
	return math.NaN()
}

// rawAUC is learning_metrics.py: raw_auc (NaN for fewer than 2 points).
func rawAUC(y []float64) float64 {
	if len(y) < 2 {
		return math.NaN()
	}
	return Trapezoid(y)
}

func nanMax(y []float64) float64 {
	m := math.NaN()
	for _, v := range y {
		if !math.IsNaN(v) && (math.IsNaN(m) || v > m) {
			m = v
		}
	}
	return m
}

// SwitchAdaptation is one post-switch phase
// (compute_switch_adaptation_metrics_for_run).
type SwitchAdaptation struct {
	Phase      int
	Task       string
	Start, End int // global epochs, 0-based, End exclusive (unclipped)
	// Used is how many of the phase's epochs fall before the clip.
	Used                 int
	StartN, FinalN, MaxN float64
	// EpochsToNextN is the 1-based epoch of the phase at which N first
	// reaches StartN + 1 (N is recorded before the advance, so solving the
	// start N in the phase's first epoch gives 2); NaN if never within the
	// clipped phase.
	EpochsToNextN float64
	// Censored: never reached, and the phase was cut by the clip.
	Censored     bool
	NGained      float64 // MaxN − StartN
	AUC, MeanN   float64 // over the clipped phase
	PhaseLenFull int
}

// SwitchRunMetrics are the per-run task-switching metrics.
type SwitchRunMetrics struct {
	Epochs int // epochs of the clipped active line
	// Active line: mean N, AUC (trapezoid, dx 1), final N, and the 1-based
	// epoch it first reaches half the global max (NaN if never; set by
	// SwitchTable, which knows the global max).
	ActiveMeanN, ActiveAUC, ActiveFinalN, ActiveHalf float64
	// EpochsToSwitch[k−1] is the number of epochs before phase k begins
	// (its 0-based start), for every phase k ≥ 1 of the run; NaN when it
	// starts at or after the clip.
	EpochsToSwitch []float64
	Adaptation     []SwitchAdaptation
	// AdaptationSpeed is the mean EpochsToNextN over the post-switch phases
	// that reached it (NaN phases excluded, as pandas' mean does); NaN if
	// none did.
	AdaptationSpeed                  float64
	Successful, Total, CensoredCount int
	MeanNGained                      float64
	// Tasks holds each task's forward-filled, clipped line metrics.
	Tasks map[string]LineMetrics
}

// LineMetrics summarise one clipped line (max, final, mean N, AUC, epochs to
// half the global max).
type LineMetrics struct {
	MaxN, FinalN, MeanN, AUC, Half float64
}

// SwitchRun computes a run's metrics with lines cut to clip epochs (0: no
// cut). tasks lists the task names whose per-task lines are summarised.
// ActiveHalf and the per-task Half need the global max and are NaN here;
// SwitchTable fills them.
func SwitchRun(run []SwitchEpoch, tasks []string, clip int) SwitchRunMetrics {
	nan := math.NaN()
	active := ActiveLine(run, clip)
	m := SwitchRunMetrics{Epochs: len(active), ActiveMeanN: MeanFinite(active), ActiveAUC: rawAUC(active),
		ActiveFinalN: nan, ActiveHalf: nan, AdaptationSpeed: nan, MeanNGained: nan, Tasks: map[string]LineMetrics{}}
	if len(active) > 0 {
		m.ActiveFinalN = active[len(active)-1]
	}
	for _, t := range tasks {
		y := TaskLine(run, t, clip)
		lm := LineMetrics{MaxN: nanMax(y), FinalN: nan, MeanN: MeanFinite(y), AUC: rawAUC(y), Half: nan}
		if len(y) > 0 {
			lm.FinalN = y[len(y)-1]
		}
		m.Tasks[t] = lm
	}
	var speeds, gained []float64
	for _, p := range SwitchPhases(run) {
		if p.Index == 0 {
			continue
		}
		if clip > 0 && p.Start >= clip {
			m.EpochsToSwitch = append(m.EpochsToSwitch, nan)
			continue // the authors skip phases that start after the clip
		}
		m.EpochsToSwitch = append(m.EpochsToSwitch, float64(p.Start))
		y := p.N
		if clip > 0 {
			y = y[:min(p.End, clip)-p.Start]
		}
		a := SwitchAdaptation{Phase: p.Index, Task: p.Task, Start: p.Start, End: p.End, Used: len(y), PhaseLenFull: len(p.N),
			StartN: y[0], FinalN: y[len(y)-1], MaxN: nanMax(y), AUC: rawAUC(y), MeanN: MeanFinite(y)}
		a.EpochsToNextN = FirstEpochReaching(y, y[0]+1)
		a.Censored = math.IsNaN(a.EpochsToNextN) && len(y) < len(p.N)
		a.NGained = a.MaxN - a.StartN
		m.Adaptation = append(m.Adaptation, a)
		m.Total++
		if a.Censored {
			m.CensoredCount++
		}
		if !math.IsNaN(a.EpochsToNextN) {
			speeds = append(speeds, a.EpochsToNextN)
			m.Successful++
		}
		gained = append(gained, a.NGained)
	}
	if len(speeds) > 0 {
		m.AdaptationSpeed = MeanFinite(speeds)
	}
	if len(gained) > 0 {
		m.MeanNGained = MeanFinite(gained)
	}
	return m
}

// SwitchGroup is a named set of task-switching runs.
type SwitchGroup struct {
	Name string
	Runs [][]SwitchEpoch
}

// SwitchGroupRow is one group's summaries (mean, SD, SEM over runs, each
// over the runs where the value is defined, as summarise_by_model does).
type SwitchGroupRow struct {
	Name                                               string
	Runs                                               []SwitchRunMetrics
	ActiveMeanN, ActiveAUC, ActiveFinalN, ActiveHalf   Summary
	EpochsToSwitch                                     []Summary // index k−1: switch k
	AdaptationSpeed, Successful, Total, Censored, Gain Summary
}

// SwitchTableResult is the task-switching table of several groups against
// one global max.
type SwitchTableResult struct {
	Clip                     int
	GlobalMax, HalfThreshold float64
	Rows                     []SwitchGroupRow
}

// SwitchTable computes every group's metrics (analyse_switch_groups): the
// global max N is the max of every run's clipped active line over all groups,
// "half" its half.
func SwitchTable(groups []SwitchGroup, tasks []string, clip int) SwitchTableResult {
	gmax := math.NaN()
	for _, g := range groups {
		for _, r := range g.Runs {
			if v := nanMax(ActiveLine(r, clip)); !math.IsNaN(v) && (math.IsNaN(gmax) || v > gmax) {
				gmax = v
			}
		}
	}
	start := math.NaN()
	for _, g := range groups {
		for _, r := range g.Runs {
			if y := ActiveLine(r, clip); len(y) > 0 && (math.IsNaN(start) || y[0] < start) {
				start = y[0]
			}
		}
	}
	thr, _ := HalfThreshold(gmax, start)
	res := SwitchTableResult{Clip: clip, GlobalMax: gmax, HalfThreshold: thr}
	for _, g := range groups {
		row := SwitchGroupRow{Name: g.Name}
		var mean, auc, fin, half, speed, succ, tot, cens, gain []float64
		var toSwitch [][]float64
		for _, r := range g.Runs {
			m := SwitchRun(r, tasks, clip)
			m.ActiveHalf = FirstEpochReaching(ActiveLine(r, clip), res.HalfThreshold)
			for _, t := range tasks {
				lm := m.Tasks[t]
				lm.Half = FirstEpochReaching(TaskLine(r, t, clip), res.HalfThreshold)
				m.Tasks[t] = lm
			}
			row.Runs = append(row.Runs, m)
			mean, auc, fin = append(mean, m.ActiveMeanN), append(auc, m.ActiveAUC), append(fin, m.ActiveFinalN)
			half = append(half, m.ActiveHalf)
			for k, v := range m.EpochsToSwitch {
				for len(toSwitch) <= k {
					toSwitch = append(toSwitch, nil)
				}
				toSwitch[k] = append(toSwitch[k], v)
			}
			if m.Total > 0 {
				speed = append(speed, m.AdaptationSpeed)
				succ, tot = append(succ, float64(m.Successful)), append(tot, float64(m.Total))
				cens, gain = append(cens, float64(m.CensoredCount)), append(gain, m.MeanNGained)
			}
		}
		row.ActiveMeanN, row.ActiveAUC, row.ActiveFinalN = SummariseFinite(mean), SummariseFinite(auc), SummariseFinite(fin)
		row.ActiveHalf = SummariseFinite(half)
		for _, v := range toSwitch {
			row.EpochsToSwitch = append(row.EpochsToSwitch, SummariseFinite(v))
		}
		row.AdaptationSpeed, row.Successful, row.Total = SummariseFinite(speed), SummariseFinite(succ), SummariseFinite(tot)
		row.Censored, row.Gain = SummariseFinite(cens), SummariseFinite(gain)
		res.Rows = append(res.Rows, row)
	}
	return res
}

// SummariseFinite is Summarise over the finite values only (the authors'
// nanmean and their sd/sem over finite values).
func SummariseFinite(values []float64) Summary {
	var v []float64
	for _, x := range values {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	return Summarise(v)
}

// ActiveProgression is what the authors' global switching panel draws for
// one group (_active_task_progression): per epoch, the mean ± SEM over runs
// of the active task's N (runs shorter than the longest are NaN there and
// left out of the mean), and the fraction of runs training second (a shorter
// run holds its last task). N holds how many runs are still recorded.
type ActiveProgression struct {
	Mean, SEM, FracSecond []float64
	N                     []int
}

// ActiveProgressionOf computes the global switching panel's series.
func ActiveProgressionOf(runs [][]SwitchEpoch, second string) ActiveProgression {
	longest := 0
	for _, r := range runs {
		longest = max(longest, len(r))
	}
	p := ActiveProgression{Mean: make([]float64, longest), SEM: make([]float64, longest), FracSecond: make([]float64, longest), N: make([]int, longest)}
	col := make([]float64, 0, len(runs))
	for t := range longest {
		col = col[:0]
		on := 0
		for _, r := range runs {
			if len(r) == 0 {
				continue
			}
			task := r[len(r)-1].Task
			if t < len(r) {
				col = append(col, r[t].N)
				task = r[t].Task
			}
			if task == second {
				on++
			}
		}
		s := Summarise(col)
		p.Mean[t], p.SEM[t], p.N[t] = s.Mean, s.SEM, s.N
		if len(runs) > 0 {
			p.FracSecond[t] = float64(on) / float64(len(runs))
		}
	}
	return p
}

// SwitchEpochsInto returns, for a run, the 1-based global epochs at which it
// switches into task (the first epoch of each of task's phases after the
// first phase): the dashed lines of the authors' per-task panels
// (_infer_switch_events).
func SwitchEpochsInto(run []SwitchEpoch, task string) []int {
	var out []int
	for _, p := range SwitchPhases(run) {
		if p.Index > 0 && p.Task == task {
			out = append(out, p.Start+1)
		}
	}
	return out
}

// TaskNames lists the tasks of runs in order of first appearance.
func TaskNames(runs [][]SwitchEpoch) []string {
	var out []string
	for _, r := range runs {
		for _, e := range r {
			if !slices.Contains(out, e.Task) {
				out = append(out, e.Task)
			}
		}
	}
	return out
}
