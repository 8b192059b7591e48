package rundir

import (
	"encoding/json"
	"fmt"
	"math"
)

// Float is a float64 that survives JSON whatever it holds. JSON has no NaN
// or infinity, and encoding/json refuses them, yet a training epoch whose
// every step was non-finite has a NaN mean loss, and that record must be
// written (a refused stats line once stopped a run for good).
// Finite values are plain JSON numbers, exactly as float64 writes them; NaN,
// +Inf and -Inf are the strings "NaN", "+Inf" and "-Inf" (the spellings of
// strconv.FormatFloat, which Python's float() and JavaScript's Number()
// also accept, bar the sign of "+Inf" in JavaScript).
type Float float64

// Non-finite spellings.
const (
	nanText    = "NaN"
	posInfText = "+Inf"
	negInfText = "-Inf"
)

// MarshalJSON writes a number, or a string for NaN and ±Inf.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"` + nanText + `"`), nil
	case math.IsInf(v, 1):
		return []byte(`"` + posInfText + `"`), nil
	case math.IsInf(v, -1):
		return []byte(`"` + negInfText + `"`), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes; null leaves f unchanged, as
// it does a float64.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case nanText:
			*f = Float(math.NaN())
		case posInfText:
			*f = Float(math.Inf(1))
		case negInfText:
			*f = Float(math.Inf(-1))
		default:
			return fmt.Errorf("rundir.Float: %q is neither a number nor %q, %q or %q", s, nanText, posInfText, negInfText)
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// Floats converts a slice for encoding.
func Floats(v []float64) []Float {
	if v == nil {
		return nil
	}
	out := make([]Float, len(v))
	for i, x := range v {
		out[i] = Float(x)
	}
	return out
}

// Float64s converts a decoded slice back.
func Float64s(v []Float) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
