//go:build !linux

package host

import "os/exec"

// killWithParent has no kernel support outside Linux; there the plugin
// SDK's parent watch ends orphaned plugins.
func killWithParent(cmd *exec.Cmd) {}
