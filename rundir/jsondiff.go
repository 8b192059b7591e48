package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// KeyDiff is one top-level key whose value differs between two JSON
// objects. Have and Want hold the two values as compact JSON, nil where the
// key is absent.
type KeyDiff struct {
	Key        string
	Have, Want json.RawMessage
}

// DiffJSON lists, in sorted key order, the top-level keys whose values
// differ between the JSON objects have and want. Values are compared in
// canonical form (object keys sorted, numbers as written), so a mere
// reordering is no difference. It is the one comparison behind both "this
// run holds a different config" (Create) and "the task's declaration
// changed" (the trainer's provenance check); an error says that either
// side is not a JSON object.
func DiffJSON(have, want []byte) ([]KeyDiff, error) {
	hm, err := jsonObject(have)
	if err != nil {
		return nil, fmt.Errorf("the existing value: %w", err)
	}
	wm, err := jsonObject(want)
	if err != nil {
		return nil, fmt.Errorf("the requested value: %w", err)
	}
	keys := slices.Sorted(maps.Keys(hm))
	for k := range wm {
		if _, ok := hm[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var diffs []KeyDiff
	for _, k := range keys {
		hv, inH := hm[k]
		wv, inW := wm[k]
		if inH && inW && sameJSON(hv, wv) {
			continue
		}
		diffs = append(diffs, KeyDiff{Key: k, Have: compactJSON(hv), Want: compactJSON(wv)})
	}
	return diffs, nil
}

// jsonObject decodes b's top-level object, keeping its values as raw JSON.
func jsonObject(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object: null")
	}
	return m, nil
}

// sameJSON reports whether two JSON values are equal in canonical form.
func sameJSON(a, b json.RawMessage) bool {
	ca, _, errA := canonicalJSON(a)
	cb, _, errB := canonicalJSON(b)
	return errA == nil && errB == nil && bytes.Equal(ca, cb)
}

// compactJSON is b without insignificant white space; nil stays nil.
func compactJSON(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return b
	}
	return out.Bytes()
}
