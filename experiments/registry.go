package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cbrnn/cbrnn/figdata"

	"github.com/cbrnn/cbrnn/internal/suggest"

	"gonum.org/v1/plot"

	"github.com/cbrnn/cbrnn/plots"
	"github.com/cbrnn/cbrnn/rundir"
)

// Result is what one figure produced.
type Result struct {
	ID       string
	Title    string
	PNGs     []string // absolute paths
	SVGs     []string
	Markdown string // tables and numbers, for paper/results.md
	// Claims are the paper's claims this figure's numbers test (claims.go).
	Claims []Claim
}

// FigureSpec is one entry of the catalogue (METHODS §5): the cohorts it needs,
// and how it draws them. Declaring the needs lets Plan train every figure's
// runs at once, in the largest ensembles. A figure is registered once
// (Register); every list of figures — IDs, the order `cbrnn figures` and
// reproduce.sh draw in, RunFigureIDs, the index of notebooks/README.md —
// derives from the registry.
type FigureSpec struct {
	ID    string
	Title string
	Needs []Need
	// Draw draws the figure from cs[need][task][group], the cohorts of
	// Needs in their order.
	Draw func(ctx context.Context, e *Env, p Profile, cs [][][]*Cohort) (*Drawing, error)
	// FromRuns: the figure analyses trained networks rather than comparing
	// learning curves at a fixed budget, so FigureFromRuns can draw it from
	// any runs (`cbrnn figures --runs`).
	FromRuns bool
	// TasksAt, when set, chooses need i's tasks per profile, a subset of
	// its Tasks (the learning-rate sweep is DMS alone at quick); Tasks then
	// lists every task a profile may ask for.
	TasksAt func(p Profile, need int) []string
	// Shows is what its notebook shows of this figure: its part of the
	// notebook's row in the index of notebooks/README.md (NotebookRow).
	Shows string
	// Notebook names the notebook that tells the figure,
	// notebooks/<Notebook>.ipynb; "" means the figure's ID. Several
	// figures told by one notebook (the sketch's, notebooks/seed.ipynb)
	// share it: one notebook, one row, one thumbnail (of its first figure).
	Notebook string
}

// NotebookName is the notebook that tells figure f (FigureSpec.Notebook,
// else its ID).
func NotebookName(f FigureSpec) string {
	if f.Notebook != "" {
		return f.Notebook
	}
	return f.ID
}

// FigureNotebooks lists the notebooks of the registered figures, each once,
// in the order of their first figure in the registry: the figure rows of
// notebooks/README.md's index.
func FigureNotebooks() []string {
	var out []string
	for _, f := range registry {
		if n := NotebookName(f); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Need is a set of groups trained on a set of tasks at one budget. A budget
// of 0 under a profile means that profile trains none of it (Draw then gets
// no cohorts for it): how a figure leaves a task out of a small profile.
type Need struct {
	Tasks  []string
	Groups []Group
	Epochs func(Profile) int
}

// Drawing is a figure before it is saved: panels in rows (or a table), and
// text.
type Drawing struct {
	Rows     [][]*plot.Plot
	W, H     float64 // inches
	Table    *plots.TableFigure
	Markdown string
	Claims   []Claim
}

// NeedTasks are need i's tasks under a profile (FigureSpec.TasksAt).
func (f FigureSpec) NeedTasks(p Profile, i int) []string {
	if f.TasksAt != nil {
		return f.TasksAt(p, i)
	}
	return f.Needs[i].Tasks
}

func mainBudget(p Profile) int   { return p.Epochs }
func gruBudget(p Profile) int    { return p.EpochsGRU }
func switchBudget(p Profile) int { return p.EpochsSwitch }

// MainBudget is the epoch budget of the paper's single-task figures
// (Profile.Epochs), for a Need.
func MainBudget(p Profile) int { return mainBudget(p) }

var (
	singleTasks = []string{"dms", "parity"}
	fig4Groups  = []Group{CBRNN, FrozenCoreGroup, PeriodicCoreGroup, RNNMatched}
)

// largeCB is the CB-RNN with G = 512 of the authors' "GC=256 vs GC=512"
// comparison (appendix G), the Fig 2b scaling point.
func largeCB() Group {
	cb, _ := ScalingGroups(512)
	return cb
}

func scalingGroups() []Group {
	var groups []Group
	for _, gc := range ScalingGCs {
		cb, rnn := ScalingGroups(gc)
		groups = append(groups, cb, rnn)
	}
	return groups
}

// scalingTasks are the tasks of the scaling comparisons under a profile
// (Profile.ScalingTasks; DMS and parity when it names none): Fig 2b's
// pairs and appendix G's G = 512 with its G = 256 and Frozen-core
// columns, for FigureSpec.TasksAt.
func scalingTasks(p Profile, _ int) []string {
	if len(p.ScalingTasks) == 0 {
		return singleTasks
	}
	return p.ScalingTasks
}

// catalogue is the paper's figures in the paper's order, then the regimes
// the paper does not show (regimes.go). It is the one list of figures.
func catalogue() []FigureSpec {
	cbVsRNN := []Group{CBRNN, RNNMatched}
	return []FigureSpec{
		{ID: "fig2a", Title: "Learning curves: CB-RNN vs parameter-matched RNN", Draw: fig2a,
			Needs: []Need{{singleTasks, cbVsRNN, mainBudget}},
			Shows: "learning curves of the CB-RNN and the parameter-matched RNN on N-DMS and N-parity, their metrics and the paper's"},
		{ID: "fig2b", Title: "AUC vs trainable parameters: four matched CB/RNN pairs", Draw: fig2b,
			Needs: []Need{{singleTasks, scalingGroups(), mainBudget}}, TasksAt: scalingTasks,
			Shows: "AUC against trainable parameters for four matched CB-RNN/RNN pairs"},
		{ID: "fig3", Title: "Multitask and task switching", Draw: fig3,
			Needs: []Need{{[]string{"multitask"}, cbVsRNN, mainBudget}, {[]string{"switch"}, cbVsRNN, switchBudget}},
			Shows: "multitask and task switching: N progression and switching metrics, CB-RNN against RNN"},
		{ID: "fig4", Title: "Frozen-core and Periodic-core vs CB-RNN vs RNN", Draw: fig4,
			Needs: []Need{{[]string{"dms", "parity", "multitask"}, fig4Groups, mainBudget}, {[]string{"switch"}, fig4Groups, switchBudget}},
			Shows: "Frozen-core and Periodic-core against the CB-RNN and the RNN: single tasks, multitask, switching"},
		{ID: "fig5", Title: "CB ablation: accuracy with and without the CB, and t-SNE of the final hidden states", Draw: fig5, FromRuns: true,
			Needs: []Need{{singleTasks, cbVsRNN, mainBudget}},
			Shows: "the CB ablation at every shared N, per network, and the t-SNE of the final hidden states"},
		{ID: "fig6", Title: "Mechanisms: DMS memory propagation and parity CB encoding", Draw: fig6,
			Needs: []Need{{singleTasks, cbVsRNN, mainBudget}},
			Shows: "mechanisms: DMS memory propagation through the core's Jacobian, parity carried by the CB term"},
		{ID: "appB", Title: "Appendix B: parameter matching", Draw: appB,
			Shows: "parameter matching: every network's count and its matched baseline, against the paper's"},
		{ID: "appC", Title: "Appendix C: GRU with and without CB", Draw: appC,
			Needs: []Need{{singleTasks, []Group{GRUCB, GRUMatched}, gruBudget}},
			Shows: "a GRU with the cerebellar module against the matched GRU"},
		{ID: "appG", Title: "Appendix G: PCA dimensionality and timescales per module", Draw: appG, FromRuns: true,
			Needs: []Need{{singleTasks, []Group{CBRNN, FrozenCoreGroup, largeCB()}, mainBudget}}, TasksAt: scalingTasks,
			Shows: "PCA dimensionality and timescales of each module against N: full, Frozen-core, 512 granule cells"},
		{ID: "appH", Title: "Appendix H: readout recovery after CB removal", Draw: appH, FromRuns: true,
			Needs: []Need{{singleTasks, []Group{CBRNN}, mainBudget}},
			Shows: "readout recovery after removing the cerebellum, with the protocol's controls"},
		{ID: "table4", Title: "Table 4: learning metrics", Draw: table4,
			Needs: []Need{{singleTasks, fig4Groups, mainBudget}},
			Shows: "Table 4: the learning metrics of the four groups next to the paper's"},
		{ID: "continual", Title: "Continual learning with savings (plan DMS → parity → DMS)", Draw: continualFig,
			Needs: []Need{{[]string{"switch"}, ContinualGroups, continualBudget}},
			Shows: "continual learning: DMS, parity, DMS again, and how much sooner DMS is relearned (savings)"},
		{ID: "curricula", Title: "Fixed-schedule, cumulative and sliding curricula", Draw: curriculaFig,
			Needs: []Need{{singleTasks, cbVsRNN, mainBudget}, {singleTasks, FixedScheduleGroups, extraBudget}, {multiNTasks, MultiHeadGroups, extraBudget}},
			Shows: "the fixed-schedule, cumulative and sliding curricula against the standard one"},
		{ID: "controls", Title: "Controls: an auxiliary RNN in the CB's place, and a compressed CB", Draw: controlsFig,
			Needs: []Need{{singleTasks, cbVsRNN, mainBudget}, {singleTasks, []Group{AuxRNN, AuxRNNCoreLR, CBCompress}, Profile.ControlsBudget}},
			Shows: "controls: a small RNN in the cerebellum's place (at the shared lr and with the core at lr 0.001), and a cerebellum behind a bottleneck"},
		{ID: "fixedn", Title: "Fixed-N control: DMS at N = 5 without a curriculum", Draw: fixedNFig,
			Needs: []Need{{[]string{"dms"}, FixedNGroups, fixedNBudget}},
			Shows: "the fixed-N control: CB-RNN and RNN trained at DMS N = 5 from the start, no curriculum; epochs to solve"},
		{ID: "lrsweep", Title: "Learning-rate sweep: CB-RNN and RNN at lr 0.003, 0.01 and 0.03", Draw: lrSweepFig,
			Needs: []Need{{singleTasks, cbVsRNN, mainBudget}, {singleTasks, SweepGroups(), sweepBudget}}, TasksAt: sweepTasks,
			Shows: "a learning-rate sweep: AUC and max N against lr for the CB-RNN and the RNN, the advantage at each lr and at each one's best"},
		{ID: "oddball", Title: "The volatility oddball: CB-RNN vs RNN and Frozen-core", Draw: oddballFig,
			Needs: []Need{{[]string{"oddball"}, OddballGroups, oddballBudget}},
			Shows: "the volatility oddball task as the authors trained it: CB-RNN against the matched RNN and Frozen-core"},
	}
}

// registry holds the registered figures in registration order (the
// catalogue's, then any Register adds).
var registry []FigureSpec

func init() {
	for _, f := range catalogue() {
		Register(f)
	}
}

// Register adds a figure to the catalogue, after those already there. It
// panics on an empty or duplicate id or a figure that cannot draw, as
// registering is done from init functions where a mistake is a bug.
func Register(f FigureSpec) {
	switch {
	case f.ID == "" || strings.ContainsAny(f.ID, " \t\n/"):
		panic(fmt.Sprintf("experiments.Register: bad figure id %q", f.ID))
	case f.Draw == nil:
		panic(fmt.Sprintf("experiments.Register: figure %s has no Draw", f.ID))
	}
	if _, ok := lookup(f.ID); ok {
		panic(fmt.Sprintf("experiments.Register: figure %s registered twice", f.ID))
	}
	registry = append(registry, f)
}

func lookup(id string) (FigureSpec, bool) {
	for _, f := range registry {
		if f.ID == id {
			return f, true
		}
	}
	return FigureSpec{}, false
}

// LookupFigure returns the registered figure id, or an error that names the
// known ones and the closest to id.
func LookupFigure(id string) (FigureSpec, error) {
	if f, ok := lookup(id); ok {
		return f, nil
	}
	return FigureSpec{}, unknownFigure(id)
}

// Figures lists the registered figures in the paper's order.
func Figures() []FigureSpec { return append([]FigureSpec(nil), registry...) }

// IDs lists the figure ids in the paper's order: the order `cbrnn figures`
// (and so reproduce.sh) draws them in.
func IDs() []string {
	ids := make([]string, len(registry))
	for i, f := range registry {
		ids[i] = f.ID
	}
	return ids
}

// RunFigureIDs are the figures FigureFromRuns draws (FigureSpec.FromRuns), in
// the paper's order.
func RunFigureIDs() []string {
	var ids []string
	for _, f := range registry {
		if f.FromRuns {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// NonFigureNotebooks are the notebooks of notebooks/ that belong to no
// figure, in the order of notebooks/README.md's index, which lists them first.
var NonFigureNotebooks = []string{"explore", "new_task", "models"}

// NotebookRow is the row of figure f's notebook in the index of
// notebooks/README.md: what it shows is the Shows of every figure it
// tells, in registry order, joined by "; ".
func NotebookRow(f FigureSpec) string {
	name := NotebookName(f)
	var shows []string
	for _, g := range registry {
		if NotebookName(g) == name {
			shows = append(shows, g.Shows)
		}
	}
	if len(shows) == 0 { // f not registered
		shows = []string{f.Shows}
	}
	return fmt.Sprintf("| [`%[1]s.ipynb`](%[1]s.ipynb) | %[2]s | <img src=\"thumbs/%[1]s.png\" width=\"240\"> |", name, strings.Join(shows, "; "))
}

// unknownFigure is the one error for a figure id nobody registered: the
// known ids, and the nearest when one is near.
func unknownFigure(id string) error { return suggest.Unknown("figure", id, IDs()) }

// Figure trains (or loads) what figure id needs under the profile, draws it
// into figures/ (Env.FiguresDirOf), and returns what it wrote.
func Figure(ctx context.Context, id string, opt Options) (*Result, error) {
	e, err := Open(ctx, opt)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	p, err := LookupProfile(opt.Profile)
	if err != nil {
		return nil, err
	}
	return e.Figure(ctx, id, p)
}

// Figure draws one figure with this Env, training what it needs first.
func (e *Env) Figure(ctx context.Context, id string, p Profile) (*Result, error) {
	f, err := LookupFigure(id)
	if err != nil {
		return nil, err
	}
	var cs [][][]*Cohort
	for i, n := range f.Needs {
		if n.Epochs(p) <= 0 {
			cs = append(cs, nil) // this profile trains nothing of this need
			continue
		}
		c, err := e.cohorts(ctx, p, f.NeedTasks(p, i), n.Groups, n.Epochs(p))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		cs = append(cs, c)
	}
	return e.Draw(ctx, id, p, cs)
}

// Draw draws figure id from cohorts already at hand and saves it into the
// figures folder: cs[need][task][group] in the order of the figure's needs
// (FigureNeeds), so a caller can draw a figure from any run directories
// (CohortFromDirs) instead of the cached runs of a profile.
func (e *Env) Draw(ctx context.Context, id string, p Profile, cs [][][]*Cohort) (*Result, error) {
	f, err := LookupFigure(id)
	if err != nil {
		return nil, err
	}
	d, err := f.Draw(ctx, e, p, cs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	// The figure's runs, for its notebook (nb.FigData; figdata.Cohorts).
	data, err := CohortsData(cs)
	if err == nil {
		err = e.SaveFigData(figdata.CohortsID(id), p, cs, data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: figure data: %w", id, err)
	}
	return d.Save(e.FiguresDirOf(p), f)
}

// Save writes the drawing of figure f into dir as <id>.png, <id>.svg and,
// when it has text, <id>.md headed by the figure's title.
func (d *Drawing) Save(dir string, f FigureSpec) (*Result, error) {
	res := &Result{ID: f.ID, Title: f.Title, Markdown: d.Markdown}
	for _, c := range d.Claims {
		if c.Figure == "" {
			c.Figure = f.ID
		}
		res.Claims = append(res.Claims, c)
	}
	var img any = d.Table
	if d.Table == nil {
		img = plots.Grid(d.Rows, d.W, d.H)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, f.ID)
	if err := plots.Save(img, base); err != nil {
		return nil, err
	}
	res.PNGs, res.SVGs = []string{base + ".png"}, []string{base + ".svg"}
	if d.Markdown != "" {
		if err := writeText(base+".md", "# "+f.Title+"\n\n"+d.Markdown); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// FigureNeeds describes what a figure draws: per need, its tasks and its
// groups (the shape Draw expects).
func FigureNeeds(id string) (tasks [][]string, groups [][]Group, err error) {
	f, err := LookupFigure(id)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range f.Needs {
		tasks, groups = append(tasks, n.Tasks), append(groups, n.Groups)
	}
	return tasks, groups, nil
}

// writeText writes a text file atomically.
func writeText(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(path, []byte(text), 0o644)
}

// Plan trains every run the figures need, all at once, so that runs of the
// same shape share ensembles across figures.
func (e *Env) Plan(ctx context.Context, p Profile, ids []string) error {
	cfgs, err := e.Needs(ctx, p, ids)
	if err != nil {
		return err
	}
	_, err = e.Ensure(ctx, cfgs)
	return err
}
