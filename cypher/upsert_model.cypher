// upsert_model — create or update one Model node (a trained potential and its metrics).
//
// Mode: write
// Parameters:
//   $model_id (string)  the model's identifier
//   $props (map)        properties to set (metrics, hyper-parameters); a null removes one
// Returns: model_id.
MERGE (m:Model {model_id: $model_id})
SET m += $props
RETURN m.model_id AS model_id
