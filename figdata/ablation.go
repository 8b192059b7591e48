package figdata

import (
	"image/color"

	"github.com/cbrnn/cbrnn/analysis"
	"github.com/cbrnn/cbrnn/plots"
)

// Ablation is Fig 5's data: the CB ablation of each task's CB-RNN runs at
// every shared N, and the t-SNE of the first network's final hidden states
// at the highest shared N, as `cbrnn figures` computed them.
type Ablation struct {
	Studies    []AblationData
	Embeddings []Embedding // one per study with a shared N, in task order
	// CheckpointNs are the Ns each run checkpointed, by run directory.
	CheckpointNs map[string][]int
}

// AblationData is one task's ablation (experiments.AblationStudy without
// its trials): WithCB[k][j] and NoCB[k][j] are network k's accuracy (%) at
// Ns[j]; Baseline[k][j] a baseline network's at BaselineNs[j].
type AblationData struct {
	Task           string
	Ns, BaselineNs []int
	Nets           []string
	WithCB, NoCB   [][]float64
	Baseline       [][]float64
	BatchesPerN, B int
	BaselineLabel  string
}

// Embedding is a joint t-SNE of one network's final hidden states with and
// without its CB, on the same trials, with each point's class label.
type Embedding struct {
	Task                string
	Run                 string
	N                   int
	Full, Ablated       [][2]float64
	FullLab, AblatedLab []int32
	Perplexity          float64
	Iterations          int
}

// PerN summarises a [network][N] matrix per N (over the networks that have
// it).
func PerN(m [][]float64, n int) []analysis.Summary {
	out := make([]analysis.Summary, n)
	for j := range out {
		var col []float64
		for _, row := range m {
			if j < len(row) {
				col = append(col, row[j])
			}
		}
		out[j] = analysis.Summarise(col)
	}
	return out
}

// PerNet is each network's mean over its Ns.
func PerNet(m [][]float64) []float64 {
	out := make([]float64, len(m))
	for k, row := range m {
		out[k] = analysis.Summarise(row).Mean
	}
	return out
}

// The authors' class colours of the t-SNE panels.
var (
	ColorClass0 = color.RGBA{R: 0xff, G: 0xa5, B: 0x00, A: 0xff} // orange
	ColorClass1 = color.RGBA{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}
)

// ClassSets splits embedded points by label, in the authors' class
// colours (labels other than 0 and 1 are left out).
func ClassSets(pts [][2]float64, lab []int32) []plots.PointSet {
	sets := []plots.PointSet{{Label: "label 0", Color: ColorClass0}, {Label: "label 1", Color: ColorClass1}}
	for i, pt := range pts {
		k := int(lab[i])
		if k < 0 || k > 1 {
			continue
		}
		sets[k].X, sets[k].Y = append(sets[k].X, pt[0]), append(sets[k].Y, pt[1])
	}
	return sets
}
