package experiments

import (
	"image/color"
	"path/filepath"
	"strings"

	"github.com/cbrnn/cbrnn/figdata"
)

// SaveFigData saves the data figure id computed at profile p from the
// cohorts all (figdata.Save, under the output folder), for the figure's
// notebook to read back instead of computing it again. Only data of the
// output folder's cached runs is saved: a figure drawn from given runs
// (FigureFromRuns, imported runs) is not the profile's figure.
func (e *Env) SaveFigData(id string, p Profile, all [][][]*Cohort, v any) error {
	runs := filepath.Join(e.OutDir(), "runs") + string(filepath.Separator)
	var dirs []string
	for _, byTask := range all {
		for _, byGroup := range byTask {
			for _, c := range byGroup {
				for _, d := range c.Dirs {
					if abs, err := filepath.Abs(d.Path); err != nil || !strings.HasPrefix(abs, runs) {
						return nil
					}
					dirs = append(dirs, d.Path)
				}
			}
		}
	}
	return figdata.Save(e.OutDir(), id, p.Name, dirs, v)
}

// CohortsData are the cohorts a figure was drawn from as figure data
// (figdata.Cohorts): every figure saves them when `cbrnn figures` draws
// it (Draw), for its notebook.
func CohortsData(all [][][]*Cohort) (figdata.Cohorts, error) {
	var out figdata.Cohorts
	for _, byTask := range all {
		var need [][]figdata.Cohort
		for _, byGroup := range byTask {
			var row []figdata.Cohort
			for _, c := range byGroup {
				m, err := ModelConfig(c.Group, c.Task)
				if err != nil {
					return out, err
				}
				v := figdata.Cohort{Task: c.Task.Name, Heads: c.Task.HeadNames, Label: c.Label, GroupLabel: c.Group.Label, Model: m.Describe(), ModelName: c.Group.Model, Regime: c.Group.Regime, Curriculum: c.Group.Curriculum,
					Params: c.Params, Budget: c.Budget, Curves: c.Curves}
				if col, ok := c.Group.Colour().(color.RGBA); ok {
					v.Color = col
				} else {
					r, g, b, a := c.Group.Colour().RGBA()
					v.Color = color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
				}
				for _, d := range c.Dirs {
					v.Dirs = append(v.Dirs, d.Path)
				}
				row = append(row, v)
			}
			need = append(need, row)
		}
		out.Needs = append(out.Needs, need)
	}
	return out, nil
}

// cohortsData are cohorts as figure data (CohortsData of one need, one
// task).
func cohortsData(cs []*Cohort) ([]figdata.Cohort, error) {
	d, err := CohortsData([][][]*Cohort{{cs}})
	if err != nil {
		return nil, err
	}
	return d.Needs[0][0], nil
}
