//go:build xla && cgo

package gomlxmodels

import (
	"os"

	"github.com/gomlx/go-xla/compute/xla"
)

// Built with -tags xla (and cgo): the XLA/PJRT backend is available through
// GOMLX_BACKEND=xla:cuda or xla:/abs/path/pjrt_plugin.so. Auto-installing
// plugins from the network is off unless CBRNN_XLA_AUTO_INSTALL=1.
func init() {
	xlaCompiledIn = true
	xla.EnableAutoInstall(os.Getenv("CBRNN_XLA_AUTO_INSTALL") == "1")
}
