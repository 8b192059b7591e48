// Package claims is the statistical core of the one claims engine: it
// decides whether the runs support, contradict or cannot tell each of the
// paper's claims, and every verdict printed in the reports, figures and
// notebooks comes from here. Formatting stays with the callers.
//
// Why a package of its own: the rule it replaces ("the paper's sign and a
// difference of at least 2 standard errors", a normal z on n = 3 networks)
// over-stated small samples, turned zero-spread groups into infinite z's,
// made no correction for testing many claims, and let round-off decide a
// z of exactly 2 (1.9999999999999993 for {5,6,7} against {4,5,5}). Here
// each claim gets a parametric and an assumption-free test, the larger p
// decides (DecidingTest), Holm corrects over the family, and every
// comparison that can tie is done in exact arithmetic. Method states the
// rule in one paragraph for the report.
//
// The exact permutation and signed-rank tests are enumerated here by hand
// because no well-kept Go library provides them; gonum supplies the
// distributions (Student's t, the noncentral t for power, the normal) and
// the descriptive statistics.
package claims
