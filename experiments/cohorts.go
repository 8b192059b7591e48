package experiments

import (
	"context"

	"github.com/cbrnn/cbrnn/analysis"
)

// Cohorts trains (or loads, from the runs cache) every group on every task
// at a budget of epochs, in one plan so that compatible runs share
// ensembles: out[task][group]. The notebooks load a figure's runs with it.
func (e *Env) Cohorts(ctx context.Context, p Profile, tasks []string, groups []Group, epochs int) ([][]*Cohort, error) {
	return e.cohorts(ctx, p, tasks, groups, epochs)
}

// AnalysisGroups are cohorts as the analysis package's groups (label and
// N-per-epoch curves), for analysis.GroupTable.
func AnalysisGroups(cs []*Cohort) []analysis.Group { return analysisGroups(cs) }
