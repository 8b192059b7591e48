// Package plugintest builds real task plugins for tests, so any package
// (host, CLI, trainer) can test against real processes without depending on
// `make plugins` having been run. Binaries are built once into a shared
// cache (.cache/plugintest, rebuilt only when stale) and copied into the
// test's own directory with a manifest, so a test may tamper with them.
package plugintest
