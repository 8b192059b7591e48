package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// AppendStats appends rec to stats.jsonl as one line of compact JSON, and
// fsyncs it. A torn piece at the end of the file, left by a crash during an
// earlier append (a last line without its newline, or one that is not valid
// JSON), is truncated away first, so that it cannot glue onto the new line.
func (d *Dir) AppendStats(rec any) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("run %s: encoding stats: %w", d.Path, err)
	}
	line = append(line, '\n') // json.Marshal never writes a raw newline
	path := d.file(StatsFile)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	defer f.Close()
	if errors.Is(statErr, fs.ErrNotExist) {
		syncDir(d.Path) // make the new file's entry durable
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("run %s: %s: %w", d.Path, StatsFile, err)
	}
	if size > 0 {
		start, last, err := lastLine(f, size)
		if err != nil {
			return fmt.Errorf("run %s: %s: %w", d.Path, StatsFile, err)
		}
		if torn(last) {
			if err := f.Truncate(start); err != nil {
				return fmt.Errorf("run %s: truncating the torn end of %s: %w", d.Path, StatsFile, err)
			}
		}
	}
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("run %s: appending to %s: %w", d.Path, StatsFile, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("run %s: %s: %w", d.Path, StatsFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("run %s: %s: %w", d.Path, StatsFile, err)
	}
	return nil
}

// torn reports whether the last line of the stats file (with its newline,
// if any) was left incomplete by a crash.
func torn(last []byte) bool {
	n := len(last)
	return n == 0 || last[n-1] != '\n' || !json.Valid(last[:n-1])
}

// lastLine returns the offset and the bytes (with its trailing newline, if
// any) of the last line of the first size bytes of f, reading backwards in
// chunks.
func lastLine(f *os.File, size int64) (int64, []byte, error) {
	const chunk = 4096
	var buf []byte
	end := size
	for end > 0 {
		n := min(int64(chunk), end)
		b := make([]byte, n)
		if _, err := f.ReadAt(b, end-n); err != nil {
			return 0, nil, err
		}
		buf = append(b, buf...)
		end -= n
		// Search for a newline before the line's own final byte.
		if i := bytes.LastIndexByte(buf[:len(buf)-1], '\n'); i >= 0 {
			return end + int64(i) + 1, buf[i+1:], nil
		}
	}
	return 0, buf, nil
}

// statsLines splits the content of stats.jsonl into complete records. A
// torn last line (no newline, or invalid JSON) is dropped; tornTail reports
// whether there was one. An invalid line elsewhere is an error naming its
// number.
func (d *Dir) statsLines(b []byte) (lines [][]byte, tornTail bool, err error) {
	for lineNo := 1; len(b) > 0; lineNo++ {
		i := bytes.IndexByte(b, '\n')
		if i < 0 { // no newline: torn by a crash
			return lines, true, nil
		}
		line := b[:i]
		b = b[i+1:]
		if !json.Valid(line) {
			if len(b) == 0 { // the last line: torn by a crash
				return lines, true, nil
			}
			return nil, false, fmt.Errorf("run %s: %s line %d is corrupt (not valid JSON): %q", d.Path, d.file(StatsFile), lineNo, abbrev(line))
		}
		if err := d.checkEpoch(line, lineNo); err != nil {
			return nil, false, err
		}
		lines = append(lines, line)
	}
	return lines, false, nil
}

// checkEpoch checks that record lineNo, when it is an object with an
// "epoch", is epoch lineNo: resume counts records to find its place, so a
// duplicated or a missing line would shift every epoch after it silently.
func (d *Dir) checkEpoch(line []byte, lineNo int) error {
	var rec struct {
		Epoch *json.Number `json:"epoch"`
	}
	if json.Unmarshal(line, &rec) != nil || rec.Epoch == nil {
		return nil // not an object, or no epoch: nothing to check
	}
	if rec.Epoch.String() == strconv.Itoa(lineNo) {
		return nil
	}
	what := "epochs must be 1, 2, 3, … one line each"
	if e, err := rec.Epoch.Int64(); err == nil && e < int64(lineNo) {
		what = "a line is duplicated or out of order"
	} else if err == nil {
		what = "a line is missing"
	}
	return &DamagedError{File: d.file(StatsFile), Reason: fmt.Sprintf("line %d records epoch %s where epoch %d belongs (%s)", lineNo, rec.Epoch, lineNo, what)}
}

func (d *Dir) readStatsLines() ([][]byte, bool, error) {
	b, err := os.ReadFile(d.file(StatsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("run %s: %w", d.Path, err)
	}
	return d.statsLines(b)
}

// ReadStats decodes the run's per-epoch records, in order. A missing file
// gives none; a torn last line, left by a crash, is ignored; any other
// invalid line is an error naming the file and the line.
func ReadStats[T any](d *Dir) ([]T, error) {
	lines, _, err := d.readStatsLines()
	if err != nil {
		return nil, err
	}
	out := make([]T, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal(l, &out[i]); err != nil {
			return nil, fmt.Errorf("run %s: %s line %d: %w", d.Path, d.file(StatsFile), i+1, err)
		}
	}
	return out, nil
}

// TruncateStats keeps the first n records of stats.jsonl, atomically
// dropping the rest (and any torn last line). It fails if fewer than n
// records exist.
func (d *Dir) TruncateStats(n int) error {
	if n < 0 {
		return fmt.Errorf("run %s: cannot keep %d stats records", d.Path, n)
	}
	lines, tornTail, err := d.readStatsLines()
	if err != nil {
		return err
	}
	if len(lines) < n {
		return fmt.Errorf("run %s: %s holds %d complete records, fewer than the %d to keep", d.Path, StatsFile, len(lines), n)
	}
	if len(lines) == n && !tornTail {
		return nil
	}
	var buf bytes.Buffer
	for _, l := range lines[:n] {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	if err := WriteFileAtomic(d.file(StatsFile), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("run %s: %w", d.Path, err)
	}
	return nil
}
