package gomlxmodels

// cb-rnn-pertask: the seed sketch's "fixed cortex with task-specific
// cerebellar modules" (paper/METHODS.md §1.10). The authors' code has no
// counterpart: their CB is one module shared by every task.
func init() {
	Register(Model{
		Name:    PerTaskModel,
		Summary: "cb-rnn with one cerebellar module per task (cbs.{k}): the shared leaky Elman core is biased by the active task's module only",
		Source:  "the sketch this package started from (task-specific cerebellar modules); no counterpart in the authors' code",
		Uses:    []string{OptHidden, OptGC, OptPC, OptCBSees},
		Build: func(o Options) (Config, error) {
			return PerTaskCBRNN(o), nil
		},
	})
}

// PerTaskModel is the registry's name of the per-task-CB model.
const PerTaskModel = "cb-rnn-pertask"

// PerTaskCBRNN is the paper's CB-RNN with one copy of the cerebellar module
// per readout head, named cbs.{k} as the authors name their heads.{k}: head
// k's logits come from the shared core biased by module k alone (CB.PerTask).
func PerTaskCBRNN(o Options) Config {
	cb := PaperCB(o.GC, o.PC, o.CBSees)
	cb.Name, cb.PerTask = "cbs", true
	return PaperNetwork(o, ElmanCore(o.HiddenOr(PaperHidden)), cb)
}
