// Package slurm trains a profile's runs on a Slurm cluster with Slurm's own
// machinery — a job array, a dependency, requeueing — rather than a scheduler
// of ours.
//
// A submission is one job array (the array job; its elements are array tasks,
// not to be confused with the task plugins they train on) and one job:
//
//   - array task i trains ensemble i of the plan: the runs that a local
//     `cbrnn figures` would train together in one graph (the RunSource,
//     experiments.PlanSource, groups them exactly as Ensure does), so the
//     cluster's runs equal the local ones;
//   - the figures job, dependent on the whole array (afterany), draws every
//     figure whose runs all finished, writes paper/results.md — listing the
//     runs that did not finish, with their array task and log — and executes
//     the notebooks of the figures it drew.
//
// Everything a submission runs is first written, as plain files a person can
// read and edit, to a folder (by default <out>/slurm/<time>-<profile>/):
// plan.json (the array tasks and their runs, read by the jobs), plan.txt (the
// same for people, with each array task's price), array.sbatch,
// figures.sbatch, and submit.sh, the two sbatch commands. Submitting is
// running submit.sh, which records the job ids in jobs.env; a dry run stops
// before it.
//
// No two array tasks ever write one run: a plan puts each pending run in
// exactly one array task, an array task trains only the runs its plan lists,
// Slurm runs an array task at most once at a time (a requeued one starts
// again only after the old one has ended), and a new submission refuses runs
// that a live array task of an earlier submission holds (LiveClaims). The run
// directory's flock is a second guard, for processes on one machine or on
// file systems whose locks span nodes.
//
// Preemption: array tasks are submitted with --requeue and
// --signal=B:TERM@120. Whoever ends an array task — its time limit coming
// (Slurm signals the batch shell, which passes SIGTERM on), `scontrol
// requeue`, preemption, scancel — the trainer saves every run's resume point
// at the next batch boundary (trainer: weights, momentum, batch index, the
// epoch's partial sums) and cbrnn exits with ExitRequeue. At a time limit the
// batch script then requeues its own array task; otherwise Slurm already
// knows what to do. A requeued array task resumes where it stopped and ends
// with the stats an uninterrupted run has.
package slurm
