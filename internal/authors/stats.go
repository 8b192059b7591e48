package authors

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/cbrnn/cbrnn/internal/torchio"
	"github.com/cbrnn/cbrnn/trainer"
)

// statsLine is one epoch of an imported run: trainer.EpochStats' fields
// that their stats have, and their own values under "authors".
type statsLine struct {
	Epoch     int      `json:"epoch"`
	N         int      `json:"n"`
	Phase     string   `json:"phase"`
	TrainLoss *float64 `json:"train_loss"` // null where their loss is not finite
	TestAcc   *float64 `json:"test_acc"`
	Solved    bool     `json:"solved"`
	// Authors holds every per-epoch value of their stats.npy for this epoch;
	// non-finite floats are written as the strings "NaN", "+Inf", "-Inf".
	Authors map[string]any `json:"authors"`
}

// phases maps their phase labels (training/train.py "RNN"; reservoir.py
// "init"; variants.py "CB_ONLY", "BOTH") to trainer's.
var phases = map[string]string{"RNN": trainer.PhaseAll, "init": trainer.PhaseInit, "RNN_ONLY": trainer.PhaseInit,
	"CB_ONLY": trainer.PhaseCBOnly, "BOTH": trainer.PhaseBoth}

// statsTable is their stats.npy: a dict of per-epoch lists (and maybe
// other values), with E epochs (the length of n_task).
type statsTable struct {
	path string
	m    map[string]any
	E    int
}

func (t statsTable) list(key string) []any {
	l, _ := t.m[key].([]any)
	return l
}

// perEpoch says whether key holds one value per epoch.
func (t statsTable) perEpoch(key string) bool { return len(t.list(key)) == t.E }

// readStats maps stats.npy to stats lines. solved[N] says a checkpoint of
// N exists.
func readStats(path string, threshold float64, solved map[int]bool, rep *Report) ([]statsLine, error) {
	t, err := readStatsTable(path)
	if err != nil {
		return nil, err
	}
	keys := classifyStats(t, rep)
	warnMissingStats(t, rep)
	lines := make([]statsLine, t.E)
	for i := range lines {
		if lines[i], err = epochLine(t, i, keys); err != nil {
			return nil, err
		}
	}
	markSolved(lines, threshold, solved)
	return lines, nil
}

func readStatsTable(path string) (statsTable, error) {
	obj, err := torchio.ReadNpyObject(path)
	if err != nil {
		return statsTable{}, err
	}
	m, ok := obj.(map[string]any)
	if !ok {
		return statsTable{}, fmt.Errorf("%s holds a %T, not their dict of per-epoch lists", path, obj)
	}
	t := statsTable{path: path, m: m}
	ns := t.list("n_task")
	if ns == nil {
		return statsTable{}, fmt.Errorf("%s has no n_task list (keys: %s)", path, strings.Join(slices.Sorted(maps.Keys(m)), ", "))
	}
	t.E = len(ns)
	return t, nil
}

// statsCounterparts are the keys of theirs that fill a field of cbrnn's
// stats lines.
var statsCounterparts = map[string]string{"n_task": "n", "phase": "phase", "loss": "train_loss", "accuracy": "test_acc", "epoch": "epoch"}

// classifyStats says in the report where each key went, and returns the
// per-epoch keys, sorted.
func classifyStats(t statsTable, rep *Report) []string {
	var keys []string
	for key, v := range t.m {
		l, isList := v.([]any)
		switch {
		case !isList:
			rep.StatsKeys[key] = "not a list: kept in authors.json only"
			rep.Unmapped["stats."+key] = sanitize(v)
		case len(l) != t.E:
			rep.StatsKeys[key] = fmt.Sprintf("%d values for %d epochs: kept in authors.json only", len(l), t.E)
			rep.Unmapped["stats."+key] = sanitize(v)
		default:
			keys = append(keys, key)
			if to, ok := statsCounterparts[key]; ok {
				rep.StatsKeys[key] = to + " (and authors." + key + ")"
			} else {
				rep.StatsKeys[key] = "authors." + key + " (no counterpart)"
			}
		}
	}
	sort.Strings(keys)
	rep.StatsKeys["(derived)"] = "solved: derived (the next epoch trains a larger N, or the last epoch reached the threshold at an N with a checkpoint); grad_norm and wall_s: not written (their grad_rnn is the norm after clipping, cbrnn's before)"
	return keys
}

// warnMissingStats warns where a column cbrnn's analyses read (accuracy,
// loss) is absent or not one value per epoch: its field is then null at
// every epoch.
func warnMissingStats(t statsTable, rep *Report) {
	for _, key := range []string{"accuracy", "loss"} {
		to := statsCounterparts[key]
		switch v, ok := t.m[key]; {
		case !ok:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s has no %q: %s is null at every epoch", authorsStats, key, to))
		case !t.perEpoch(key):
			n := "not a list"
			if l, isList := v.([]any); isList {
				n = fmt.Sprintf("%d values", len(l))
			}
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s's %q holds %s for %d epochs: %s is null at every epoch (its values are kept in %s)", authorsStats, key, n, t.E, to, ReportFile))
		}
	}
}

// epochLine is epoch i's line.
func epochLine(t statsTable, i int, keys []string) (statsLine, error) {
	n, ok := intAt(t.list("n_task")[i])
	if !ok {
		return statsLine{}, fmt.Errorf("%s: n_task[%d] = %v is not a whole number", t.path, i, t.list("n_task")[i])
	}
	l := statsLine{Epoch: i + 1, N: n, Phase: trainer.PhaseAll, TrainLoss: t.finiteAt("loss", i), TestAcc: t.finiteAt("accuracy", i), Authors: map[string]any{}}
	if t.perEpoch("epoch") {
		if e, ok := intAt(t.list("epoch")[i]); ok {
			l.Epoch = e
		}
	}
	if t.perEpoch("phase") {
		if ps, ok := t.list("phase")[i].(string); ok {
			l.Phase = ps // a label of theirs cbrnn has no name for stays as it is
			if p, ok := phases[ps]; ok {
				l.Phase = p
			}
		}
	}
	for _, key := range keys {
		l.Authors[key] = sanitize(t.list(key)[i])
	}
	return l, nil
}

func intAt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return int(x), true
	case float64:
		return int(x), x == math.Trunc(x)
	}
	return 0, false
}

// finiteAt is key's value at epoch i, or nil where the column is not per
// epoch or the value is not a finite number.
func (t statsTable) finiteAt(key string, i int) *float64 {
	if !t.perEpoch(key) {
		return nil
	}
	var f float64
	switch v := t.list(key)[i].(type) {
	case float64:
		f = v
	case int64:
		f = float64(v)
	default:
		return nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// markSolved derives solved: an epoch followed by one at a larger N, or
// the last epoch when it reached the threshold at an N with a checkpoint.
func markSolved(lines []statsLine, threshold float64, solved map[int]bool) {
	for i := range lines {
		if i+1 < len(lines) {
			lines[i].Solved = lines[i+1].N > lines[i].N
			continue
		}
		acc := lines[i].TestAcc
		lines[i].Solved = acc != nil && *acc >= threshold && solved[lines[i].N]
	}
}

// sanitize makes a value JSON-encodable: non-finite floats become strings.
func sanitize(v any) any {
	switch x := v.(type) {
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "+Inf"
		case math.IsInf(x, -1):
			return "-Inf"
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sanitize(e)
		}
		return out
	}
	return v
}
