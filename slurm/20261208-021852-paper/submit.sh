#!/bin/bash
# submit.sh — written by `cbrnn figures --slurm` on 2026-12-08 02:18 UTC.
# Submitting is running this: the job array, then the figures job after it (afterany).
# The job ids go to jobs.env, where `cbrnn status` finds them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -e jobs.env ]; then echo "submit.sh: submitted already (see jobs.env)" >&2; exit 1; fi
array="$(sbatch --parsable array.sbatch)"
array="${array%%;*}"
echo "ARRAY_JOB=$array" >jobs.env
figures="$(sbatch --parsable --dependency=afterany:"$array" figures.sbatch)"
figures="${figures%%;*}"
echo "FIGURES_JOB=$figures" >>jobs.env
echo "submitted: job array $array (76 tasks), figures job $figures (after the array)"
