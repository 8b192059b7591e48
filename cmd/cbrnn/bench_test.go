package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gm "github.com/cbrnn/cbrnn/gomlx_models"
	"github.com/cbrnn/cbrnn/internal/costmodel"
)

func TestBench(t *testing.T) {
	for _, cfg := range []string{"cb-rnn", "cb-gru", "seed-sketch,aux-rnn-cb"} {
		var out bytes.Buffer
		args := []string{"--model", cfg, "--seq-len", "5", "--batch", "4", "--steps", "2", "--warmup", "1", "--ensemble", "2", "--executors", "2"}
		if err := bench(context.Background(), args, &out); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		for _, want := range []string{"backend", "compile", "ms/step (", "ms/member-step)", "layout: 2 executor(s)",
			"MFLOP per member-step (compiled graph)", "GFLOP/s", "CPU"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: output lacks %q:\n%s", cfg, want, s)
			}
		}
		for _, name := range strings.Split(cfg, ",") {
			want := "model " + name
			if !strings.Contains(s, want) {
				t.Errorf("%s: output lacks %q:\n%s", cfg, want, s)
			}
		}
	}
	// One backend with every core, on request.
	var one bytes.Buffer
	if err := bench(context.Background(), []string{"--seq-len", "5", "--batch", "4", "--steps", "1", "--warmup", "0", "--ensemble", "3", "--executors", "1"}, &one); err != nil ||
		!strings.Contains(one.String(), "layout: 1 executor(s) × members [3]") {
		t.Errorf("--executors 1: %v\n%s", err, one.String())
	}
	// The paper's CB-RNN on the autodiff path, for comparison.
	var out bytes.Buffer
	args := []string{"--model", "cb-rnn", "--gradients", "autodiff", "--seq-len", "5", "--batch", "4", "--steps", "1", "--warmup", "0"}
	if err := bench(context.Background(), args, &out); err != nil || !strings.Contains(out.String(), "gradients by autodiff") {
		t.Errorf("--gradients autodiff: %v\n%s", err, out.String())
	}
	for _, bad := range [][]string{
		{"--model", "nope"},
		{"--model", "seed-sketch", "--gc", "128"},
		{"--gradients", "magic"},
		{"--ensemble", "1,0"},
		{"--ensemble", "eight"},
		{"--buckets", "8,-1"},
		{"--executors", "-1"},
	} {
		if err := bench(context.Background(), bad, &bytes.Buffer{}); err == nil {
			t.Errorf("bench %v accepted", bad)
		}
	}
}

// TestBenchBucketsAndEstimate runs the per-bucket table and the paper
// estimate at toy sizes, then prices the printed table again with costmodel
// and requires the printed s/epoch: the estimate uses what was measured.
func TestBenchBucketsAndEstimate(t *testing.T) {
	var out bytes.Buffer
	args := []string{"--model", "rnn", "--batch", "2", "--steps", "1", "--warmup", "0"}
	if err := bench(context.Background(), append(args, "--ensemble", "1,2", "--buckets", "5,9"), &out); err != nil {
		t.Fatal(err)
	}
	// Lengths are rounded up to their buckets, 5 → 8 and 9 → 12, for each K.
	if got := bucketRows(out.String()); len(got) != 4 || got[0].T != 8 || got[1].T != 12 || got[2].T != 8 || got[3].T != 12 {
		t.Errorf("bucket rows %+v, want 8, 12 for K=1 and K=2:\n%s", got, out.String())
	}

	out.Reset()
	if err := bench(context.Background(), append(args, "--ensemble", "2", "--estimate"), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	rows := bucketRows(s)
	costs := costmodel.Costs{}
	for _, r := range rows {
		costs[r.T] = r.cost
	}
	// Every bucket up to the ceiling's longest sequences: 4·36+1 = 145 → 192.
	if want := gm.Buckets(145); !reflect.DeepEqual(costs.Buckets(), want) {
		t.Errorf("measured buckets %v, want %v", costs.Buckets(), want)
	}
	p := costmodel.Protocol{Epochs: 1000, Steps: 100, TestSteps: 50, Members: 2}
	for _, n := range []int{25, 36} {
		want, err := costs.Epoch(p, dmsLengths, n)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(fmt.Sprintf(`N=%d throughout \([^)]*\): ([0-9.]+) s/epoch`, n)).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("no estimate at N=%d:\n%s", n, s)
		}
		got, _ := strconv.ParseFloat(m[1], 64)
		if math.Abs(got-want.Seconds()) > 0.01*want.Seconds()+0.01 {
			t.Errorf("N=%d: printed %.3f s/epoch, the printed table prices %.3f", n, got, want.Seconds())
		}
	}
	if !strings.Contains(s, "batches of 2") || !strings.Contains(s, "not the paper's 64") {
		t.Errorf("the estimate hides that it was measured at B=2:\n%s", s)
	}
}

type bucketRow struct {
	T    int
	cost costmodel.StepCost
}

// bucketRows parses bench's per-bucket lines: "T  compile s  train (per)  test (per)".
func bucketRows(s string) []bucketRow {
	re := regexp.MustCompile(`(?m)^\s*(\d+)\s+([0-9.]+)s\s+([0-9.]+) \(\s*[0-9.]+\)\s+([0-9.]+) \(\s*[0-9.]+\)$`)
	var out []bucketRow
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		T, _ := strconv.Atoi(m[1])
		f := func(i int, unit time.Duration) time.Duration {
			v, _ := strconv.ParseFloat(m[i], 64)
			return time.Duration(v * float64(unit))
		}
		out = append(out, bucketRow{T, costmodel.StepCost{Compile: f(2, time.Second), Train: f(3, time.Millisecond), Eval: f(4, time.Millisecond)}})
	}
	return out
}
