#include "core/mem.h"

#include <malloc.h>
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

/* The length of the well-formed UTF-8 sequence at s, or 0: jansson's rules
 * (no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s) {
    size_t n = s[0] < 0x80 ? 1 : s[0] < 0xC2 ? 0 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : s[0] < 0xF5 ? 4 : 0;
    if (n <= 1) return n;
    unsigned long v = s[0] & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    return n;
}

bool pf_utf8_valid(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_sequence(p);
        if (!n) return false;
        p += n;
    }
    return true;
}

char *pf_utf8_repair(char *s) {
    size_t bad = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_sequence(p);
        bad += n == 0;
        p += n ? n : 1;
    }
    if (!bad) return s;
    char *out = pf_xmalloc(strlen(s) + 2 * bad + 1), *w = out;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_sequence(p);
        if (n) {
            memcpy(w, p, n);
            w += n;
            p += n;
        } else {
            memcpy(w, "\xEF\xBF\xBD", 3);
            w += 3;
            p++;
        }
    }
    *w = '\0';
    free(s);
    return out;
}

void pf_heap_for_runs(void) {
    mallopt(M_TOP_PAD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MXFAST, 0);
}
