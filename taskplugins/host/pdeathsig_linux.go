package host

import (
	"os/exec"
	"syscall"
)

// killWithParent asks the kernel to SIGKILL the plugin when the host dies,
// however it dies (panic, SIGKILL, OOM): no orphans even when no deferred
// Close runs. The plugin SDK also exits when it is re-parented.
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
