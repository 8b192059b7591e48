package costmodel

import (
	"testing"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
)

// The estimate stays within 35% of the peak RSS measured for two training
// steps of one CB-RNN ensemble at fixed T (Go backend, GOEXPERIMENT=simd,
// the project's shared 2-core machine, 2026-11-30, measured again after the
// models were declared from parts; a throwaway program that called
// gm.NewEnsemble and TrainStep and read VmHWM).
func TestTrainingMemoryMatchesMeasurements(t *testing.T) {
	for _, c := range []struct {
		h, g, p, k, b, t int
		measuredKB       uint64
	}{
		{64, 256, 64, 1, 64, 96, 47548},
		{64, 256, 64, 1, 64, 384, 183880},
		{64, 256, 64, 1, 64, 768, 293796},
		{64, 256, 64, 1, 128, 384, 258728},
		{64, 256, 64, 2, 64, 384, 315468},
		{256, 256, 64, 1, 64, 384, 319748},
		{64, 1024, 64, 1, 64, 384, 552528},
		{64, 256, 256, 1, 64, 384, 252584},
		{1024, 256, 64, 1, 64, 96, 236632},
		{64, 16384, 64, 1, 64, 96, 1679380},
	} {
		m := gm.MustBuild("cb-rnn", gm.Options{Hidden: c.h, GC: c.g, PC: c.p})
		est, err := TrainingMemory(m, c.k, c.b, c.t, 2)
		if err != nil {
			t.Fatal(err)
		}
		got, want := float64(est.Total()), float64(c.measuredKB)*1024
		if got < 0.65*want || got > 1.35*want {
			t.Errorf("H=%d G=%d P=%d K=%d B=%d T=%d: estimate %s, measured %s", c.h, c.g, c.p, c.k, c.b, c.t, GiB(uint64(got)), GiB(uint64(want)))
		}
	}
}

// The sizes are far beyond any machine of this project.
func TestTrainingMemoryOfAbsurdSizes(t *testing.T) {
	paper := gm.MustBuild("cb-rnn", gm.Options{})
	for name, c := range map[string]struct {
		m          gm.Config
		k, b, t, s int
	}{
		"--hidden 100000": {gm.MustBuild("cb-rnn", gm.Options{Hidden: 100000}), 1, 64, 601, 100},
		"--gc 1e8":        {gm.MustBuild("cb-rnn", gm.Options{GC: 100000000}), 1, 64, 601, 100},
		"--seeds 100000":  {paper, 100000, 64, 601, 100},
		"--steps 1e9":     {paper, 1, 64, 601, 1000000000},
	} {
		est, err := TrainingMemory(c.m, c.k, c.b, c.t, c.s)
		if err != nil {
			t.Fatal(err)
		}
		if est.Total() < 100<<30 {
			t.Errorf("%s: estimate %s, want more than 100 GiB", name, GiB(est.Total()))
		}
	}
}
