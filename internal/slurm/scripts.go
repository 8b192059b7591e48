package slurm

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// The scripts are templates so that what a person reads in the submission
// folder is what runs: plain bash with #SBATCH lines, no generated
// indirection.

var arrayScript = template.Must(template.New(ArrayFile).Funcs(funcs).Parse(`#!/bin/bash
# array.sbatch — written by ` + "`cbrnn figures --slurm`" + ` on {{.Created.Format "2006-01-02 15:04 MST"}}.
#
# A job array: task i trains ensemble i of plan.json ({{len .Tasks}} tasks), the
# runs a local ` + "`cbrnn figures --profile {{.Profile}}`" + ` would train together
# in one graph. Runs that already started resume; finished ones are skipped.
# Each task's runs and price are in plan.txt. Edit the #SBATCH lines freely.
#SBATCH --job-name=cbrnn-{{.Profile}}-train
#SBATCH --array=0-{{last .Tasks}}
#SBATCH --time={{.TimeLimit}}
#SBATCH --cpus-per-task={{.Options.CPUsPerTask}}
{{- if gt .Options.GPUs 0}}
#SBATCH --gres=gpu:{{.Options.GPUs}}
{{- end}}
{{- template "common" .}}
#SBATCH --requeue
#SBATCH --signal=B:TERM@120
#SBATCH --open-mode=append
#SBATCH --output={{.Dir}}/logs/train-%A_%a.out
#SBATCH --chdir={{.Root}}

export CBRNN_ROOT={{q .Root}}
export CBRNN_OUT={{q .Out}}
export GOMLX_BACKEND={{q .Options.Backend}}
cbrnn={{q .Binary}}
plan={{q (plan .)}}
max_requeues={{.Options.MaxRequeues}}

task="${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}"
me="${SLURM_ARRAY_JOB_ID}_${task}"
echo "cbrnn: array task $me on $(hostname), $(date -u +%FT%TZ), restart ${SLURM_RESTART_COUNT:-0}"

# SIGTERM. Slurm's warning 120 s before the time limit reaches this shell
# alone (--signal=B:TERM@120), which passes it on; a cancel, a requeue or a
# preemption reaches every process. Either way cbrnn finishes its batch, saves
# every run's resume point and exits with {{exitRequeue}}. Only at a time limit (the
# job still RUNNING) does the task requeue itself; otherwise Slurm decides
# (requeue and preemption requeue it, scancel does not).
warned="" trapped=""
on_term() {
	trapped=1
	local state
	state="$(squeue -h -j "$me" -o %T 2>/dev/null)"
	echo "cbrnn: SIGTERM at $(date -u +%T), job state ${state:-unknown}: saving at the next batch boundary"
	[ "$state" = RUNNING ] && warned=1
	kill -TERM "$pid" 2>/dev/null
}
trap on_term TERM
"$cbrnn" slurm-task --plan "$plan" --task "$task" &
pid=$!
while :; do
	trapped=""
	wait "$pid"
	rc=$?
	# A trapped signal interrupts wait (status > 128): wait for cbrnn again.
	[ -n "$trapped" ] || break
done
echo "cbrnn: exit status $rc at $(date -u +%T)"
if [ "$rc" = {{exitRequeue}} ] && [ -n "$warned" ]; then
	if [ "${SLURM_RESTART_COUNT:-0}" -ge "$max_requeues" ]; then
		echo "cbrnn: requeued $max_requeues times already: not again; submit again to resume" >&2
	elif scontrol requeue "$me"; then
		echo "cbrnn: time limit: requeued $me; it resumes where it stopped"
		exit 0
	else
		echo "cbrnn: scontrol requeue $me failed; submit again to resume" >&2
	fi
fi
exit "$rc"
`))

var figuresScript = template.Must(template.New(FiguresFile).Funcs(funcs).Parse(`#!/bin/bash
# figures.sbatch — written by ` + "`cbrnn figures --slurm`" + ` on {{.Created.Format "2006-01-02 15:04 MST"}}.
#
# Runs once every array task has ended, however it ended (afterany). Draws
# each figure whose runs all finished, writes paper/results.md — listing the
# runs that did not finish, with their array task and log — and
# {{- if .Options.Notebooks}} executes the notebooks of the figures it drew.{{else}} executes no notebook (submitted with --no-notebooks).{{end}}
# It trains nothing. Exits non-zero if a run did not finish or a notebook
# failed; rerun it (sbatch figures.sbatch) once the runs are finished.
#SBATCH --job-name=cbrnn-{{.Profile}}-figures
#SBATCH --time={{.Options.FiguresTime}}
#SBATCH --cpus-per-task={{.Options.CPUsPerTask}}
{{- template "common" .}}
#SBATCH --output={{.Dir}}/logs/figures-%j.out
#SBATCH --chdir={{.Root}}

export CBRNN_ROOT={{q .Root}}
export CBRNN_OUT={{q .Out}}
export GOMLX_BACKEND=go
cbrnn={{q .Binary}}
dir={{q .Dir}}

echo "cbrnn: figures job ${SLURM_JOB_ID:-} on $(hostname), $(date -u +%FT%TZ)"
"$cbrnn" figures --profile {{.Profile}} --offline --plan "$dir/{{planFile}}" {{join .Figures}} >"$dir/figures.txt"
rc=$?
cat "$dir/figures.txt"
drawn="$(sed -n 's#^.*/figures/\(.*/\)*\([^/]*\)\.png$#\2#p' "$dir/figures.txt" | tr '\n' ' ')"
{{- if .Options.Notebooks}}
if [ -n "$drawn" ]; then
	echo "cbrnn: executing the notebooks of: $drawn"
	CBRNN_PROFILE={{.Profile}} CBRNN_SKIP_SETUP=1 CBRNN_NB_OUT={{q (nbOut .)}} \
		{{q .Root}}/notebooks/run.sh -k $drawn || rc=1
fi
{{- end}}
echo "cbrnn: figures job done at $(date -u +%T), status $rc; report: {{.ReportPath}}"
exit "$rc"
`))

var submitScript = template.Must(template.New(SubmitFile).Funcs(funcs).Parse(`#!/bin/bash
# submit.sh — written by ` + "`cbrnn figures --slurm`" + ` on {{.Created.Format "2006-01-02 15:04 MST"}}.
# Submitting is running this: {{if .Tasks}}the job array, then {{end}}the figures job
{{- if .Tasks}} after it (afterany){{end}}.
# The job ids go to jobs.env, where ` + "`cbrnn status`" + ` finds them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -e {{jobsFile}} ]; then echo "submit.sh: submitted already (see {{jobsFile}})" >&2; exit 1; fi
{{- if .Tasks}}
array="$(sbatch --parsable {{arrayFile}})"
array="${array%%;*}"
echo "ARRAY_JOB=$array" >{{jobsFile}}
figures="$(sbatch --parsable --dependency=afterany:"$array" {{figuresFile}})"
figures="${figures%%;*}"
echo "FIGURES_JOB=$figures" >>{{jobsFile}}
echo "submitted: job array $array ({{len .Tasks}} tasks), figures job $figures (after the array)"
{{- else}}
figures="$(sbatch --parsable {{figuresFile}})"
figures="${figures%%;*}"
echo "FIGURES_JOB=$figures" >{{jobsFile}}
echo "submitted: figures job $figures (every run has finished already)"
{{- end}}
`))

func init() {
	for _, t := range []*template.Template{arrayScript, figuresScript} {
		template.Must(t.New("common").Parse(`
{{- with .Options.Partition}}
#SBATCH --partition={{.}}
{{- end}}
{{- with .Options.Account}}
#SBATCH --account={{.}}
{{- end}}
{{- with .Options.QOS}}
#SBATCH --qos={{.}}
{{- end}}
{{- range .Options.Extra}}
#SBATCH {{.}}
{{- end}}`))
	}
}

var funcs = template.FuncMap{
	"q":           shellQuote,
	"last":        func(ts []Task) int { return len(ts) - 1 },
	"plan":        func(p *Plan) string { return filepath.Join(p.Dir, PlanFile) },
	"nbOut":       nbOut,
	"join":        func(ids []string) string { return strings.Join(ids, " ") },
	"exitRequeue": func() int { return ExitRequeue },
	"planFile":    func() string { return PlanFile },
	"jobsFile":    func() string { return JobsFile },
	"arrayFile":   func() string { return ArrayFile },
	"figuresFile": func() string { return FiguresFile },
}

// nbOut is where the figures job's executed notebooks go, as reproduce.sh
// puts them.
func nbOut(p *Plan) string {
	if p.Out == p.Root {
		return filepath.Join(p.Root, "notebooks", ".out")
	}
	return filepath.Join(p.Out, ".out")
}

// shellQuote quotes s for bash, in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// scripts renders the submission's scripts: the array (when a run is
// pending), the figures job and submit.sh.
func (p *Plan) scripts() (map[string]string, error) {
	for _, a := range p.Options.Extra {
		if !strings.HasPrefix(a, "-") || strings.ContainsAny(a, "\n\r") {
			return nil, fmt.Errorf("slurm: extra sbatch argument %q: want one option such as --mem=8G", a)
		}
	}
	out := map[string]string{}
	ts := []*template.Template{figuresScript, submitScript}
	if len(p.Tasks) > 0 {
		ts = append(ts, arrayScript)
	}
	for _, t := range ts {
		var b strings.Builder
		if err := t.Execute(&b, p); err != nil {
			return nil, fmt.Errorf("slurm: writing %s: %w", t.Name(), err)
		}
		out[t.Name()] = b.String()
	}
	return out, nil
}

// DefaultDir is a new submission's folder: <out>/slurm/<time>-<profile>.
func DefaultDir(out, profile string, now time.Time) string {
	return filepath.Join(out, "slurm", now.UTC().Format("20060102-150405")+"-"+profile)
}
