package experiments

import "github.com/cbrnn/cbrnn/figdata"

// The claims file, paper/claims.json, is what the claims engine decided for
// one profile, written by `cbrnn figures` next to paper/results.md. Its
// record and reader live in figdata, which the notebooks read without
// GoMLX.

// ClaimRecord is one row of the claims table, as written to the claims file.
type ClaimRecord = figdata.ClaimRecord

// ClaimsPath is where the claims file of an output folder lives.
func ClaimsPath(out string) string { return figdata.ClaimsPath(out) }

// ClaimsPathOf is figdata.ClaimsPathOf: profile p's claims file under out,
// paper/<p.Dir>/claims.json in the repository itself.
func ClaimsPathOf(out, root string, p Profile) string { return figdata.ClaimsPathOf(out, root, p) }

// ReadClaims reads a claims file; a missing or damaged one is an error that
// names the file and says how to make it.
func ReadClaims(path string) ([]ClaimRecord, error) { return figdata.ReadClaims(path) }

// WriteClaims writes a claims file atomically.
func WriteClaims(path string, rs []ClaimRecord) error { return figdata.WriteClaims(path, rs) }

// ReportProfile is the profile named by the report beside a claims file
// ("" when none says).
func ReportProfile(claims string) string { return figdata.ReportProfile(claims) }

// ClaimsOf are the records whose evidence a figure draws (figdata.ClaimsOf).
func ClaimsOf(rs []ClaimRecord, figure string) []ClaimRecord { return figdata.ClaimsOf(rs, figure) }
