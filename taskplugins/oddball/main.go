// Command oddball is the oddball task plugin as the authors train it (METHODS
// §2.4): i.i.d. bits, volatility-rule label. The generator lives in package
// tasks so it can also run in-process.
package main

import (
	"github.com/cbrnn/cbrnn/taskplugins/sdk"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

func main() { sdk.Serve(tasks.Oddball) }
