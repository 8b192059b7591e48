package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// curriculumFlags are train's flags for the curricula of METHODS §3.7–3.9,
// named after the authors' training/train.py flags they stand for.
type curriculumFlags struct {
	curriculum, plan                 *string
	perPhase, patience               *int
	initHeads, addHeads, forgetHeads *int
	advanceEvery                     *int
	savingsThreshold                 *float64
}

func addCurriculumFlags(fs *flag.FlagSet) *curriculumFlags {
	return &curriculumFlags{
		curriculum:       fs.String("curriculum", "", "continual (task switch), cumulative or sliding (task dms_multin, parity_multin); empty: the task's own, standard, multitask or switching (--continual, --curriculum_type); the fixed-schedule curriculum is --advance-every"),
		plan:             fs.String("plan", trainer.DefaultPlan, "continual: the tasks in training order, cycling (--continual_plan)"),
		perPhase:         fs.Int("epochs-per-phase", 100, "continual: epochs of each plan phase (--continual_epochs_per_phase)"),
		patience:         fs.Int("patience", 1, "continual: epochs in a row at the threshold before N advances (--continual_patience)"),
		savingsThreshold: fs.Float64("savings-threshold", trainer.PaperThreshold, "continual: accuracy (%) that counts as relearnt in the savings printed at the end (--continual_savings_threshold)"),
		initHeads:        fs.Int("init-heads", 1, "cumulative, sliding: Ns (heads) at the start (--init_heads)"),
		addHeads:         fs.Int("add-heads", 1, "cumulative: Ns added at each advance (--add_heads)"),
		forgetHeads:      fs.Int("forget-heads", 1, "sliding: Ns forgotten (and added) at each advance (--forget_heads)"),
		advanceEvery:     fs.Int("advance-every", 0, "fixed-schedule curriculum: advance N every this many epochs whatever the accuracy, up to --max-n (--advance_every_epochs, --target_end_n)"),
	}
}

// authorsRegimes maps the authors' names of the regimes, their reservoir
// modes (--continual_reservoir_mode, --mt_reservoir_mode), to ours, so that
// either name works with --regime.
var authorsRegimes = map[string]string{
	"off":              trainer.Standard,
	"global_once":      trainer.FrozenCore,
	"per_task_once":    trainer.PerTaskOnce,
	"periodic_refresh": trainer.PeriodicCore,
}

func regimeName(r string) string {
	if s, ok := authorsRegimes[r]; ok {
		return s
	}
	return r
}

// curricula returns the settings the flags ask for, refusing flags that
// the chosen curriculum would ignore.
func (f *curriculumFlags) curricula(fs *flag.FlagSet) (trainer.Curricula, error) {
	k := trainer.Curricula{Curriculum: *f.curriculum, AdvanceEvery: *f.advanceEvery}
	own := map[string][]string{
		trainer.Continual:  {"plan", "epochs-per-phase", "patience", "savings-threshold"},
		trainer.Cumulative: {"init-heads", "add-heads"},
		trainer.Sliding:    {"init-heads", "forget-heads"},
	}
	var stray []string
	fs.Visit(func(fl *flag.Flag) {
		for _, names := range own {
			if slices.Contains(names, fl.Name) && !slices.Contains(own[k.Curriculum], fl.Name) {
				stray = append(stray, "--"+fl.Name)
				return
			}
		}
	})
	if len(stray) > 0 {
		return k, fmt.Errorf("%s: not a setting of --curriculum %q", strings.Join(stray, ", "), k.Curriculum)
	}
	switch k.Curriculum {
	case trainer.Continual:
		k.Plan, k.EpochsPerPhase, k.Patience = *f.plan, *f.perPhase, *f.patience
	case trainer.Cumulative:
		k.InitHeads, k.AddHeads = *f.initHeads, *f.addHeads
	case trainer.Sliding:
		k.InitHeads, k.ForgetHeads = *f.initHeads, *f.forgetHeads
	}
	return k, nil
}

// printSavings reports a finished continual run's savings (METHODS §3.7),
// as the authors' continual_train prints them at its end.
func printSavings(w io.Writer, d *rundir.Dir, headNames []string, threshold float64) error {
	st, err := rundir.ReadStats[trainer.EpochStats](d)
	if err != nil {
		return err
	}
	phases, err := trainer.ContinualPhases(st, headNames)
	if err != nil {
		return err
	}
	for _, s := range trainer.Savings(phases, threshold) {
		fmt.Fprintf(w, "%s: savings of %s (threshold %.1f%%):", d.Path, s.Task, threshold)
		for i, p := range s.Phases {
			e := "never"
			if s.EpochsToCriterion[i] > 0 {
				e = fmt.Sprint(s.EpochsToCriterion[i])
			}
			fmt.Fprintf(w, " phase %d: %s epochs to criterion, mean accuracy %.1f%% over the first %d;", p, e, s.FixedBudgetAcc[i], s.BudgetEpochs)
		}
		if s.RatioOK {
			fmt.Fprintf(w, " savings ratio %.3f\n", s.Ratio)
		} else {
			fmt.Fprintln(w, " savings ratio undefined (a phase never reached the threshold)")
		}
	}
	return nil
}
