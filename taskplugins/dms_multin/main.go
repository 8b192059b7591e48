// Command dms_multin is the dms_multin task plugin (METHODS §3.9); the generator lives in
// package tasks so it can also run in-process.
package main

import (
	"github.com/cbrnn/cbrnn/taskplugins/sdk"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

func main() { sdk.Serve(tasks.DMSMultiN) }
