package env

import (
	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/taskplugins/host"
	"github.com/cbrnn/cbrnn/trainer"
)

// The environment variables the Go programs read through this package or
// name to their users. Those of a lower package keep their home there and
// are named here too.
const (
	RootVar                 = figdata.RootVar
	OutVar                  = figdata.OutVar
	ProfileVar              = figdata.ProfileVar
	JobsVar                 = "CBRNN_JOBS"
	AcceptPluginChangeVar   = "CBRNN_ACCEPT_PLUGIN_CHANGE"
	AcceptNumericsChangeVar = "CBRNN_ACCEPT_NUMERICS_CHANGE"
	// AcceptMissingProvenanceVar is named by the trainer's refusal, so
	// its home is there.
	AcceptMissingProvenanceVar = trainer.AcceptMissingProvenanceVar
	QuietInterruptVar          = "CBRNN_QUIET_INTERRUPT"
	TaskPathVar                = host.PathEnv
	BatchTimeoutVar            = host.TimeoutEnv
)

// Scope says who sets a variable.
type Scope string

const (
	// Setting: a user (or reproduce.sh, or a Slurm script) sets it.
	Setting Scope = "setting"
	// Internal: one cbrnn process sets it for another it starts.
	Internal Scope = "internal"
	// Test: a test or a test script reads it.
	Test Scope = "test"
)

// Variable is one CBRNN_* environment variable.
type Variable struct {
	Name  string
	Scope Scope
	What  string
}

// Variables lists every CBRNN_* environment variable the repository reads,
// in Go, shell or Python: the one place to look them up (a test keeps it
// complete).
var Variables = []Variable{
	{RootVar, Setting, "the repository (default: found upwards from the working directory or the binary)"},
	{OutVar, Setting, "where runs/, figures/ and paper/results.md go (default: the repository)"},
	{ProfileVar, Setting, "the notebooks' experiments profile: smoke, quick (default) or paper"},
	{JobsVar, Setting, "ensembles trained at once by the notebooks (default 0: one per core on the Go backend)"},
	{AcceptPluginChangeVar, Setting, "1: reuse or resume runs whose task plugin changed (as --accept-plugin-change)"},
	{AcceptNumericsChangeVar, Setting, "1: resume runs whose numerics differ from this build's (as --accept-numerics-change)"},
	{AcceptMissingProvenanceVar, Setting, "1: resume or reuse runs whose provenance.json is missing or damaged, unchecked (as --accept-missing-provenance)"},
	{TaskPathVar, Setting, "where task plugins are looked for, directories separated by ':' (default: taskplugins/bin)"},
	{BatchTimeoutVar, Setting, "longest a task plugin may take to serve one batch (default: the plugin's manifest entry, else 10s)"},
	{QuietInterruptVar, Setting, "1: an interrupted command exits with status 130 without a word (reproduce.sh says what stopped)"},
	{"CBRNN_XLA_AUTO_INSTALL", Setting, "1: let an XLA build download its PJRT plugins (gomlx_models)"},
	{"CBRNN_NB_OUT", Setting, "notebooks/run.sh: where executed notebooks and kernel logs go"},
	{"CBRNN_NB_TIMEOUT", Setting, "notebooks/run.sh: per-cell timeout in seconds"},
	{"CBRNN_SKIP_SETUP", Setting, "notebooks/run.sh: 1 skips scripts/setup.sh"},
	{"CBRNN_TASK_PLUGIN", Internal, "the handshake cookie a task plugin checks before it serves (taskplugins/internal/wire)"},
	{"CBRNN_TASK_HOST_DIR", Internal, "the private folder the plugin host gives its plugins (taskplugins/host)"},
	{"CBRNN_REQUIRE_TORCH", Test, "1: a test comparing with PyTorch fails, not skips, without it (make test)"},
	{"CBRNN_SLURM_TEST", Test, "1: run the Slurm cluster test"},
	{"CBRNN_LOCAL_SMOKE", Test, "a local smoke reproduction the Slurm test compares with"},
	{"CBRNN_GROUPMAX", Test, "the member count of gomlx_models' training-step benchmark"},
	{"CBRNN_TEST_MODE", Test, "the plugin host's reliability test: what the faulty plugin's helper does (spawn-tree: children, a setsid child, one with a scrubbed environment)"},
	{"CBRNN_TEST_OUT", Test, "where the switching test writes its figure, for a look"},
	{"CBRNN_TEST_PIDFILE", Test, "the plugin host's reliability test: where a helper writes its pid"},
	{"CBRNN_TEST_RUN_MAIN", Test, "cmd/cbrnn's tests: run main in a child process"},
	{"CBRNN_HOST_TEST_HELPER", Test, "the plugin host's tests: act as a helper process"},
	{"CBRNN_TRAINER_KILL_CHILD", Test, "the trainer's kill test: act as the child that is killed"},
	{"CBRNN_TRAINER_KILL_REGIME", Test, "the trainer's kill test: the regime the child trains"},
}
