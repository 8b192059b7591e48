package trainer

import (
	"fmt"

	"github.com/gomlx/compute"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// The layout of a Train call's ensemble: which executors its members run on
// (gomlx_models.NewEnsembleOn), and which members are in it. A member's
// numbers do not depend on either (on the Go backend bit for bit:
// gomlx_models/exact.go, TestLayoutIndependence), so the trainer may change
// both between epochs:
//   - a run that is done leaves the graph (it used to stay, frozen, on a
//     dummy batch padded to the others' length: the price of a member for
//     nothing);
//   - the executors follow Options.Layout, so that an ensemble left alone
//     on the machine takes the cores the others freed.
// This is what makes a run of an ensemble end exactly where it would have
// ended alone, whichever members finish first (TestMembersFinishingApart).

// executors asks Options.Layout for the executors of K members.
func (o Options) executors(K int) []compute.Backend {
	if o.Layout != nil {
		if bs := o.Layout(K); len(bs) > 0 {
			return bs
		}
	}
	return []compute.Backend{o.Backend}
}

// relayout returns the ensemble for the next epoch and the members in it:
// the same one if nothing changed, else a new one holding the runs still
// training, on the executors Options.Layout gives now, with their weights
// and momentum moved over.
func relayout(ens *gm.Ensemble, in []*member, opt Options) (*gm.Ensemble, []*member, error) {
	var keep []int
	for k, m := range in {
		if !m.state.Done {
			keep = append(keep, k)
		}
	}
	if len(keep) == 0 {
		return ens, nil, nil
	}
	bs := opt.executors(len(keep))
	if len(keep) == len(in) && min(len(bs), len(keep)) == ens.Executors() {
		return ens, in, nil
	}
	ws := make([]gm.Weights, len(keep))
	moms := make([]gm.Weights, len(keep))
	out := make([]*member, len(keep))
	for i, k := range keep {
		var err error
		if ws[i], err = ens.Weights(k); err != nil {
			return nil, nil, err
		}
		if moms[i], err = ens.Momentum(k); err != nil {
			return nil, nil, err
		}
		out[i] = in[k]
	}
	next, err := gm.NewEnsembleOn(bs, ens.Config(), ws)
	if err != nil {
		return nil, nil, err
	}
	for i, m := range moms {
		if err := next.SetMomentum(i, m); err != nil {
			return nil, nil, fmt.Errorf("run %s: moving optimiser state: %w", out[i].run.Dir.Path, err)
		}
	}
	if err := recordLayout(out, next.Layout()); err != nil {
		return nil, nil, err
	}
	return next, out, nil
}

// recordLayout adds a layout to the provenance of this session of every
// member's run.
func recordLayout(ms []*member, layout string) error {
	for _, m := range ms {
		if err := appendLayout(m.run.Dir, layout); err != nil {
			return fmt.Errorf("run %s: %w", m.run.Dir.Path, err)
		}
	}
	return nil
}
