package trainer

// PlannedRun is a run that a plan will train, before its directory exists:
// its protocol and the directory it will live in. It sits here, beside Run,
// rather than with the figures that need it, so that a cluster plan
// (internal/slurm) can carry runs without depending on the figure
// catalogue. Its JSON is part of a Slurm submission's plan.json.
type PlannedRun struct {
	Config Config `json:"config"`
	Path   string `json:"path"`
}
