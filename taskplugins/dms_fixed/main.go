// Command dms_fixed is the dms_fixed task plugin (METHODS §2); the generator lives in
// package tasks so it can also run in-process.
package main

import (
	"github.com/cbrnn/cbrnn/taskplugins/sdk"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

func main() { sdk.Serve(tasks.DMSFixed) }
