// Package sdk is what a task plugin imports: Serve turns a task.Generator
// into a go-plugin gRPC plugin (handshake, server, deterministic per-request
// RNG) that the cbrnn host can launch. A whole plugin is
//
//	func main() { sdk.Serve(task.Generator{Desc: desc, Generate: generate}) }
//
// See taskplugins/template for a copyable example.
package sdk
