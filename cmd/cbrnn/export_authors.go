package main

import (
	"github.com/cbrnn/cbrnn/internal/authors"
	"github.com/cbrnn/cbrnn/rundir"
	"github.com/cbrnn/cbrnn/trainer"
)

// addAuthorsMeta records in an export's metadata which of the authors'
// classes holds the run's network and with which constructor arguments
// (authors_class, authors_module, authors_kwargs, authors_call), so that
// the file loads with load_state_dict(strict=True) into their model; or,
// in authors_none, why their code has no such network.
func addAuthorsMeta(meta map[string]string, d *rundir.Dir) {
	var cfg trainer.Config
	if err := d.ReadConfig(&cfg); err != nil || cfg.Model.Inputs == 0 {
		return // not a trainer run: nothing to say
	}
	m, err := authors.Metadata(cfg.Model)
	if err != nil {
		meta["authors_none"] = err.Error()
		return
	}
	for k, v := range m {
		meta[k] = v
	}
}
