package experiments

// SketchFamily is the Holm family of the sketch's claims (issue 22): what
// the sketch this package started from says, tested apart from the paper's
// claims so that checking it never makes a claim of the paper harder to
// support.
const SketchFamily = "The sketch's claims"
