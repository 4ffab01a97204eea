#include "cad/step_text.h"

#include "core/mem.h"

#include <stdbool.h>
#include <stdint.h>

#define REPLACEMENT 0xFFFDu

static size_t put_utf8(char *out, uint32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = REPLACEMENT;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* n upper-case hex digits at p (Part 21 writes them upper case; lower case is
 * accepted), or false. */
static bool hex(const char *p, const char *end, int n, uint32_t *out) {
    if (end - p < n) return false;
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0) return false;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return true;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_length(const unsigned char *p, const unsigned char *end) {
    /* 0xF5-0xFF never start a sequence: taken for 3-byte leads, "\xFF\xA5\xA5"
     * was copied as is and the summary could not become JSON. */
    size_t n = p[0] >= 0xF0 && p[0] <= 0xF4   ? 4
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xC2 && p[0] < 0xE0  ? 2
                                              : 0;
    if (!n || (size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0))) return 0; /* overlong, surrogate */
    if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))) return 0;
    return n;
}

/* \X2\ or \X4\ runs: digits code units each until \X0\. Returns the end. */
static const char *wide_run(const char *p, const char *end, int digits, char *out, size_t *len) {
    uint32_t high = 0; /* a pending UTF-16 high surrogate */
    while (p < end && *p != '\\') {
        uint32_t u;
        if (!hex(p, end, digits, &u)) break;
        p += digits;
        if (digits == 4 && u >= 0xD800 && u <= 0xDBFF) {
            if (high) *len += put_utf8(out + *len, REPLACEMENT);
            high = u;
            continue;
        }
        if (digits == 4 && u >= 0xDC00 && u <= 0xDFFF && high) {
            u = 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00);
            high = 0;
        } else if (high) {
            *len += put_utf8(out + *len, REPLACEMENT);
            high = 0;
        }
        *len += put_utf8(out + *len, u);
    }
    if (high) *len += put_utf8(out + *len, REPLACEMENT);
    if (end - p >= 4 && p[0] == '\\' && p[1] == 'X' && p[2] == '0' && p[3] == '\\') return p + 4;
    while (p < end && *p != '\\') /* a malformed run: drop its rest */
        p++;
    return p;
}

char *pf_step_text_utf8(const char *p, size_t n) {
    /* No input byte yields more than two output bytes (a stray byte read as
     * ISO 8859-1); every escape shrinks. */
    char *out = pf_xmalloc(2 * n + 1);
    pf_step_text_utf8_to(p, n, out);
    return out;
}

size_t pf_step_text_utf8_to(const char *p, size_t n, char *out) {
    size_t len = 0;
    const char *end = p + n;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '\\' && end - p >= 2) {
            uint32_t v;
            if (p[1] == '\\') {
                out[len++] = '\\';
                p += 2;
                continue;
            }
            if (end - p >= 4 && p[1] == 'X' && p[2] == '\\' && hex(p + 3, end, 2, &v)) {
                len += put_utf8(out + len, v);
                p += 5;
                continue;
            }
            if (end - p >= 4 && p[1] == 'X' && (p[2] == '2' || p[2] == '4') && p[3] == '\\') {
                p = wide_run(p + 4, end, p[2] == '2' ? 4 : 8, out, &len);
                continue;
            }
            if (end - p >= 4 && p[1] == 'S' && p[2] == '\\') {
                len += put_utf8(out + len, (uint32_t)(unsigned char)p[3] + 128);
                p += 4;
                continue;
            }
            if (end - p >= 4 && p[1] == 'P' && p[3] == '\\') {
                p += 4;
                continue;
            }
        }
        if (c < 0x80) {
            out[len++] = (char)c;
            p++;
            continue;
        }
        size_t k = utf8_length((const unsigned char *)p, (const unsigned char *)end);
        if (k) {
            for (size_t i = 0; i < k; i++)
                out[len++] = p[i];
            p += k;
        } else {
            len += put_utf8(out + len, c); /* ISO 8859-1 */
            p++;
        }
    }
    out[len] = '\0';
    return len;
}
