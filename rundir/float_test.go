package rundir

import (
	"encoding/json"
	"math"
	"testing"
)

// stats.jsonl encodes NaN and ±Inf losslessly.
func TestFloatRoundTrip(t *testing.T) {
	for _, c := range []struct {
		v    float64
		json string
	}{
		{1.5, `1.5`}, {0, `0`}, {-2e-300, `-2e-300`}, {math.MaxFloat64, `1.7976931348623157e+308`},
		{math.NaN(), `"NaN"`}, {math.Inf(1), `"+Inf"`}, {math.Inf(-1), `"-Inf"`},
	} {
		b, err := json.Marshal(Float(c.v))
		if err != nil || string(b) != c.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", c.v, b, err, c.json)
			continue
		}
		var back Float
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("Unmarshal(%s): %v", b, err)
			continue
		}
		if got := float64(back); got != c.v && !(math.IsNaN(got) && math.IsNaN(c.v)) {
			t.Errorf("round trip of %v gave %v", c.v, got)
		}
	}
	for _, bad := range []string{`"nan"`, `"Infinity"`, `"1.5"`, `true`, `{}`} {
		var f Float
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", bad, f)
		}
	}
	var null Float = 7
	if err := json.Unmarshal([]byte(`null`), &null); err != nil || null != 7 {
		t.Errorf("null: %v, %v (want no change, as for float64)", null, err)
	}
}
