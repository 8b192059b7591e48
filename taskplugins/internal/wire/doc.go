// Package wire is what the plugin SDK and the host must agree on: the
// go-plugin handshake, the plugin's name in go-plugin's plugin set, and the
// conversions between the task vocabulary and the generated protobuf types.
package wire
