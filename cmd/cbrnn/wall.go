package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cbrnn/cbrnn/env"
	"github.com/cbrnn/cbrnn/experiments"
	"github.com/cbrnn/cbrnn/rundir"
)

func init() {
	register("wall", "stamp a finished ./reproduce.sh's wall time, summed over its resumed invocations, into its paper/results.md", runWall)
}

// A reproduction that is interrupted and resumed (Ctrl-C, a stopped
// machine, the end of a working day) is still one reproduction: its wall
// time is the sum of its invocations. reproduce.sh appends one line per
// invocation to a ledger beside the run cache when it starts and another
// when it ends,
//
//	<start unix s> - running <cores>
//	<start unix s> <end unix s> <done|interrupted|failed> <cores>
//
// and, when it finishes, calls `cbrnn wall` with its own invocation's times
// to stamp the sum of the invocations since the last finished one into the
// first lines of the report. An invocation killed outright (SIGKILL, a
// machine that stopped) writes no end line: its end is taken as the last
// time it wrote a file in the run cache (endKilled), and the report says so. The ledger is
// a plain append-only text file (each line written by one printf), so a
// torn last line is skipped, not trusted.

// wallLine is one recorded invocation of reproduce.sh; status "running"
// with a zero end is one whose end was never written.
type wallLine struct {
	start, end time.Time
	status     string
	cores      int
}

// readWallLedger parses the ledger at path (absent: no earlier
// invocations), one line per invocation: an end line replaces its start
// line, and a start line left alone is a killed invocation (status
// "running", end zero). Lines that do not parse are counted in skipped.
func readWallLedger(path string) (lines []wallLine, skipped int, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading the wall-time ledger: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		l, ok := parseWallLine(f)
		if !ok {
			skipped++
			continue
		}
		if n := len(lines); n > 0 && lines[n-1].status == "running" && lines[n-1].start.Equal(l.start) && l.status != "running" {
			lines[n-1] = l // the end of the invocation that started there
			continue
		}
		lines = append(lines, l)
	}
	return lines, skipped, nil
}

func parseWallLine(f []string) (wallLine, bool) {
	if len(f) != 4 {
		return wallLine{}, false
	}
	s, err1 := strconv.ParseInt(f[0], 10, 64)
	c, err3 := strconv.Atoi(f[3])
	if err1 != nil || err3 != nil || c < 1 {
		return wallLine{}, false
	}
	if f[1] == "-" && f[2] == "running" {
		return wallLine{start: time.Unix(s, 0), status: "running", cores: c}, true
	}
	e, err2 := strconv.ParseInt(f[1], 10, 64)
	switch {
	case err2 != nil, e < s:
		return wallLine{}, false
	case f[2] != "done" && f[2] != "interrupted" && f[2] != "failed":
		return wallLine{}, false
	}
	return wallLine{start: time.Unix(s, 0), end: time.Unix(e, 0), status: f[2], cores: c}, true
}

// endKilled gives each killed invocation (status "running") an end: the
// last modification of a file in a run folder under runs between its start
// and the next invocation's start (before), and the status "killed"; one
// that wrote nothing ends where it started. Every file counts, not only
// stats.jsonl: the invocation that resumes rewrites each resumed run's
// stats.jsonl and state, moving their times past its own start, while the
// checkpoints a run saved when it solved an N are written once and keep
// theirs. So the end is a lower bound, the last write that survived. The
// current invocation, which started at now, is not in lines.
func endKilled(lines []wallLine, runs string, now time.Time) []wallLine {
	var times []time.Time
	// Run folders hold a handful of files and one checkpoints/ folder each.
	_ = filepath.WalkDir(runs, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // an unreadable folder only loses its times
		}
		if fi, err := d.Info(); err == nil {
			times = append(times, fi.ModTime())
		}
		return nil
	})
	out := append([]wallLine(nil), lines...)
	for i, l := range out {
		if l.status != "running" {
			continue
		}
		before := now
		if i+1 < len(out) {
			before = out[i+1].start
		}
		end := l.start
		for _, t := range times {
			if t.After(end) && t.Before(before) {
				end = t
			}
		}
		out[i].end, out[i].status = end.Truncate(time.Second), "killed (end: its last write in the run cache)"
	}
	return out
}

// sinceLastDone is the invocations after the ledger's last finished one:
// those that this reproduction resumed from.
func sinceLastDone(lines []wallLine) []wallLine {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].status == "done" {
			return lines[i+1:]
		}
	}
	return lines
}

// wallSentence says the reproduction's wall time: the invocations it
// resumed from (earlier) and this one, which ran from start to end with
// its notebooks taking nb (0: none executed).
func wallSentence(profile string, earlier []wallLine, start, end time.Time, nb time.Duration, cores int) string {
	total := end.Sub(start)
	var parts []string
	for _, l := range earlier {
		d := l.end.Sub(l.start)
		total += d
		parts = append(parts, fmt.Sprintf("%s from %s UTC, %s", fmtWall(d), l.start.UTC().Format("2006-01-02 15:04"), l.status))
	}
	parts = append(parts, fmt.Sprintf("%s from %s UTC, finished", fmtWall(end.Sub(start)), start.UTC().Format("2006-01-02 15:04")))
	var b strings.Builder
	fmt.Fprintf(&b, "**Wall time of this reproduction here: %s** (`./reproduce.sh --profile %s` on %d cores", fmtWall(total), profile, cores)
	if nb > 0 {
		fmt.Fprintf(&b, ", the notebooks %s of it", fmtWall(nb))
	}
	if len(earlier) == 0 {
		b.WriteString("; one invocation, " + parts[0] + ").")
	} else {
		fmt.Fprintf(&b, "; %d invocations, resumed from the run cache, summed: %s).", len(parts), strings.Join(parts, "; "))
	}
	return b.String()
}

// fmtWall prints a duration to the second as "2 h 51 min 07 s".
func fmtWall(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s >= 3600:
		return fmt.Sprintf("%d h %02d min %02d s", s/3600, s%3600/60, s%60)
	case s >= 60:
		return fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
	return fmt.Sprintf("%d s", s)
}

// wallMarker starts the stamped paragraph, so that a second stamp replaces
// the first instead of adding to it.
const wallMarker = "**Wall time of this reproduction here:"

// stampReport puts sentence as the report's second paragraph (under its
// title), replacing an earlier stamp.
func stampReport(md, sentence string) (string, error) {
	lines := strings.SplitAfter(md, "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
		return "", errors.New("it does not start with the report's title")
	}
	var kept []string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, wallMarker) {
			continue
		}
		kept = append(kept, l)
	}
	rest := strings.TrimLeft(strings.Join(kept, ""), "\n")
	return lines[0] + "\n" + sentence + "\n\n" + rest, nil
}

func runWall(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("wall", flag.ContinueOnError)
	profile := fs.String("profile", experiments.DefaultProfile, "the profile reproduced")
	ledger := fs.String("ledger", "", "reproduce.sh's ledger of earlier invocations (required)")
	start := fs.Int64("start", 0, "this invocation's start, unix seconds (required)")
	nbS := fs.Int("notebooks-s", 0, "seconds the notebooks took in this invocation (0: none executed)")
	cores := fs.Int("cores", 0, "cores of this machine (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("wall takes no arguments, got %q", fs.Args())
	}
	if *ledger == "" || *start <= 0 || *cores < 1 {
		return errors.New("wall needs --ledger, --start and --cores (reproduce.sh passes them)")
	}
	p, err := experiments.LookupProfile(*profile)
	if err != nil {
		return err
	}
	root, err := env.FindRoot("")
	if err != nil {
		return err
	}
	out := os.Getenv("CBRNN_OUT")
	if out == "" {
		out = root
	}
	report := filepath.Join(out, "paper", experiments.ProfileSubdir(out, root, p), "results.md")
	md, err := os.ReadFile(report)
	if err != nil {
		return fmt.Errorf("stamping the wall time: %w", err)
	}
	lines, skipped, err := readWallLedger(*ledger)
	if err != nil {
		return err
	}
	if skipped > 0 {
		fmt.Fprintf(os.Stderr, "cbrnn wall: %d unreadable line(s) in %s skipped (their invocations are not counted)\n", skipped, *ledger)
	}
	// This invocation's own start line is the ledger's last; the ones
	// before it are what it resumed from.
	if n := len(lines); n > 0 && lines[n-1].status == "running" && lines[n-1].start.Unix() == *start {
		lines = lines[:n-1]
	}
	earlier := endKilled(sinceLastDone(lines), filepath.Join(out, "runs"), time.Unix(*start, 0))
	sentence := wallSentence(p.Name, earlier, time.Unix(*start, 0), time.Now(), time.Duration(*nbS)*time.Second, *cores)
	stamped, err := stampReport(string(md), sentence)
	if err != nil {
		return fmt.Errorf("stamping the wall time into %s: %w", report, err)
	}
	if err := rundir.WriteFileAtomic(report, []byte(stamped), 0o644); err != nil {
		return err
	}
	fmt.Println(sentence)
	return nil
}
