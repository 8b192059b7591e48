// Package taskpb is the generated Go code of the task-plugin protocol
// (taskplugin.proto). Regenerate with generate.sh; the output is committed so
// that building cbrnn needs no protobuf tooling.
package taskpb

//go:generate ./generate.sh
