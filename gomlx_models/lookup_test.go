package gomlxmodels

import (
	"strings"
	"testing"
)

// A mistyped model name gets one line that names the nearest model.
func TestUnknownModelSuggests(t *testing.T) {
	_, err := Lookup("cb-rn")
	if err == nil {
		t.Fatal("no error for an unknown model")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, `unknown model "cb-rn": did you mean cb-rnn? (known: `) || strings.Contains(msg, "\n") {
		t.Errorf("unknown model: %q, want one line starting `unknown model \"cb-rn\": did you mean cb-rnn? (known: `", msg)
	}
}
