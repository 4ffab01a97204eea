#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p) {
    if (!p) {
        fputs("prodflow: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *pf_xmalloc(size_t n) { return check(malloc(n ? n : 1)); }
void *pf_xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size ? size : 1)); }
void *pf_xrealloc(void *p, size_t n) { return check(realloc(p, n ? n : 1)); }
char *pf_strdup(const char *s) { return check(strdup(s)); }
char *pf_strndup(const char *s, size_t n) { return check(strndup(s, n)); }

char *pf_vasprintf(const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *out = pf_xmalloc((size_t)n + 1);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    return out;
}

char *pf_asprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *out = pf_vasprintf(fmt, ap);
    va_end(ap);
    return out;
}

char *pf_concat(const char *const *parts, size_t n) {
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(parts[i]);
    char *out = pf_xmalloc(total), *w = out;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(parts[i]);
        memcpy(w, parts[i], len);
        w += len;
    }
    *w = '\0';
    return out;
}
