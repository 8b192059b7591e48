package figdata

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The environment variables that place the repository and the outputs
// (env lists them with the others, in its table of variables).
const (
	RootVar    = "CBRNN_ROOT"
	OutVar     = "CBRNN_OUT"
	ProfileVar = "CBRNN_PROFILE"
)

// FindOut returns dir if given, else $CBRNN_OUT, as an absolute path; ""
// when neither is set (outputs then go into the repository).
func FindOut(dir string) (string, error) {
	if dir == "" {
		dir = strings.TrimSpace(os.Getenv(OutVar))
	}
	if dir == "" {
		return "", nil
	}
	return filepath.Abs(dir)
}

// FindRoot returns dir if given, else $CBRNN_ROOT, else the nearest
// directory upwards from the working directory, or from the running binary
// (a built bin/cbrnn finds the repository it was built in), that holds this
// module's go.mod.
func FindRoot(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	if r := os.Getenv(RootVar); r != "" {
		return filepath.Abs(r)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	starts := []string{wd}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && containsModule(b) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("cannot find the cbrnn repository above %s (set %s)", wd, RootVar)
}

func containsModule(gomod []byte) bool {
	const want = "module github.com/cbrnn/cbrnn\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}

// ProfileSubdir is the subfolder of figures/ and paper/ that holds profile
// p's figures and report under the output folder out: p.Dir when out is
// the repository root itself, where quick's committed figures/ and
// paper/results.md must not be overwritten by another profile, else "" (an
// output folder of one's own keeps the flat layout).
func ProfileSubdir(out, root string, p Profile) string {
	if filepath.Clean(out) == filepath.Clean(root) {
		return p.Dir
	}
	return ""
}

// ClaimsPathOf is profile p's claims file under out: paper/claims.json, or
// paper/<p.Dir>/claims.json in the repository (ProfileSubdir).
func ClaimsPathOf(out, root string, p Profile) string {
	return filepath.Join(out, "paper", ProfileSubdir(out, root, p), "claims.json")
}

// FiguresDirOf is where profile p's figures go under out: figures/, or
// figures/<p.Dir>/ in the repository (ProfileSubdir).
func FiguresDirOf(out, root string, p Profile) string {
	return filepath.Join(out, "figures", ProfileSubdir(out, root, p))
}
