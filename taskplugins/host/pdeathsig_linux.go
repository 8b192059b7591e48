package host

import (
	"os/exec"
	"syscall"
)

// killWithParent asks the kernel to SIGKILL the plugin when the host dies,
// however it dies (panic, SIGKILL, OOM): no orphans even when no deferred
// Close runs. The plugin SDK also exits when it is re-parented. The plugin
// also gets its own process group, which the host ends when it ends the
// plugin, so that the plugin's own children go with it (they do not get
// the parent-death signal; after a host's SIGKILL, the next host ends them,
// see cleanStale).
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
