package experiments

// SketchFamily is the Holm family of the sketch's claims (issue 22): what
// the sketch this package started from says that the paper does not. They
// are corrected apart from the paper's claims (Families lists it), so that
// testing the sketch never makes a claim of the paper harder to support;
// each row's Where says "the sketch's claim, not the paper's" (SketchWhere).
const SketchFamily = "The sketch's claims"
