// Package env opens the environment every cbrnn program runs in, and
// nothing else: where the repository and its outputs are, the compute
// backend (chosen once, and said with why), the task plugin host, how an
// ensemble's members are laid out over the machine's cores, and the CBRNN_*
// environment variables that steer all of these (vars.go lists every one).
//
// The CLI's train command, the figure layer (package experiments) and the
// notebooks all open the same Env, so a run trains the same way whichever
// of them starts it. env also imports gomlx_models/variants, so the models
// users add there are registered in every program that opens an Env.
package env

import (
	// User-added model variants register themselves from init: importing
	// them here makes them visible to every program (CLI, experiments,
	// notebooks) without a blank import in each.
	_ "github.com/cbrnn/cbrnn/gomlx_models/variants"
)
