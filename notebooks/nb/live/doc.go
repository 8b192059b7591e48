// Package live is what a notebook needs to train or probe networks in its
// cells: the experiments.Env (the compute backend and the task plugins,
// opened once per cell and closed when the cell's program ends) and
// building a task plugin of the notebook's own.
//
// It links GoMLX, so a cell that imports it takes seconds longer to build
// than one that imports only nb: the figure notebooks read the data `cbrnn
// figures` saved (nb.FigData) and do not import it; models, explore and
// new_task, which train live, do.
package live
