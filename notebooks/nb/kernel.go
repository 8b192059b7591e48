package nb

import (
	"fmt"
	"os"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// GoNB runs every cell as a program the kernel starts, in a process group
// of its own: when the kernel dies (Jupyter shut down, notebooks/run.sh
// interrupted), nothing stops that program, and a cell that trains would
// go on alone. So a cell program watches the kernel, its parent: when it is
// gone, Context is cancelled (a training stops at its next batch, keeping
// the finished epochs), and the program exits after a grace period in any
// case (every file the project writes is written atomically).
func init() {
	if gonbui.IsNotebook {
		go watchKernel(os.Getppid(), time.Second, 30*time.Second, func() { os.Exit(3) })
	}
}

// watchKernel polls the parent process every period; once it is no longer
// kernel, it cancels Context and calls exit after grace.
func watchKernel(kernel int, period, grace time.Duration, exit func()) {
	for range time.Tick(period) {
		if os.Getppid() == kernel {
			continue
		}
		fmt.Fprintln(os.Stderr, "nb: the GoNB kernel is gone; stopping this cell")
		Context()
		cancel()
		time.Sleep(grace)
		exit()
		return
	}
}
