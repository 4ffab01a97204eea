#include "runtime/parity_structure.h"

#include "core/mem.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool numbers_equal(double x, double y) {
    double scale = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
    return fabs(x - y) <= PF_PARITY_NUMBER_TOLERANCE * (scale > 1 ? scale : 1);
}

/* A key in a JSON pointer: "~" and "/" escaped (RFC 6901). */
static char *child_pointer(const char *pointer, const char *key) {
    size_t n = strlen(pointer), k = strlen(key);
    char *out = pf_xmalloc(n + 2 * k + 2), *w = out + n;
    memcpy(out, pointer, n);
    *w++ = '/';
    for (const char *p = key; *p; p++) {
        if (*p == '~' || *p == '/') {
            *w++ = '~';
            *w++ = *p == '~' ? '0' : '1';
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return out;
}

static void note(json_t *out, size_t max, size_t *more, const char *pointer, const json_t *a, const json_t *b) {
    if (json_array_size(out) < max)
        json_array_append_new(out, json_pack("{s:s, s:O?, s:O?}", "pointer", pointer, "legacy", a, "graph", b));
    else if (more)
        (*more)++;
}

void pf_parity_json_diff(const json_t *a, const json_t *b, const char *pointer, json_t *out, size_t max, size_t *more) {
    if (json_is_number(a) && json_is_number(b)) {
        if (!numbers_equal(json_number_value(a), json_number_value(b))) note(out, max, more, pointer, a, b);
        return;
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)a, key, v) {
            char *p = child_pointer(pointer, key);
            pf_parity_json_diff(v, json_object_get(b, key), p, out, max, more);
            free(p);
        }
        json_object_foreach((json_t *)b, key, v) {
            if (json_object_get(a, key)) continue;
            char *p = child_pointer(pointer, key);
            note(out, max, more, p, NULL, v);
            free(p);
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);
        for (size_t i = 0; i < (na > nb ? na : nb); i++) {
            char index[24];
            snprintf(index, sizeof index, "%zu", i);
            char *p = child_pointer(pointer, index);
            if (i < na && i < nb)
                pf_parity_json_diff(json_array_get(a, i), json_array_get(b, i), p, out, max, more);
            else
                note(out, max, more, p, json_array_get(a, i), json_array_get(b, i));
            free(p);
        }
        return;
    }
    if (!json_equal(a, b)) note(out, max, more, pointer, a, b);
}

#define STRUCTURE_DIFFERENCES_MAX 50

json_t *pf_parity_structure_verdict(const json_t *a, const json_t *b) {
    json_t *diffs = json_array();
    size_t more = 0;
    pf_parity_json_diff(a, b, "", diffs, STRUCTURE_DIFFERENCES_MAX, &more);
    bool same = json_array_size(diffs) == 0;
    return json_pack("{s:s, s:o, s:I}", "verdict", same ? "identical" : "different", "differences", diffs,
                     "more_differences", (json_int_t)more);
}
