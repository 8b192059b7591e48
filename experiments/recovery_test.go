package experiments

import (
	"context"
	"math"
	"testing"
)

// TestRetrainReadoutControls: the retraining starts from the network it is
// given (CB disabled: the ablation's accuracy; CB kept: the intact one), a
// traced run records the start and every TraceEvery steps, and the
// controls run at one N for every network.
func TestRetrainReadoutControls(t *testing.T) {
	e := testEnv(t)
	ctx := context.Background()
	dms, _ := e.Source.Describe(ctx, "dms")
	cs, err := Configs(CBRNN, dms, tinyProfile, 2)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := e.Ensure(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := CommonNs(dirs)
	if err != nil || len(ns) == 0 {
		t.Fatalf("no common N: %v", err)
	}
	cp, err := LoadCheckpointAt(dirs[0], ns[0])
	if err != nil {
		t.Fatal(err)
	}
	bs, err := e.EvalTrials(ctx, cp, 2)
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.ablate(cp, bs)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := e.RetrainReadout(ctx, cp, bs, RecoveryOptions{Steps: 4, TraceEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Start != a.NoCB || len(tr.Steps) != 3 || tr.Steps[2] != 4 || len(tr.TrainAcc) != 4 || tr.HeldAcc[2] != tr.End {
		t.Errorf("CB-disabled trace %+v (ablation without CB %.2f)", tr, a.NoCB)
	}
	if math.IsNaN(tr.StartLoss) || tr.StartLoss <= 0 {
		t.Errorf("held-out cross-entropy %v", tr.StartLoss)
	}
	kept, err := e.RetrainReadout(ctx, cp, bs, RecoveryOptions{Steps: 1, KeepCB: true})
	if err != nil || kept.Start != a.WithCB {
		t.Errorf("CB-kept control starts at %.2f (%v), want the intact %.2f", kept.Start, err, a.WithCB)
	}
	ctl, err := e.RecoveryControlsAt(ctx, dirs, ns[0], 2, 1)
	if err != nil || len(ctl) != 3 || len(ctl[2].Start) != len(dirs) {
		t.Fatalf("controls %+v, %v", ctl, err)
	}
}
