// Command oddball_structured is the structured oddball task plugin (METHODS
// §2.4): contexts built stable or volatile on purpose, as the authors'
// make_batch_volatility_oddball does. The generator lives in package tasks so
// it can also run in-process.
package main

import (
	"github.com/cbrnn/cbrnn/taskplugins/sdk"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

func main() { sdk.Serve(tasks.OddballStructured) }
