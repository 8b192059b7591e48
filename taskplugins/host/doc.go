// Package host runs task plugins for the trainer and the CLI: it finds the
// binaries, checks them against the build's SHA-256 manifest, launches each
// lazily (one process per task, reused) from a verified private copy,
// validates every batch, restarts a crashed plugin once, and kills every
// child (and its process group) on Close, on cancellation of the context
// given to Open, and (through the kernel) when the host process dies. Its
// plugins' sockets and temporary files live in a private folder that Close
// removes, and that the next host removes if this one was killed. It
// implements task.Source, the trainer's only view of tasks.
package host
