package analysis

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/cbrnn/cbrnn/internal/pytorchtest"
)

// requireSklearn skips t (or, with CBRNN_REQUIRE_TORCH=1, as `make test`
// and CI set, fails it) when Debian's python3-sklearn is missing
// (`scripts/setup.sh --with-torch` installs it).
func requireSklearn(t *testing.T) {
	t.Helper()
	sklearnOnce.Do(func() {
		out, err := exec.Command(pytorchtest.Python, "-c", "import sklearn; print(sklearn.__version__)").CombinedOutput()
		if err != nil {
			sklearnMissing = fmt.Errorf("scikit-learn is not available at %s (scripts/setup.sh --with-torch installs python3-sklearn): %v %s", pytorchtest.Python, err, out)
		}
	})
	if sklearnMissing != nil {
		if os.Getenv(pytorchtest.RequireEnv) == "1" {
			t.Fatal(sklearnMissing)
		}
		t.Skip(sklearnMissing)
	}
}

var (
	sklearnOnce    sync.Once
	sklearnMissing error
)

// sklearnTSNE embeds data.csv with sklearn's Barnes–Hut t-SNE and reports
// its KL divergence and the trustworthiness (k = 5) of its embedding and
// of ours (ours.csv).
const sklearnTSNE = `
import json, sys
import numpy as np
import sklearn
from sklearn.manifold import TSNE, trustworthiness
d = sys.argv[1]
x = np.loadtxt(d + "/data.csv", delimiter=",")
ours = np.loadtxt(d + "/ours.csv", delimiter=",")
t = TSNE(n_components=2, method="barnes_hut", perplexity=30, random_state=0,
         init="pca", learning_rate="auto", angle=0.5, early_exaggeration=12.0)
y = t.fit_transform(x)
print(json.dumps({
    "version": sklearn.__version__,
    "kl": float(t.kl_divergence_),
    "iterations": int(t.n_iter_),
    "trust": float(trustworthiness(x, y, n_neighbors=5)),
    "trust_ours": float(trustworthiness(x, ours, n_neighbors=5)),
}))
`

// clusters returns c Gaussian clusters of m points in d dimensions, centres
// drawn with SD sep, unit noise.
func clusters(c, m, d int, sep float64, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	var x [][]float64
	for range c {
		centre := make([]float64, d)
		for j := range centre {
			centre[j] = sep * r.NormFloat64()
		}
		for range m {
			row := make([]float64, d)
			for j := range row {
				row[j] = centre[j] + r.NormFloat64()
			}
			x = append(x, row)
		}
	}
	return x
}

func writeCSV(t *testing.T, path string, rows [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func formatRow(v []float64) []string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return s
}

// TestTSNEMatchesSklearn embeds 800 points of 30 dimensions in five
// overlapping Gaussian clusters with sklearn's settings (perplexity 30,
// PCA start, automatic learning rate, θ = 0.5) here and in scikit-learn,
// and requires a final KL divergence of at most 1.1 × sklearn's + 0.05 and
// a trustworthiness (k = 5, computed by sklearn for both) within 0.02 of
// sklearn's.
func TestTSNEMatchesSklearn(t *testing.T) {
	requireSklearn(t)
	x := clusters(5, 160, 30, 0.8, 11)
	o := DefaultTSNE(len(x))
	o.Standardise = false // sklearn's TSNE does not standardise
	r, err := embedTSNE(context.Background(), x, o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var data, ours [][]string
	for i, row := range x {
		data = append(data, formatRow(row))
		ours = append(ours, formatRow(r.y[i][:]))
	}
	writeCSV(t, filepath.Join(dir, "data.csv"), data)
	writeCSV(t, filepath.Join(dir, "ours.csv"), ours)
	out, err := exec.Command(pytorchtest.Python, "-c", sklearnTSNE, dir).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("sklearn: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var sk struct {
		Version    string
		KL         float64
		Iterations int
		Trust      float64
		TrustOurs  float64 `json:"trust_ours"`
	}
	if err := json.Unmarshal(out, &sk); err != nil {
		t.Fatalf("sklearn's output %q: %v", out, err)
	}
	t.Logf("sklearn %s: KL %.4f after %d iterations, trustworthiness %.4f; ours: KL %.4f after %d, trustworthiness %.4f",
		sk.Version, sk.KL, sk.Iterations, sk.Trust, r.kl, r.iterations, sk.TrustOurs)
	if r.kl > 1.1*sk.KL+0.05 {
		t.Errorf("KL divergence %.4f, sklearn's %.4f: want ≤ 1.1 × sklearn's + 0.05", r.kl, sk.KL)
	}
	if d := sk.TrustOurs - sk.Trust; d < -0.02 || d > 0.02 {
		t.Errorf("trustworthiness %.4f, sklearn's %.4f: want within 0.02", sk.TrustOurs, sk.Trust)
	}
}
