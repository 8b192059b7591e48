// Package trainer runs the paper's training protocol (METHODS §3): the
// curriculum over N, the test-and-advance rule, the optimiser, and the
// regimes that freeze parts of the network. It trains K runs at once in one
// graph; each run keeps its own task stream, N, phase, optimiser state, stats
// and checkpoints, and ends exactly where training it alone would have ended:
// on the Go backend bit for bit, whatever the other runs, whenever they
// finish, and whichever executors the ensemble runs on (layout.go,
// TestMembersFinishingApart). On XLA a run's numbers may change with its
// ensemble at round-off; provenance.json records the layouts.
package trainer
