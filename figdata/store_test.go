package figdata

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// run makes a run directory with a stats file.
func run(t *testing.T, out, name string) string {
	t.Helper()
	d := filepath.Join(out, "runs", name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, statsFile), []byte("{\"epoch\":1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func sample() Modules {
	return Modules{Tasks: []string{"dms"}, Markdown: "| a |\n",
		Groups: [][]ModuleGroup{{{Label: "CB-RNN", Runs: 2, Checkpointed: 5,
			D95: map[string]map[int][]float64{"gc": {2: {0.25, 0.5}, 7: {math.NaN()}}},
			Tau: map[string]map[int][]float64{"hidden": {2: {3, 4}}}}}}}
}

// What Save writes, Load reads back equal (NaN included).
func TestSaveLoadRoundTrip(t *testing.T) {
	out := t.TempDir()
	dirs := []string{run(t, out, "b"), run(t, out, "a")}
	want := sample()
	if err := Save(out, "appG", "smoke", dirs, want); err != nil {
		t.Fatal(err)
	}
	var got Modules
	h, err := Load(out, "appG", "smoke", &got)
	if err != nil {
		t.Fatal(err)
	}
	if h.ID != "appG" || h.Profile != "smoke" || len(h.Runs) != 2 || h.Type != "figdata.Modules" {
		t.Errorf("header %+v", h)
	}
	nan := got.Groups[0][0].D95["gc"][7][0]
	got.Groups[0][0].D95["gc"][7][0], want.Groups[0][0].D95["gc"][7][0] = 0, 0
	if !math.IsNaN(nan) || !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v (NaN %v), want %+v", got, nan, want)
	}
}

// Every way a data file can be wrong is an error naming the file and the
// command that rewrites it; none yields a value.
func TestLoadRefusesBadFiles(t *testing.T) {
	out := t.TempDir()
	dir := run(t, out, "a")
	path, _ := Path(out, "appG", "smoke")
	save := func() []byte {
		if err := Save(out, "appG", "smoke", []string{dir}, sample()); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		return b
	}
	good := save()
	cases := []struct {
		name   string
		damage func()
		is     error
		says   string
	}{
		{"absent", func() { os.Remove(path) }, ErrAbsent, "no figure data"},
		{"truncated", func() { os.WriteFile(path, good[:len(good)-7], 0o644) }, nil, "damaged"},
		{"a flipped byte in the data", func() {
			b := append([]byte(nil), good...)
			b[len(b)-3] ^= 0x40
			os.WriteFile(path, b, 0o644)
		}, nil, "checksum mismatch"},
		{"garbage", func() { os.WriteFile(path, []byte("not a gob"), 0o644) }, nil, "damaged"},
		{"empty", func() { os.WriteFile(path, nil, 0o644) }, nil, "damaged"},
		{"a run trained further", func() {
			os.WriteFile(filepath.Join(dir, statsFile), []byte("{\"epoch\":1}\n{\"epoch\":2}\n"), 0o644)
		}, ErrStale, "has changed since"},
		{"a run touched", func() {
			later := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(dir, statsFile), later, later)
		}, ErrStale, "has changed since"},
		{"a run gone", func() { os.RemoveAll(dir) }, ErrStale, "which is gone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, out, "a")
			save()
			c.damage()
			var got Modules
			_, err := Load(out, "appG", "smoke", &got)
			if err == nil {
				t.Fatalf("no error; read %+v", got)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v, want it to wrap %v", err, c.is)
			}
			for _, want := range []string{path, c.says, "cbrnn figures --profile smoke appG"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// Data of one type is not read as another, and the file of one profile is
// not another's.
func TestLoadChecksTypeAndKey(t *testing.T) {
	out := t.TempDir()
	if err := Save(out, "appG", "smoke", []string{run(t, out, "a")}, sample()); err != nil {
		t.Fatal(err)
	}
	var other struct{ Tasks []string }
	if _, err := Load(out, "appG", "smoke", &other); err == nil || !strings.Contains(err.Error(), "holds a figdata.Modules") {
		t.Errorf("another type: %v", err)
	}
	var m Modules
	if _, err := Load(out, "appG", "quick", &m); !errors.Is(err, ErrAbsent) {
		t.Errorf("another profile: %v, want ErrAbsent", err)
	}
	if _, err := Path(out, "../x", "smoke"); err == nil {
		t.Errorf("an id with a path separator is accepted")
	}
}
