package gomlxmodels

// Optim is the paper's optimiser, PyTorch SGD semantics: the gradients of
// the trainable parameters are clipped to global L2 norm ClipNorm
// (torch.nn.utils.clip_grad_norm_: scaled by ClipNorm/(norm+1e-6) when that
// is below 1; ClipNorm ≤ 0 disables clipping), then buf = Momentum·buf + g
// (buf starts at 0), g' = g + Momentum·buf if Nesterov else buf, and
// p ← p − LR·g'.
type Optim struct {
	LR, Momentum, ClipNorm float64
	Nesterov               bool
}

// PaperOptim is SPEC §3's optimiser: lr 0.01, momentum 0.1, Nesterov,
// clipping at 7.5.
func PaperOptim() Optim { return Optim{LR: 0.01, Momentum: 0.1, ClipNorm: 7.5, Nesterov: true} }
