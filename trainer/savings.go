package trainer

// Savings of continual learning (METHODS §3.7), as the authors'
// tasks/continual.py: compute_savings computes them from a run's phases.

// Phase is one plan phase of a continual run: its active task and that
// task's test accuracy (%) at each epoch of the phase.
type Phase struct {
	Task string
	Acc  []float64
}

// TaskSavings is the savings record of one task met more than once.
type TaskSavings struct {
	Task string
	// Phases are the indices of the phases in which the task was active.
	Phases []int
	// EpochsToCriterion per such phase: the 1-based epoch of the first
	// accuracy ≥ threshold, 0 if none (their None).
	EpochsToCriterion []int
	// BudgetEpochs is the shortest of those phases; FixedBudgetAcc is the
	// mean accuracy over each phase's first BudgetEpochs epochs.
	BudgetEpochs   int
	FixedBudgetAcc []float64
	// Ratio = (e₀ − e₁)/e₀ over the first two occurrences; ok is false
	// (their NaN) when either never reached the threshold.
	Ratio   float64
	RatioOK bool
}

// Savings returns, for every task active in more than one phase (in the
// order tasks first appear), its epochs to criterion, fixed-budget
// accuracies and savings ratio.
func Savings(phases []Phase, threshold float64) []TaskSavings {
	var order []string
	where := map[string][]int{}
	for i, p := range phases {
		if where[p.Task] == nil {
			order = append(order, p.Task)
		}
		where[p.Task] = append(where[p.Task], i)
	}
	var out []TaskSavings
	for _, task := range order {
		idx := where[task]
		if len(idx) < 2 {
			continue
		}
		s := TaskSavings{Task: task, Phases: idx, BudgetEpochs: len(phases[idx[0]].Acc)}
		for _, i := range idx {
			acc := phases[i].Acc
			e := 0
			for k, a := range acc {
				if a >= threshold {
					e = k + 1
					break
				}
			}
			s.EpochsToCriterion = append(s.EpochsToCriterion, e)
			s.BudgetEpochs = min(s.BudgetEpochs, len(acc))
		}
		for _, i := range idx {
			s.FixedBudgetAcc = append(s.FixedBudgetAcc, mean(phases[i].Acc[:s.BudgetEpochs]))
		}
		if e0, e1 := s.EpochsToCriterion[0], s.EpochsToCriterion[1]; e0 > 0 && e1 > 0 {
			s.Ratio, s.RatioOK = float64(e0-e1)/float64(e0), true
		}
		out = append(out, s)
	}
	return out
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
