package experiments

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/costmodel"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

// What it would take: for every row the claims engine left inconclusive,
// the networks per group that 80 % power would need (claims.Need, in the
// record's Need) and the price of training a profile with that many, from
// the cost model (internal/costmodel) on this machine's cores, on a Slurm
// CPU partition and on one GPU. `cbrnn plan` prints it and the report
// carries it under the claims table.

// A PriceBackend is where a profile would train.
type PriceBackend struct {
	Name  string
	Table costmodel.Table
	// MaxK is the most networks of one shape trained in one ensemble (8
	// on the Go backend, 64 on an accelerator, as the Slurm plans use).
	MaxK int
	// Parallel is how many ensembles train at once (one per core on the
	// Go backend); 0 means all at once (an array job on a partition).
	Parallel int
}

// ceilingN is where a run is priced to level off, as the Slurm plans price
// it: Table 4's largest mean max N, rounded up.
const ceilingN = 36

// PriceBackends are the three places a profile is priced on: this
// machine's cores and a Slurm CPU partition with the measured Go-backend
// table (bench/costs/go.json under root), and one GPU with the measured
// table bench/costs/gpu.json when there is one, else METHODS §7's one
// measurement (costmodel.GPUAssumption), marked "assumed, not measured".
func PriceBackends(root string, cores int) ([]PriceBackend, error) {
	goTable, err := costmodel.LoadTable(filepath.Join(root, "bench", "costs", "go.json"))
	if err != nil {
		return nil, fmt.Errorf("pricing: %w (measure one with `cbrnn bench --ensemble 8 --estimate --save-costs bench/costs/go.json`)", err)
	}
	_, hi := paperLengths(ceilingN)
	gpu, gpuName := costmodel.GPUAssumption(hi), "one GPU (H200; assumed, not measured)"
	if t, err := costmodel.LoadTable(filepath.Join(root, "bench", "costs", "gpu.json")); err == nil {
		gpu, gpuName = t, "one GPU ("+t.Backend+", measured)"
	} else if !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
		return nil, err
	}
	return []PriceBackend{
		{Name: fmt.Sprintf("this machine (%d cores, Go backend)", cores), Table: goTable, MaxK: 8, Parallel: max(cores, 1)},
		{Name: "Slurm CPU partition (one core per ensemble, all at once)", Table: goTable, MaxK: 8},
		{Name: gpuName, Table: gpu, MaxK: 64, Parallel: 1},
	}, nil
}

// ProfileCost is the price of training a profile: wall time, and the
// work summed over ensembles (core-hours on a CPU backend).
type ProfileCost struct {
	Wall, Work time.Duration
	Runs       int
}

// PriceProfile prices every cohort the figures need under profile p with n
// networks per group on backend b. Each run is priced as the paper's
// CB-RNN (H = 64, G = 256) at the profile's batches, its N one further
// each epoch up to ceilingN, as the Slurm plans price runs: an estimate
// of the order, not a promise.
func PriceProfile(p Profile, n int, b PriceBackend) (ProfileCost, error) {
	if n < 1 {
		return ProfileCost{}, fmt.Errorf("pricing: %d networks per group", n)
	}
	m, err := gm.Build("cb-rnn", gm.Options{Inputs: 1, Heads: []int{2}})
	if err != nil {
		return ProfileCost{}, err
	}
	params := m.Count().Total
	type cohortKey struct {
		task, label string
		epochs      int
	}
	seen := map[cohortKey]bool{}
	var budgets []int
	for _, f := range Figures() {
		for i, need := range f.Needs {
			for _, t := range f.NeedTasks(p, i) {
				for _, g := range need.Groups {
					k := cohortKey{t, g.Label + g.Model + g.Curriculum, need.Epochs(p)}
					if !seen[k] && k.epochs > 0 {
						seen[k] = true
						budgets = append(budgets, k.epochs)
					}
				}
			}
		}
	}
	priced := map[[2]int]time.Duration{}
	var ensembles []time.Duration
	cost := ProfileCost{}
	for _, epochs := range budgets {
		for left := n; left > 0; left -= b.MaxK {
			k := min(left, b.MaxK)
			key := [2]int{epochs, k}
			d, ok := priced[key]
			if !ok {
				costs, err := b.Table.For(params, k, p.Batch)
				if err != nil {
					return cost, err
				}
				est, err := costs.Run(costmodel.Protocol{Epochs: epochs, Steps: p.Steps, TestSteps: p.TestSteps, Members: k}, paperLengths,
					func(e int) int { return min(2+e, ceilingN, p.MaxN) })
				if err != nil {
					return cost, err
				}
				d = est.Total()
				priced[key] = d
			}
			ensembles = append(ensembles, d)
			cost.Work += d
			cost.Runs += k
		}
	}
	// Longest first onto the least loaded of Parallel slots.
	if b.Parallel == 0 {
		for _, d := range ensembles {
			cost.Wall = max(cost.Wall, d)
		}
		return cost, nil
	}
	cost.Wall = wallLongestFirst(ensembles, b.Parallel)
	return cost, nil
}

// PlanMarkdown is the "what it would take" table: per inconclusive row the
// n for 80 % power at the observed and at the paper's effect (never below
// the exact test's floor), and a profile with that n priced on each
// backend. Rows whose n is out of reach say so.
func PlanMarkdown(p Profile, rs []ClaimRecord, bs []PriceBackend) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "### What it would take\n\n")
	fmt.Fprintf(&b, "For each inconclusive row: the networks per group that 80 %% power would take at Holm's strictest level (α over the family), at the observed effect and at the paper's, and the price of profile `%s` (its budgets and batches) trained with that many networks in every group of every figure. "+
		"Each run is priced as the paper's CB-RNN with N one further each epoch up to %d, from the cost tables: %s. ", p.Name, ceilingN, tableSources(bs))
	b.WriteString("Prices are estimates of the order, not promises.\n\n")
	header := []string{"claim", "n (observed)", "n (paper's effect)"}
	for _, be := range bs {
		header = append(header, be.Name)
	}
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|" + strings.Repeat("---|", len(header)) + "\n")
	cache := map[[2]int]ProfileCost{}
	price := func(n int) ([]string, error) {
		var out []string
		for i, be := range bs {
			key := [2]int{i, n}
			c, ok := cache[key]
			if !ok {
				var err error
				if c, err = PriceProfile(p, n, be); err != nil {
					return nil, err
				}
				cache[key] = c
			}
			cell := costmodel.Human(c.Wall)
			if be.Parallel != 1 {
				cell += fmt.Sprintf(" (%.2g core-h)", c.Work.Hours())
			}
			out = append(out, cell)
		}
		return out, nil
	}
	rows := 0
	for _, r := range rs {
		if r.Verdict != "inconclusive" {
			continue
		}
		obs, paper, floor := ParseNeed(r.Need)
		nObs, nPaper := "out of reach", "–"
		if obs > 0 {
			nObs = fmt.Sprint(obs)
		}
		if paper > 0 {
			nPaper = fmt.Sprint(paper)
		}
		n := obs
		if n == 0 {
			n = paper
		}
		cells := make([]string, len(bs))
		for i := range cells {
			cells[i] = "–"
		}
		if n > 0 {
			var err error
			if cells, err = price(max(n, floor)); err != nil {
				return "", err
			}
			for i := range cells {
				cells[i] = fmt.Sprintf("n = %d: %s", max(n, floor), cells[i])
			}
		}
		fmt.Fprintf(&b, "| %s (`%s`) | %s | %s | %s |\n", cell(r.Claim), r.ID, nObs, nPaper, strings.Join(cells, " | "))
		rows++
	}
	if rows == 0 {
		b.WriteString("| no inconclusive row | | |" + strings.Repeat(" |", len(bs)) + "\n")
	}
	b.WriteString("\n")
	return b.String(), nil
}

func tableSources(bs []PriceBackend) string {
	var parts []string
	seen := map[string]bool{}
	for _, be := range bs {
		if !seen[be.Table.Source] {
			seen[be.Table.Source] = true
			parts = append(parts, fmt.Sprintf("%s — %s", be.Table.Backend, be.Table.Source))
		}
	}
	return strings.Join(parts, "; ")
}

// paperLengths is the sequence-length rule the paper's tasks declare
// (T ∈ {N+2, …, 4N+1}); DMS's declaration stands for all of them, as the
// profile's groups share it.
var paperLengths costmodel.Lengths = tasks.DMS.Desc.TBounds

// wallLongestFirst is the wall time of jobs placed longest first, each on the
// slot that frees first (the order ensembles start in): the longest slot.
// It sorts jobs.
func wallLongestFirst(jobs []time.Duration, slots int) time.Duration {
	sort.Slice(jobs, func(i, j int) bool { return jobs[i] > jobs[j] })
	free := make([]time.Duration, slots)
	for _, d := range jobs {
		i := 0
		for j := range free {
			if free[j] < free[i] {
				i = j
			}
		}
		free[i] += d
	}
	var wall time.Duration
	for _, s := range free {
		wall = max(wall, s)
	}
	return wall
}
