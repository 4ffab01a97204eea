#include "core/json_text.h"

#include "core/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Containers held in more than one place (a module's policy object, which
 * every canonical node of that module shares) are written once per text:
 * the later times copy the bytes the first one wrote. A few recent ones
 * are remembered, by address. */
#define MEMO 16

typedef struct {
    char *p;
    size_t len, cap;
    struct {
        const json_t *v;
        size_t start, len;
    } memo[MEMO];
} buf;

static void grow(buf *b, size_t more) {
    while (b->len + more >= b->cap)
        b->cap = b->cap ? b->cap * 2 : 256;
    b->p = pf_xrealloc(b->p, b->cap);
}

static inline void reserve(buf *b, size_t more) {
    if (b->len + more >= b->cap) grow(b, more);
}

static inline void put(buf *b, const char *s, size_t n) {
    reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static inline void put_char(buf *b, char c) {
    reserve(b, 1);
    b->p[b->len++] = c;
}

/* 1 for the bytes a JSON string must escape. */
static const unsigned char escaped[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/* How many leading bytes of s need no escape: eight at a time while none
 * is a control byte, '"' or '\\', then byte by byte. */
static size_t plain_prefix(const char *s, size_t n) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, quote, slash;
        memcpy(&w, s + i, 8);
        quote = w ^ (ones * '"');
        slash = w ^ (ones * '\\');
        if ((((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)) & highs) break;
    }
    while (i < n && !escaped[(unsigned char)s[i]])
        i++;
    return i;
}

static void put_string(buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    put_char(b, '"');
    for (size_t i = 0;;) {
        size_t k = plain_prefix(s + i, n - i);
        put(b, s + i, k);
        i += k;
        if (i >= n) break;
        unsigned char c = (unsigned char)s[i++];
        char esc[6] = {'\\', 0};
        size_t len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        put(b, esc, len);
    }
    put_char(b, '"');
}

/* As "%" JSON_INTEGER_FORMAT writes it. */
static void put_integer(buf *b, json_int_t v) {
    char text[24], *end = text + sizeof text, *p = end;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    put(b, p, (size_t)(end - p));
}

/* jansson's real format: %.17g, ".0" when it reads as an integer, and an
 * exponent without '+' or leading zeros. */
static void put_real(buf *b, double d) {
    char text[64];
    int n = snprintf(text, sizeof text, "%.17g", d);
    size_t len = n > 0 ? (size_t)n : 0;
    if (strspn(text, "0123456789-") == len) {
        memcpy(text + len, ".0", 3);
        len += 2;
    }
    char *start = strchr(text, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-') start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - text) + 1);
            len -= (size_t)(end - start);
        }
    }
    put(b, text, len);
}

typedef struct {
    const char *key;
    size_t len;
    json_t *value;
} member;

static int member_cmp(const void *x, const void *y) {
    const member *a = x, *b = y;
    int r = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return r ? r : (a->len > b->len) - (a->len < b->len);
}

static void put_value(buf *b, const json_t *v, bool sort);

static void put_member(buf *b, const char *key, size_t len, const json_t *value, bool first, bool sort) {
    if (!first) put_char(b, ',');
    put_string(b, key, len);
    put_char(b, ':');
    put_value(b, value, sort);
}

static void put_object(buf *b, const json_t *v, bool sort) {
    put_char(b, '{');
    size_t n = json_object_size(v);
    if (sort && n > 1) {
        member *m = pf_xmalloc(n * sizeof *m);
        size_t k = 0;
        for (void *it = json_object_iter((json_t *)v); it && k < n; it = json_object_iter_next((json_t *)v, it))
            m[k++] = (member){json_object_iter_key(it), json_object_iter_key_len(it), json_object_iter_value(it)};
        qsort(m, k, sizeof *m, member_cmp);
        for (size_t i = 0; i < k; i++)
            put_member(b, m[i].key, m[i].len, m[i].value, i == 0, sort);
        free(m);
    } else {
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it), first = false)
            put_member(b, json_object_iter_key(it), json_object_iter_key_len(it), json_object_iter_value(it), first,
                       sort);
    }
    put_char(b, '}');
}

static void put_container(buf *b, const json_t *v, bool sort);

static void put_value(buf *b, const json_t *v, bool sort) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY: put_container(b, v, sort); break;
    case JSON_STRING: put_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: put_integer(b, json_integer_value(v)); break;
    case JSON_REAL: put_real(b, json_real_value(v)); break;
    case JSON_TRUE: put(b, "true", 4); break;
    case JSON_FALSE: put(b, "false", 5); break;
    case JSON_NULL: put(b, "null", 4); break;
    }
}

static void put_array(buf *b, const json_t *v, bool sort) {
    put_char(b, '[');
    for (size_t i = 0, n = json_array_size(v); i < n; i++) {
        if (i) put_char(b, ',');
        put_value(b, json_array_get(v, i), sort);
    }
    put_char(b, ']');
}

static void put_container(buf *b, const json_t *v, bool sort) {
    /* jansson changes counts atomically; a relaxed read is enough to tell
     * shared from not, since v cannot go away while the caller holds it. */
    bool shared = __atomic_load_n(&v->refcount, __ATOMIC_RELAXED) > 1;
    size_t slot = ((uintptr_t)v >> 4) % MEMO, start = b->len;
    if (shared && b->memo[slot].v == v) {
        size_t len = b->memo[slot].len;
        reserve(b, len);
        memcpy(b->p + b->len, b->p + b->memo[slot].start, len);
        b->len += len;
        return;
    }
    if (json_is_object(v))
        put_object(b, v, sort);
    else
        put_array(b, v, sort);
    if (shared) {
        b->memo[slot].v = v;
        b->memo[slot].start = start;
        b->memo[slot].len = b->len - start;
    }
}

char *pf_json_text(const json_t *v, bool sort_keys) {
    if (!v) return NULL;
    buf b = {0};
    put_value(&b, v, sort_keys);
    put_char(&b, '\0');
    return b.p;
}
