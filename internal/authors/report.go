package authors

import (
	"encoding/json"
	"regexp"
)

// Their run folder (training/save.py save_model, save_run_config;
// training/train.py train; training/reservoir.py train_reservoir):
//
//	config.json       {"argv", "cli_args", "model_config", "run", "host", "params", "timestamp_utc"}
//	stats.npy         np.save of a dict of per-epoch lists (n_task, phase, loss, accuracy, grad_rnn, grad_cb, …)
//	rnn_N{a}_N{b}     torch.save({"state_dict": …}) when the curriculum advanced past b (a = b for one head)
//	rnn_init          the initial network of a standard run
const (
	authorsConfig = "config.json"
	authorsStats  = "stats.npy"
)

// ReportFile is what ImportRun writes beside the run: where it came from,
// how their config was read, and everything that has no counterpart.
const ReportFile = "authors.json"

var checkpointRE = regexp.MustCompile(`^rnn_N(\d+)_N(\d+)(\.pt)?$`)

// Report describes one imported run (ReportFile).
type Report struct {
	Source      string      `json:"source"`
	Constructor Constructor `json:"constructor"`
	Call        string      `json:"call"` // their constructor call, in Python
	ModelName   string      `json:"model_name"`
	Regime      string      `json:"regime"`
	// Mapped says which of their fields set which of cbrnn's.
	Mapped map[string]string `json:"mapped"`
	// Unmapped holds every field of their config.json's cli_args (and its
	// other top-level sections) that has no counterpart in cbrnn's config,
	// with its value.
	Unmapped map[string]any `json:"unmapped"`
	// Assumed lists the choices made where their files are silent.
	Assumed []string `json:"assumed"`
	// StatsKeys says where each key of stats.npy went.
	StatsKeys   map[string]string `json:"stats_keys"`
	Epochs      int               `json:"epochs"`
	Checkpoints map[string]int    `json:"checkpoints"` // their file → N
	Skipped     map[string]string `json:"skipped"`     // their file → why
	// Warnings are what the import could not reconcile but did not
	// refuse: columns of stats.npy missing or short, checkpoints the stats
	// do not mark solved. import-run prints them.
	Warnings []string `json:"warnings"`
	// AuthorsConfig is their config.json, verbatim.
	AuthorsConfig json.RawMessage `json:"authors_config"`
}
