// Package experiments declares the paper's experiments as data — which
// groups of networks each figure compares, at which budget — and turns them
// into runs, cached by the hash of their configuration, and into figures.
// The same call serves the notebooks, reproduce.sh and the tests.
package experiments
