package authors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"github.com/cbrnn/cbrnn/internal/torchio"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/safetensors"
	"github.com/cbrnn/cbrnn/trainer"
)

// maxConfigBytes bounds their config.json (a few kB).
const maxConfigBytes = 16 << 20

// ImportRun turns one of their run folders into a cbrnn run directory at
// dst: config.json (a trainer.Config), stats.jsonl (one line per epoch of
// stats.npy), checkpoints/N%03d.safetensors (every rnn_N{n}_N{n}),
// authors.json (the Report) and done.json. The directory is assembled
// beside dst and renamed into place at the end, so dst holds a whole import
// or nothing; dst must not exist. Cancelling ctx stops the import and
// removes what it had assembled; staging folders of imports that died are
// swept. Their single-task curricula are read (single, single_nocurr,
// reservoir/alternating); multitask, switching, continual, fixed-schedule
// and multi-head curricula, and older networks cbrnn has no model for,
// give an error.
func ImportRun(ctx context.Context, src, dst string) (*Report, error) {
	if err := refuseExisting(dst); err != nil {
		return nil, err
	}
	raw, top, err := readAuthorsConfig(src)
	if err != nil {
		return nil, err
	}
	rep := newReport(src, raw)
	cfg, err := readConfig(top, rep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(src, authorsConfig), err)
	}
	cks, err := listCheckpoints(src, cfg, rep)
	if err != nil {
		return nil, err
	}
	lines, err := readStats(filepath.Join(src, authorsStats), cfg.Threshold, solvedSet(cks), rep)
	if err != nil {
		return nil, err
	}
	if err := checkSolved(src, lines, cks, rep); err != nil {
		return nil, err
	}
	if err := assemble(ctx, src, dst, cfg, cks, lines, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func refuseExisting(dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists; choose a new --out (an import never overwrites a run)", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// readAuthorsConfig reads their config.json: verbatim, and by section.
func readAuthorsConfig(src string) ([]byte, map[string]json.RawMessage, error) {
	path := filepath.Join(src, authorsConfig)
	raw, err := torchio.ReadRegular(path, maxConfigBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s is not one of the authors' run folders: %w", src, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return raw, top, nil
}

func newReport(src string, raw []byte) *Report {
	return &Report{Source: src, AuthorsConfig: json.RawMessage(raw), Mapped: map[string]string{}, Unmapped: map[string]any{},
		StatsKeys: map[string]string{}, Checkpoints: map[string]int{}, Skipped: map[string]string{}, Warnings: []string{}}
}

// ckpt is one of their checkpoints: its file and the N it solved.
type ckpt struct {
	file string
	n    int
}

// listCheckpoints lists every rnn_N{n}_N{n} of src, sorted by N, skipping
// the untrained networks (rnn_init, and the N=start checkpoint that
// training/reservoir.py writes before phase 0 trains).
func listCheckpoints(src string, cfg trainer.Config, rep *Report) ([]ckpt, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	var cks []ckpt
	for _, e := range entries {
		m := checkpointRE.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			if e.Name() == "rnn_init" || e.Name() == "rnn_init.pt" {
				rep.Skipped[e.Name()] = "the initial network (cbrnn keeps checkpoints of solved Ns only)"
			}
			continue
		}
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		switch {
		case a != b:
			return nil, fmt.Errorf("%s: a checkpoint of heads for N=%d…%d (a multi-head curriculum), which cbrnn does not import", filepath.Join(src, e.Name()), a, b)
		case (cfg.Regime == trainer.FrozenCore || cfg.Regime == trainer.PeriodicCore) && a == cfg.StartN:
			// training/reservoir.py saves rnn_N{start}_N{start} before phase 0
			// trains and never overwrites it: it is the untrained network.
			rep.Skipped[e.Name()] = fmt.Sprintf("written by train_reservoir before training (the untrained network), not the one that solved N=%d", a)
			continue
		}
		cks = append(cks, ckpt{e.Name(), a})
	}
	sort.Slice(cks, func(i, j int) bool { return cks[i].n < cks[j].n })
	for i := 1; i < len(cks); i++ {
		if cks[i].n == cks[i-1].n {
			return nil, fmt.Errorf("%s: two checkpoints for N=%d (%s and %s)", src, cks[i].n, cks[i-1].file, cks[i].file)
		}
	}
	return cks, nil
}

func solvedSet(cks []ckpt) map[int]bool {
	out := map[int]bool{}
	for _, c := range cks {
		out[c.n] = true
	}
	return out
}

// checkSolved holds the checkpoints against the stats. Their code writes
// rnn_N{n}_N{n} when the curriculum advances past n, so a checkpoint of an
// N the stats never trained cannot be the run's: it is an error (imported,
// it would make the run "solve" an N it never saw). A checkpoint of an N
// trained but not marked solved (the run stopped at the threshold's edge)
// is kept, with a warning.
func checkSolved(src string, lines []statsLine, cks []ckpt, rep *Report) error {
	trained, solved := map[int]bool{}, map[int]bool{}
	for _, l := range lines {
		trained[l.N] = true
		solved[l.N] = solved[l.N] || l.Solved
	}
	for _, c := range cks {
		switch {
		case !trained[c.n]:
			ns := slices.Sorted(maps.Keys(trained))
			return fmt.Errorf("%s: a checkpoint for N=%d, but %s trains N = %s only: the checkpoint is not this run's (remove it, or import the folder it came from)",
				filepath.Join(src, c.file), c.n, authorsStats, rundir.FormatNs(ns))
		case !solved[c.n]:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s is kept as solved N=%d, but %s does not mark N=%d solved (the next epoch does not train a larger N)", c.file, c.n, authorsStats, c.n))
		}
	}
	return nil
}

// assemble writes the run in a staging folder beside dst and renames it
// into place; on error or cancellation the folder is removed.
func assemble(ctx context.Context, src, dst string, cfg trainer.Config, cks []ckpt, lines []statsLine, rep *Report) error {
	s, err := stage(dst)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			s.discard()
		}
	}()
	d, err := rundir.Create(s.dir, cfg)
	if err != nil {
		return err
	}
	if err := writeCheckpoints(ctx, src, d, cfg, cks, rep); err != nil {
		return err
	}
	if err := writeStats(s.dir, lines); err != nil {
		return err
	}
	rep.Epochs = len(lines)
	if err := writeReport(s.dir, rep); err != nil {
		return err
	}
	if err := markDone(d, src, lines, cks); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import of %s cancelled: %w", src, err)
	}
	if err := s.commit(dst); err != nil {
		return err
	}
	committed = true
	return nil
}

// writeCheckpoints converts each checkpoint, checked strictly against the
// model, to a cbrnn checkpoint; it stops when ctx is cancelled.
func writeCheckpoints(ctx context.Context, src string, d *rundir.Dir, cfg trainer.Config, cks []ckpt, rep *Report) error {
	for _, c := range cks {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("import of %s cancelled: %w", src, err)
		}
		path := filepath.Join(src, c.file)
		ts, err := torchio.ReadCheckpoint(path)
		if err != nil {
			return err
		}
		w, err := Weights(cfg.Model, ts)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		var out []safetensors.Tensor
		for _, p := range cfg.Model.Params() {
			out = append(out, safetensors.Tensor{Name: p.Name, Shape: p.Shape, Data: w[p.Name]})
		}
		if err := d.SaveCheckpoint(c.n, out, map[string]string{"authors_file": c.file}); err != nil {
			return err
		}
		rep.Checkpoints[c.file] = c.n
	}
	return nil
}

// writeStats writes stats.jsonl, one line per epoch.
func writeStats(dir string, lines []statsLine) error {
	var buf []byte
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return fmt.Errorf("encoding stats: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	return rundir.WriteFileAtomic(filepath.Join(dir, rundir.StatsFile), buf, 0o644)
}

// writeReport writes authors.json.
func writeReport(dir string, rep *Report) error {
	rb, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return rundir.WriteFileAtomic(filepath.Join(dir, ReportFile), append(rb, '\n'), 0o644)
}

// markDone writes done.json: where the run came from, its final N and the
// Ns its checkpoints solved.
func markDone(d *rundir.Dir, src string, lines []statsLine, cks []ckpt) error {
	final := 0
	if len(lines) > 0 {
		final = lines[len(lines)-1].N
	}
	return d.MarkDone(map[string]any{"imported_from": src, "epochs": len(lines), "final_n": final, "solved": slices.Sorted(maps.Keys(solvedSet(cks)))})
}
