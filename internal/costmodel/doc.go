// Package costmodel prices a training protocol from measured step times, so
// that a run of hours can be extrapolated from a benchmark of minutes (the
// paper profile on a GPU). It is exact arithmetic on the protocol
// (METHODS §2–3), not a simulation: the only inputs it takes on trust are the
// measured costs of one ensemble step per bucket length.
package costmodel
