/* "Did you mean": the known name closest to a mistyped one, by edit
 * distance, so a wrong key gets a suggestion instead of only a refusal. */
#ifndef PF_CORE_CLOSEST_H
#define PF_CORE_CLOSEST_H

#include <stddef.h>

/* Levenshtein distance of a and b (insertions, deletions, substitutions;
 * a swap of two neighbours counts one, as people mistype). */
size_t pf_edit_distance(const char *a, const char *b);

/* Collects candidates and answers the closest to word, or NULL when none is
 * close enough to be a typo: at most a third of the longer name differs
 * (at least one edit). Borrowed strings; ties go to the first seen. */
typedef struct pf_closest {
    const char *word, *best;
    size_t distance;
} pf_closest;

void pf_closest_init(pf_closest *c, const char *word);
void pf_closest_offer(pf_closest *c, const char *candidate);
const char *pf_closest_best(const pf_closest *c);

#endif
