/* An output type's parity across its shadow runs: how many pairs came out
 * identical (within the thresholds), how many did not, the last
 * differences, and whether the output type is ready to switch from
 * `shadow` to `graph`. docs/legacy.md states the rule. */
#ifndef PF_RUNTIME_PARITY_HISTORY_H
#define PF_RUNTIME_PARITY_HISTORY_H

#include "runtime/parity.h"

/* Ready to switch: this many shadow pairs in a row, the newest ones, came
 * out identical or equivalent, both sides executed. One different pair
 * starts the count again. */
#define PF_PARITY_READY_STREAK 5

/* {output_type, shadow_runs, complete, identical, different, pending,
 * streak, ready, rule, last_differences, runs: [...newest first]}. Reports
 * of finished pairs not yet kept are computed (and kept) on the way. *out:
 * new reference. */
pf_error *pf_parity_history(const pf_parity_env *env, const char *output_type, json_t **out);

#endif
