// compare_models — one sample's kinetics results under two models, side by side, with their
// differences.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
//   $model_a (string)    the model of the first result: the model_id property of its Kinetics node
//   $model_b (string)    the model of the second result
// Returns: one row per quantity stored in either result (a quantity neither stores is left out),
//   in this order: Ea_exact, Ea_kmc, Ea (eV), D0_exact, D0 (cm²/s), percolation_barrier (eV
//   above the lowest site), Ea_model_std (eV), n_sites, n_hops (the network the result was
//   computed on), then D_exact and D_kmc (cm²/s) at each temperature of either result (those of
//   model_a first, in its order). Columns: quantity, unit, temperature (K; null for a quantity
//   that does not depend on it), a, b (the values under model_a and model_b; null where that
//   result does not store it), difference (b − a; null unless both are stored), ratio (b / a for
//   the diffusion coefficients, null for the other quantities), result_a, result_b (the names of
//   the two Kinetics results; null for a model without a result). Several results of one model
//   for the sample: one block of rows per pair. No row when neither model has a result for the
//   sample, or the sample is unknown.
//
// The model of a result is its model_id property (written by the study with each result).
// The temperatures of the two results are matched by value: a D at a temperature only one
// result holds has a null on the other side.
MATCH (s:Sample {sample_id: $sample_id})
OPTIONAL MATCH (s)-[:HAS_RESULT]->(ka:Kinetics {model_id: $model_a})
OPTIONAL MATCH (s)-[:HAS_RESULT]->(kb:Kinetics {model_id: $model_b})
WITH ka, kb, coalesce(ka.temperatures, []) AS ta, coalesce(kb.temperatures, []) AS tb
WHERE ka IS NOT NULL OR kb IS NOT NULL
WITH ka, kb, [t IN ta + [t IN tb WHERE NOT t IN ta] |
       {t: t, ia: head([i IN range(0, size(ta) - 1) WHERE ta[i] = t]),
        ib: head([i IN range(0, size(tb) - 1) WHERE tb[i] = t])}] AS ts
UNWIND [
  {n: 1, quantity: 'Ea_exact', unit: 'eV', a: ka.Ea_exact, b: kb.Ea_exact, d: false},
  {n: 2, quantity: 'Ea_kmc', unit: 'eV', a: ka.Ea_kmc, b: kb.Ea_kmc, d: false},
  {n: 3, quantity: 'Ea', unit: 'eV', a: ka.Ea, b: kb.Ea, d: false},
  {n: 4, quantity: 'D0_exact', unit: 'cm²/s', a: ka.D0_exact, b: kb.D0_exact, d: true},
  {n: 5, quantity: 'D0', unit: 'cm²/s', a: ka.D0, b: kb.D0, d: true},
  {n: 6, quantity: 'percolation_barrier', unit: 'eV', a: ka.percolation_barrier,
   b: kb.percolation_barrier, d: false},
  {n: 7, quantity: 'Ea_model_std', unit: 'eV', a: ka.Ea_model_std, b: kb.Ea_model_std, d: false},
  {n: 8, quantity: 'n_sites', unit: '', a: ka.n_sites, b: kb.n_sites, d: false},
  {n: 9, quantity: 'n_hops', unit: '', a: ka.n_hops, b: kb.n_hops, d: false}
] + [k IN range(0, size(ts) - 1) | {n: 10, k: k, quantity: 'D_exact', unit: 'cm²/s',
       temperature: ts[k].t, a: ka.D_exact[ts[k].ia], b: kb.D_exact[ts[k].ib], d: true}]
  + [k IN range(0, size(ts) - 1) | {n: 11, k: k, quantity: 'D_kmc', unit: 'cm²/s',
       temperature: ts[k].t, a: ka.D_kmc[ts[k].ia], b: kb.D_kmc[ts[k].ib], d: true}] AS r
WITH ka, kb, r
WHERE r.a IS NOT NULL OR r.b IS NOT NULL
RETURN r.quantity AS quantity, r.unit AS unit, r.temperature AS temperature, r.a AS a, r.b AS b,
       r.b - r.a AS difference,
       CASE WHEN r.d AND r.a <> 0 THEN r.b / r.a END AS ratio,
       ka.name AS result_a, kb.name AS result_b
ORDER BY result_a, result_b, r.n, r.k
