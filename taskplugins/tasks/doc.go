// Package tasks holds the paper's tasks (METHODS §2) as pure generators. The
// plugin binaries serve them (taskplugins/<name>), and Local serves them
// in-process, so unit tests and benchmarks need no subprocess and get the
// same bytes a plugin would send.
package tasks
