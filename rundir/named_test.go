package rundir

import (
	"errors"
	"io/fs"
	"reflect"
	"slices"
	"testing"
)

// TestNamedCheckpoints: named checkpoints round-trip, are listed apart from
// the N-keyed ones (which never see them), and bad names are refused.
func TestNamedCheckpoints(t *testing.T) {
	d := newDir(t)
	if names, err := d.NamedCheckpoints(); err != nil || len(names) != 0 {
		t.Errorf("NamedCheckpoints of a new run = %v, %v", names, err)
	}
	meta := map[string]string{"task": "dms", "n": "4"}
	for _, name := range []string{"parity-ep0004-N002", "dms-ep0003-N004"} {
		if err := d.SaveNamedCheckpoint(name, tensors(3), meta); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.SaveCheckpoint(4, tensors(4), nil); err != nil {
		t.Fatal(err)
	}
	names, err := d.NamedCheckpoints()
	if err != nil || !slices.Equal(names, []string{"dms-ep0003-N004", "parity-ep0004-N002"}) {
		t.Errorf("NamedCheckpoints = %v, %v", names, err)
	}
	if ns, err := d.CheckpointNs(); err != nil || !slices.Equal(ns, []int{4}) {
		t.Errorf("CheckpointNs = %v, %v: named checkpoints must not read as Ns", ns, err)
	}
	ts, got, err := d.LoadNamedCheckpoint("dms-ep0003-N004")
	if err != nil || !reflect.DeepEqual(ts, tensors(3)) || !reflect.DeepEqual(got, meta) {
		t.Errorf("LoadNamedCheckpoint = %v, %v, %v", ts, got, err)
	}
	if _, _, err := d.LoadNamedCheckpoint("dms-ep0009-N004"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing checkpoint: %v, want fs.ErrNotExist", err)
	}
	for _, bad := range []string{"", "N004", "../x", "a/b", "-x", "a b", "N9-dms"} {
		if err := d.SaveNamedCheckpoint(bad, tensors(1), nil); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}
