#!/usr/bin/env bash
# Regenerate the example's host, a-Pd80Ni20.extxyz (80 atoms, Pd64Ni16 at 11.2 g/cm³): a melt-quench
# on ASE's EMT (3 ps at 2500 K, 12 ps quench to 300 K, 2 fs steps, seed 0) and a fixed-cell EMT
# relaxation. About 1 min on one core (51-70 s). Usage: bash examples/h-in-pdni/make_host.sh [LANDSCAPE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
landscape="$(realpath "${1:-$here/../../.venv/bin/landscape}")"
cd "$here"
"$landscape" sample generate a-Pd80Ni20.extxyz \
  --composition Pd64Ni16 --density 11.2 --t-melt 2500 --melt-steps 1500 --quench-steps 6000 \
  --timestep 2 --md-calculator ase.calculators.emt:EMT --calculator ase.calculators.emt:EMT \
  --seed 0 --sample-id a-Pd80Ni20
