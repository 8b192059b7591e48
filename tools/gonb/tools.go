//go:build tools

// Package gonbtool pins the versions of the notebook tooling (the GoNB Jupyter
// kernel and goimports) that scripts/setup.sh builds. It is a separate module
// so that the main module's go.mod stays free of tool dependencies.
package gonbtool

import (
	_ "github.com/janpfeifer/gonb"
	_ "golang.org/x/tools/cmd/goimports"
)
