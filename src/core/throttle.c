#include "core/throttle.h"

#include <string.h>

static void kind_of(const char *message, char out[32]) {
    size_t n = message ? strcspn(message, "0123456789") : 0;
    if (n > 31) n = 31;
    memcpy(out, message ? message : "", n);
    out[n] = '\0';
}

bool pf_throttle_pass(pf_throttle *t, long now_ms, double fraction, const char *message) {
    char kind[32];
    kind_of(message, kind);
    bool pass = !t->last_ms || fraction >= 1 || strcmp(kind, t->kind) != 0 || now_ms - t->last_ms >= t->interval_ms;
    if (!pass) return false;
    t->last_ms = now_ms;
    memcpy(t->kind, kind, sizeof kind);
    return true;
}
