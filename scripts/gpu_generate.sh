#!/bin/bash
# GPU generation of the shipped CHGNet reference data (sample 1a, the 1.6 Å point set of
# scripts/make_reference.sh, same settings) with `landscape reference run` (same code).
# Run on the device machine from the repository root, with the cp312 wheels carried in .whl/:
#   bash scripts/gpu_generate.sh BUDGET_SECONDS SHARDS
# Each shard resumes from a copy of the shipped database (host rows + the points it already has)
# and writes its own database under $OUT (no SQLite lock contention); merge them back here with
#   landscape reference merge /path/to/s1_*.db --db landscape/data/reference/chgnet-cu-a-Ta2O5.db
# First run (2026-11-24): 12 processes x 24 relaxations with no memory cap ran the H100 out of
# memory (each process cached ~16 GB); hence --gpu-memory-fraction and smaller batches.
BUDGET=${1:-540}
SHARDS=${2:-6}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 PYTHONWARNINGS=ignore
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
D=landscape/data/reference/chgnet-cu-a-Ta2O5.db
L="python3 scripts/lcli.py"
KW='{"use_device": "cuda"}'
WORKERS=2
FRAC=$(python3 -c "print(round(0.9 / ($SHARDS * $WORKERS), 3))")
mkdir -p /tmp/h
for k in $(seq 0 $((SHARDS - 1))); do
  cp $D $OUT/s1_$k.db
  $L reference run a-Ta2O5-1a --points 3000 --shard $k/$SHARDS --workers $WORKERS --batch 12 \
     --db $OUT/s1_$k.db --calculator-kwargs "$KW" --optimizer BFGS --fmax 0.05 --max-steps 300 \
     --relax-radius 5.0 --min-distance 1.6 --first-id 0 \
     --seed 0 --gpu-memory-fraction $FRAC --time-limit $((BUDGET - SECONDS)) > /tmp/h/r$k.log 2>&1 &
done
wait
for f in /tmp/h/r*.log; do tr '\r' '\n' < $f | grep "done," ; done
