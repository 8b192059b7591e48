package gomlxmodels_test

import (
	"fmt"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// A model is a registered recipe; Build turns it, with the task's shape and
// the user's options, into the Config (the network) a trainer trains. Here
// both take the defaults: one input channel, one two-class head. The "rnn"
// baseline's H is matched to the CB-RNN's parameter count (METHODS §1), which
// is why the paper calls it RNN-202.
func ExampleBuild() {
	for _, name := range []string{"cb-rnn", "rnn"} {
		c, err := gm.Build(name, gm.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		n := c.Count()
		fmt.Printf("%s: %s\n  core %d + CB %d + readout %d = %d parameters\n", name, c.Describe(), n.Core, n.CB, n.Readout, n.Total)
	}
	// Output:
	// cb-rnn: elman H=64 + CB gc 256 · pc 64 · dcn (sees hidden+input, adds to pre)
	//   core 4288 + CB 37504 + readout 130 = 41922 parameters
	// rnn: elman H=202
	//   core 41410 + CB 0 + readout 406 = 41816 parameters
}
