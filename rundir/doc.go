// Package rundir stores one training run in one directory:
//
//	config.json                    the run's config, indented canonical JSON
//	stats.jsonl                    one JSON object per completed epoch
//	state.json                     the resume point: {"tensors": FILE, "meta": …}
//	state-<random>.safetensors     the tensors state.json names
//	checkpoints/N%03d.safetensors  the weights of the model that solved N
//	done.json                      present once the run has finished
//	lock                           flock'd by the process training the run
//
// Runs are long and are interrupted: by Ctrl-C, by a cluster's time limit,
// by kill -9 or a power cut. Everything is therefore written so that a crash
// at any instant leaves a directory that reads back consistently and that
// training can resume from. Whole files are written atomically (renameio: a
// temporary file in the same directory, fsync, rename; then an fsync of the
// directory), so a reader sees the old content or the new one, never a mix.
// config.json is never overwritten: it is created with a hard link, which
// fails if the name exists, so two processes creating the same run cannot
// clobber each other and a run is never silently reused for a different
// config. stats.jsonl is appended one line per epoch; a line torn by a crash
// is recognised (no trailing newline, or invalid JSON) and dropped by
// readers and by the next append. The resume state is two files: the tensors
// are written first under a fresh name, then state.json, which names them,
// replaces the previous one in a single rename, and only then are older
// tensor files deleted; so state.json always names a complete tensors file
// written with it.
//
// The trainer commits an epoch as checkpoint, then stats line, then state; a
// crash in between leaves stats ahead of the state, which resume truncates
// with TruncateStats.
package rundir
