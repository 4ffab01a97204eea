#include "core/closest.h"

#include <stdlib.h>
#include <string.h>

size_t pf_edit_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    /* Three rows of the optimal-string-alignment table: the one before the
     * previous is what a transposition looks back to. */
    size_t *rows = calloc(3 * (m + 1), sizeof *rows);
    if (!rows) return (size_t)-1;
    size_t *back = rows, *prev = rows + (m + 1), *cur = rows + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && back[j - 2] + 1 < best)
                best = back[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = back;
        back = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[m];
    free(rows);
    return d;
}

void pf_closest_init(pf_closest *c, const char *word) { *c = (pf_closest){.word = word, .distance = (size_t)-1}; }

void pf_closest_offer(pf_closest *c, const char *candidate) {
    if (!candidate || !c->word || strcmp(candidate, c->word) == 0) return;
    size_t d = pf_edit_distance(c->word, candidate);
    size_t longer = strlen(candidate) > strlen(c->word) ? strlen(candidate) : strlen(c->word);
    size_t allowed = longer / 3 > 1 ? longer / 3 : 1;
    if (d <= allowed && d < c->distance) {
        c->best = candidate;
        c->distance = d;
    }
}

const char *pf_closest_best(const pf_closest *c) { return c->best; }
