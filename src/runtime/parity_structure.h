/* Structural digests compared: the .blend digest Blender makes
 * (parity_blend.h) and the structure of a GLB (parity_glb.h) are JSON, and
 * two of them differ where a value at the same JSON pointer does. */
#ifndef PF_RUNTIME_PARITY_STRUCTURE_H
#define PF_RUNTIME_PARITY_STRUCTURE_H

#include <jansson.h>

/* Numbers within this relative (or, near zero, absolute) tolerance are
 * equal: digests round coordinates, and a float written and read back by
 * another program may move in its last digits. */
#define PF_PARITY_NUMBER_TOLERANCE 1e-4

/* Appends {pointer, legacy, graph} to out for each place a and b differ,
 * at most max of them (the rest are counted in *more, which may be NULL). */
void pf_parity_json_diff(const json_t *a, const json_t *b, const char *pointer, json_t *out, size_t max, size_t *more);

/* {verdict: identical|different, differences, more_differences}: a and b
 * compared. New reference. */
json_t *pf_parity_structure_verdict(const json_t *a, const json_t *b);

#endif
