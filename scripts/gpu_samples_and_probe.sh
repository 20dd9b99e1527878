#!/bin/bash
# First GPU call: install the carried wheels, make the three bundled samples with
# `landscape sample generate`, time CHGNet, compare optimisers and a relaxation radius.
set -x
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2
L="python3 scripts/lcli.py"
python3 -c "import chgnet.model, torch; print('chgnet ok', torch.cuda.is_available())" || exit 1
for s in 1 2 3; do
  $L sample generate landscape/data/samples/a-Ta2O5-$s.extxyz --seed $s --sample-id a-Ta2O5-$s \
     --calculator-kwargs '{"use_device": "cuda"}' > $OUT/gen$s.log 2>&1 &
done
wait
cp landscape/data/samples/*.extxyz $OUT/
for s in 1 2 3; do $L sample info a-Ta2O5-$s; done
python3 scripts/chgnet_timing.py a-Ta2O5-1 cuda
# optimiser comparison on the same 24 points of sample 1 (one process each, 24 relaxations batched)
for o in BFGS LBFGS FIRE; do
  timeout 200 $L reference run a-Ta2O5-1 --points 24 --seed 7 --db $OUT/opt_$o.db --optimizer $o \
     --batch 24 --calculator-kwargs '{"use_device": "cuda"}' > $OUT/opt_$o.log 2>&1 &
done
timeout 200 $L reference run a-Ta2O5-1 --points 24 --seed 7 --db $OUT/opt_BFGS_r6.db --optimizer BFGS \
   --relax-radius 6 --batch 24 --calculator-kwargs '{"use_device": "cuda"}' > $OUT/opt_BFGS_r6.log 2>&1 &
wait
for f in $OUT/opt_*.db; do echo $f; $L reference info $f; done
tail -n 3 $OUT/*.log
