package figdata

// ParamMatch is appendix B's data: the parameter counts of each CB model
// and its baseline for one task's inputs and heads, and of the registry's
// default models, as `cbrnn figures` counted them (gomlx_models'
// Config.Count) — what the appB notebook shows.
type ParamMatch struct {
	Task string
	// Rows are one per network, each CB model then its baseline: label,
	// hidden size, granule cells ("–" without a CB), core, CB, readout and
	// total parameters, and for a baseline the hidden size the
	// closest-count rule gives it ("" for a CB model).
	Rows [][]string
	// Defaults are the registry's models built with one input and one head
	// of two classes, the paper's appendix B setting.
	Defaults []ParamCount
}

// ParamCount is one model's size: its registry name, its description and
// its trainable parameters.
type ParamCount struct {
	Model, Network string
	Params         int
}
