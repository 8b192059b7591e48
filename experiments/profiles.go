package experiments

import "github.com/cbrnn/cbrnn/figdata"

// Profile scales the paper's protocol (METHODS §3–4) to a budget. It lives
// in figdata, which the notebooks import without GoMLX.
type Profile = figdata.Profile

// Profiles are smoke, quick and paper (figdata.Profiles).
var Profiles = figdata.Profiles

// LookupProfile returns the named profile or an error listing the known ones.
func LookupProfile(name string) (Profile, error) { return figdata.LookupProfile(name) }

// The paper's own numbers live in figdata, for the notebooks.
type PaperMetrics = figdata.PaperMetrics

// PaperTable4 returns the paper's Table 4 row of a group on a task
// (figdata.PaperTable4).
func PaperTable4(task, group string) (PaperMetrics, bool) { return figdata.PaperTable4(task, group) }

// PaperParams are appendix B's parameter counts (figdata.PaperParams).
var PaperParams = figdata.PaperParams
