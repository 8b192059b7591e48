package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	for _, cfg := range []string{"paper-cb", "gru-cb"} {
		var out bytes.Buffer
		args := []string{"--config", cfg, "--seq-len", "5", "--batch", "4", "--steps", "2", "--warmup", "1", "--ensemble", "2"}
		if err := bench(context.Background(), args, &out); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		for _, want := range []string{"backend", "compile", "ms/step (", "ms/member-step)"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: output lacks %q:\n%s", cfg, want, s)
			}
		}
	}
	if err := bench(context.Background(), []string{"--config", "nope"}, &bytes.Buffer{}); err == nil {
		t.Error("unknown config accepted")
	}
}
