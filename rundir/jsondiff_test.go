package rundir

import (
	"reflect"
	"strings"
	"testing"
)

func TestDiffJSON(t *testing.T) {
	for _, tc := range []struct {
		name       string
		have, want string
		diffs      []KeyDiff
		err        string
	}{
		{name: "equal", have: `{"a":1,"b":[1,2]}`, want: `{"b":[1,2],"a":1}`},
		{name: "nested order is no difference", have: `{"m":{"x":1,"y":2}}`, want: `{"m":{"y":2,"x":1}}`},
		{name: "changed, added and removed, sorted by key",
			have: `{"z":1,"a":{"k": 2},"gone":true}`, want: `{"z":1,"a":{"k":3},"new":"x"}`,
			diffs: []KeyDiff{{Key: "a", Have: []byte(`{"k":2}`), Want: []byte(`{"k":3}`)},
				{Key: "gone", Have: []byte(`true`)}, {Key: "new", Want: []byte(`"x"`)}}},
		{name: "numbers as written", have: `{"n":1}`, want: `{"n":1.0}`,
			diffs: []KeyDiff{{Key: "n", Have: []byte(`1`), Want: []byte(`1.0`)}}},
		{name: "not an object", have: `[1]`, want: `{}`, err: "existing value: not a JSON object"},
		{name: "null", have: `{}`, want: `null`, err: "requested value: not a JSON object: null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diffs, err := DiffJSON([]byte(tc.have), []byte(tc.want))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(diffs, tc.diffs) {
				t.Errorf("DiffJSON = %q, %v; want %q", diffs, err, tc.diffs)
			}
		})
	}
}

func TestFirstDiff(t *testing.T) {
	for _, tc := range []struct{ have, want, msg string }{
		{`{"a":1,"b":2}`, `{"a":1,"b":3}`, `key "b" (existing 2, requested 3)`},
		{`{"a":1}`, `{"a":1,"b":3}`, `key "b" (absent from the existing config)`},
		{`{"a":1,"b":3}`, `{"a":1}`, `key "b" (absent from the requested config)`},
		{`{"a":1}`, `{"a":1}`, "none found"},
		{`1`, `{"a":1}`, "the top-level values differ"},
	} {
		if got := firstDiff([]byte(tc.have), []byte(tc.want)); got != tc.msg {
			t.Errorf("firstDiff(%s, %s) = %s, want %s", tc.have, tc.want, got, tc.msg)
		}
	}
}
