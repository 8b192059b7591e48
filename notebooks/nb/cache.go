package nb

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cbrnn/cbrnn/figdata"
	"github.com/cbrnn/cbrnn/rundir"
)

// CacheDir is where Memo keeps results: <Out>/.cache/notebooks.
func CacheDir() string { return filepath.Join(Out(), ".cache", "notebooks") }

// Memo returns f's result, computed once and then read back from disk.
// GoNB runs each cell as a new process that re-initialises every
// package-level variable, so `var dims = nb.Memo(…)` in one cell would redo
// the analysis in every later cell without it.
//
// key must name everything the result depends on — the run directories,
// N, the profile, the parameters the reader may change — since a changed
// key is what makes Memo compute again: it is hashed (as JSON) with name
// into the file name. T must be encodable with encoding/gob (exported
// fields). A file that does not decode is recomputed.
func Memo[T any](name string, key any, f func() (T, error)) T {
	path, err := memoPath(name, key)
	Check(err)
	var v T
	if b, err := os.ReadFile(path); err == nil {
		if gob.NewDecoder(bytes.NewReader(b)).Decode(&v) == nil {
			return v
		}
	}
	v, err = f()
	Check(err)
	var buf bytes.Buffer
	Check(gob.NewEncoder(&buf).Encode(v))
	Check(os.MkdirAll(filepath.Dir(path), 0o755))
	Check(rundir.WriteFileAtomic(path, buf.Bytes(), 0o644))
	return v
}

func memoPath(name string, key any) (string, error) {
	k, err := json.Marshal(key)
	if err != nil {
		return "", fmt.Errorf("nb.Memo %s: key: %w", name, err)
	}
	h := sha256.Sum256(append([]byte(name+"\x00"), k...))
	return filepath.Join(CacheDir(), fmt.Sprintf("%s-%s.gob", name, hex.EncodeToString(h[:6]))), nil
}

// FigData is the data `cbrnn figures` computed when it drew figure id at
// this notebook's profile (figdata.Save; e.g. figdata.Modules for appG),
// read back from <Out>/.cache/figdata: the notebook shows the figure's own
// numbers without computing them again, and its cells link no GoMLX. A
// missing, damaged or out-of-date file (a run trained further since) stops
// the cell with one line naming the file and the command that rewrites it
// (`cbrnn figures --profile P id`), never with a wrong value.
func FigData[T any](id string) T {
	var v T
	_, err := figdata.Load(Out(), id, ProfileName(), &v)
	Check(err)
	return v
}
