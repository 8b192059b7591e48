package claims_test

import (
	"fmt"

	"github.com/cbrnn/cbrnn/claims"
)

// Two groups of five networks, the claim that A learns faster (a larger
// AUC), judged alone (a family of one).
func Example() {
	family := []claims.Comparison{{
		Name:      "A learns faster than B",
		A:         []float64{761, 748, 770, 755, 766},
		B:         []float64{646, 652, 640, 661, 649},
		Direction: claims.Greater,
	}}
	rs, err := claims.Evaluate(family, claims.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := rs[0]
	fmt.Printf("%s: %v\n", r.Name, r.Verdict)
	fmt.Printf("Welch t = %.2f, df = %.2f, p = %.2g\n", r.Parametric.Statistic, r.Parametric.DF, r.Parametric.P)
	fmt.Printf("%s: p = %.4f\n", r.Exact.Name, r.Exact.P)
	fmt.Printf("decided by the %s, Holm-adjusted p = %.4f\n", r.DecidedBy, r.AdjustedP)
	fmt.Printf("difference %.1f, Hedges' g = %.1f [%.1f, %.1f]\n", r.Effect.Diff, r.Effect.G, r.Effect.GCI.Lo, r.Effect.GCI.Hi)
	// Output:
	// A learns faster than B: supported
	// Welch t = 21.11, df = 7.89, p = 3.2e-08
	// exact permutation (all 252 relabellings): p = 0.0079
	// decided by the exact permutation (all 252 relabellings), Holm-adjusted p = 0.0079
	// difference 110.4, Hedges' g = 12.0 [6.7, 17.4]
}
