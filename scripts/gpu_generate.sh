#!/bin/bash
# GPU generation of the shipped reference data (same code: `landscape reference run`).
# Usage on the device machine: bash scripts/gpu_generate.sh BUDGET_SECONDS
# Host rows are computed once per sample and copied into every shard database, so that the
# shards merge without conflicting e_host (landscape reference merge).
BUDGET=${1:-540}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 PYTHONWARNINGS=ignore
L="python3 scripts/lcli.py"
KW='{"use_device": "cuda"}'
mkdir -p /tmp/h
for s in 1 2 3; do
  $L reference run a-Ta2O5-$s --points 0 --db /tmp/h/h$s.db --calculator-kwargs "$KW" > /tmp/h/h$s.log 2>&1 &
done
wait
cat /tmp/h/h*.log | grep -v -i warn
cp /tmp/h/h1.db $OUT/s1_0.db; cp /tmp/h/h1.db $OUT/s1_1.db; cp /tmp/h/h1.db $OUT/s1_2.db
cp /tmp/h/h2.db $OUT/s2.db; cp /tmp/h/h3.db $OUT/s3.db
left() { echo $((BUDGET - SECONDS)); }
run() { $L reference run "$@" --calculator-kwargs "$KW" --batch 24 --optimizer BFGS --fmax 0.05 --max-steps 300 --seed 0 --time-limit $(left); }
run a-Ta2O5-1 --points 3000 --shard 0/3 --workers 8 --db $OUT/s1_0.db > /tmp/h/r1_0.log 2>&1 &
( run a-Ta2O5-2 --points 240 --workers 2 --db $OUT/s2.db > /tmp/h/r2.log 2>&1;
  run a-Ta2O5-1 --points 3000 --shard 1/3 --workers 2 --db $OUT/s1_1.db > /tmp/h/r1_1.log 2>&1 ) &
( run a-Ta2O5-3 --points 240 --workers 2 --db $OUT/s3.db > /tmp/h/r3.log 2>&1;
  run a-Ta2O5-1 --points 3000 --shard 2/3 --workers 2 --db $OUT/s1_2.db > /tmp/h/r1_2.log 2>&1 ) &
wait
for f in /tmp/h/r*.log; do echo "== $f"; tr '\r' '\n' < $f | grep -v -i "warn\|detach\|volumes =\|initialized\|will run" | tail -n 2; done | tee $OUT/run.log
nvidia-smi --query-gpu=name --format=csv >> $OUT/run.log
