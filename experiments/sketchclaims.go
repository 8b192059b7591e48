package experiments

import "slices"

// SketchFamily is the Holm family of the sketch's claims (issue 22): what
// the sketch this package started from says that the paper does not. They
// are corrected apart from the paper's claims, so that testing the sketch
// never makes a claim of the paper harder to support; each row's Where
// says "the sketch's claim, not the paper's".
const SketchFamily = "The sketch's claims"

// SketchWhere is the Where of a sketch claim drawn by figure id.
func SketchWhere(id string) string { return "the sketch's claim, not the paper's (" + id + ")" }

func init() {
	if !slices.Contains(Families, SketchFamily) {
		Families = append(Families, SketchFamily)
	}
}
