#!/usr/bin/env bash
# Regenerate the bundled a-Ta2O5 samples:    bash scripts/make_samples.sh     (or: make samples)
#
# 1. a-Ta2O5-1, -2, -3: melt-quench MD with a cheap Ta/O pair potential (seeds 1, 2, 3; 28 Ta + 70 O,
#    7.75 g/cm3), then a fixed-cell CHGNet relaxation. The shipped files were made on a GPU machine
#    (--calculator-kwargs '{"use_device": "cuda"}'); on a CPU each takes a few minutes.
# 2. a-Ta2O5-1a, -2a, -3a: each of them annealed on the CHGNet landscape (Langevin MD, 4 ps at
#    1500 K, 4 ps of cooling to 300 K, 2 fs steps, seed 0), then relaxed again; about 20 min each on
#    one CPU core. The demo and the shipped reference data use these: an insertion rearranges their
#    host far less often (README, "How good is the simplified potential").
# Every file records its command, seeds, parameters and calculator version. MD is chaotic, so a
# machine with another number of threads or another torch build gives a different (equally valid)
# structure; the reference data then has to be regenerated too (make reference-data).
set -euo pipefail
cd "$(dirname "$0")/.."
L=${LANDSCAPE_CLI:-.venv/bin/landscape}
D=landscape/data/samples
for s in 1 2 3; do
  "$L" sample generate "$D/a-Ta2O5-$s.extxyz" --seed "$s" --sample-id "a-Ta2O5-$s"
done
pids=()
for s in 1 2 3; do   # one core each, side by side
  OMP_NUM_THREADS=1 "$L" sample anneal "a-Ta2O5-$s" "$D/a-Ta2O5-${s}a.extxyz" \
      --sample-id "a-Ta2O5-${s}a" --anneal-steps 2000 --cool-steps 2000 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done   # any failed anneal fails the script
for s in 1 2 3; do "$L" sample info "a-Ta2O5-${s}a"; done
