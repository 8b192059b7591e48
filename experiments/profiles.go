package experiments

import (
	"math"

	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/trainer"
)

// Profile scales the paper's protocol (METHODS §3–4) to a budget. It lives
// in figdata, which the notebooks import without GoMLX.
type Profile = figdata.Profile

// Profiles are smoke, quick, standard and paper (figdata.Profiles).
var Profiles = figdata.Profiles

// LookupProfile returns the named profile ("" = DefaultProfile) or an
// error listing the known ones.
func LookupProfile(name string) (Profile, error) { return figdata.LookupProfile(name) }

// The paper's own numbers live in figdata, for the notebooks.
type PaperMetrics = figdata.PaperMetrics

// PaperTable4 returns the paper's Table 4 row of a group on a task
// (figdata.PaperTable4).
func PaperTable4(task, group string) (PaperMetrics, bool) { return figdata.PaperTable4(task, group) }

// PaperParams are appendix B's parameter counts (figdata.PaperParams).
var PaperParams = figdata.PaperParams

// ProfileNames, DefaultProfile and ProfileList are figdata's.
var ProfileNames = figdata.ProfileNames

// DefaultProfile is the profile of a command given none.
const DefaultProfile = figdata.DefaultProfile

// ProfileList is the profiles for a help text.
func ProfileList() string { return figdata.ProfileList() }

// The first core refresh of Periodic-core, estimated (METHODS §3.10). The
// trainer (trainer/curriculum.go: step) enters the refresh phase when N
// advances to StartN + k (k = trainer.PeriodFor: N = 12 on DMS, 7 on
// parity); until then Periodic-core is Frozen-core. How soon a run gets
// there is a matter of learning speed, so a profile is sized on the speed
// the quick runs measured: Frozen-core's max N after 150 epochs of 40
// batches of 32 (6,000 SGD steps) was 7.33 on DMS and 5.67 on parity
// (n = 3, figures/table4.md at quick), and N − StartN grows as the 0.75th
// power of the SGD steps (the exponent that carries quick's CB-RNN to the
// paper's epochs to half on both tasks: 215 and 153 epochs of 100).
var frozenGain = map[string]float64{"dms": 7.33 - trainer.PaperStartN, "parity": 5.67 - trainer.PaperStartN}

// RefreshEpoch is the epoch at which the estimate puts Periodic-core's
// first refresh on task (dms or parity) under profile p, or 0 for another
// task.
func RefreshEpoch(p Profile, task string) int {
	gain, ok := frozenGain[task]
	if !ok || p.Steps <= 0 {
		return 0
	}
	levels := float64(trainer.PeriodFor(task)) // StartN + k − StartN
	steps := 6000 * math.Pow(levels/gain, 1/0.75)
	return int(math.Ceil(steps / float64(p.Steps)))
}
