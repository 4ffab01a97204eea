#include "cad/step_split.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAX_KEPT_RECORD (4u << 20) /* a longer wanted record is skipped */

typedef struct {
    const char *base, *end;
    const char *source;
    const pf_step_split_fns *fns;
    uint64_t *entities;
    char *rec; /* a wanted record's cleaned text, reused */
    size_t cap;
    bool saw_end;
    pf_error *err;
} splitter;

/* Bytes that can change the splitter's state: quotes, comment slashes,
 * parentheses, semicolons, and control bytes other than white space (binary
 * data). Newlines are not among them: line numbers are counted only for a
 * message, from the start of the buffer. */
static const unsigned char stop_byte[256] = {
    [0] = 1,  [1] = 1,  [2] = 1,  [3] = 1,  [4] = 1,  [5] = 1,  [6] = 1,    [7] = 1,   [8] = 1,   [11] = 1,  [14] = 1,
    [15] = 1, [16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1, [21] = 1,   [22] = 1,  [23] = 1,  [24] = 1,  [25] = 1,
    [26] = 1, [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1, ['\''] = 1, ['/'] = 1, ['('] = 1, [')'] = 1, [';'] = 1,
};

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'; }

static bool is_binary(unsigned char c) { return c < 0x20 && !is_space((char)c); }

/* Bit i set when p[i] is a stop byte, for n <= 64 bytes: the portable
 * answer, used for a buffer's last bytes and where SSE2 is missing. */
static uint64_t stops_tail(const unsigned char *p, size_t n) {
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        m |= (uint64_t)stop_byte[p[i]] << i;
    return m;
}

/* Bit i set when p[i] is a parenthesis, for n <= 64 bytes. */
static uint64_t parens_tail(const unsigned char *p, size_t n) {
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        m |= (uint64_t)((p[i] | 1) == ')') << i;
    return m;
}

/* The same as stops_tail for 64 bytes, 16 at a time: about twenty vector
 * instructions instead of 64 table lookups and branches; the parentheses
 * among them also in *parens. */
static uint64_t stops64(const unsigned char *p, uint64_t *parens) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('\''), slash = _mm_set1_epi8('/'), close = _mm_set1_epi8(')'),
                  one = _mm_set1_epi8(1), semi = _mm_set1_epi8(';'), top = _mm_set1_epi8(0x1F),
                  tab = _mm_set1_epi8('\t'), nl = _mm_set1_epi8('\n'), ff = _mm_set1_epi8('\f'),
                  cr = _mm_set1_epi8('\r');
    uint64_t m = 0, pm = 0;
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i paren = _mm_cmpeq_epi8(_mm_or_si128(x, one), close); /* '(' is 0x28, ')' 0x29 */
        pm |= (uint64_t)(uint16_t)_mm_movemask_epi8(paren) << (16 * k);
        __m128i s = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, slash));
        s = _mm_or_si128(s, paren);
        s = _mm_or_si128(s, _mm_cmpeq_epi8(x, semi));
        __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, top), x); /* x <= 0x1F, unsigned */
        __m128i space = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(x, nl)),
                                     _mm_or_si128(_mm_cmpeq_epi8(x, ff), _mm_cmpeq_epi8(x, cr)));
        s = _mm_or_si128(s, _mm_andnot_si128(space, control));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(s) << (16 * k);
    }
    *parens = pm;
    return m;
#else
    *parens = parens_tail(p, 64);
    return stops_tail(p, 64);
#endif
}

static unsigned long long line_at(const splitter *sp, const char *at) {
    unsigned long long n = 1;
    for (const char *p = sp->base; p < at && (p = memchr(p, '\n', (size_t)(at - p))); p++)
        n++;
    return n;
}

static void binary_error(splitter *sp, const char *at) {
    sp->err = pf_error_new(PF_EINVAL, "", "%s holds binary data at byte %llu (line %llu), not STEP text", sp->source,
                           (unsigned long long)(at - sp->base), line_at(sp, at));
}

static void not_step(splitter *sp) {
    sp->err = pf_error_new(PF_EINVAL, "", "%s is not a STEP file: it does not start with ISO-10303-21;", sp->source);
}

/* The first record must be ISO-10303-21 (white space and comments aside).
 * Binary data among its first twelve bytes is named as such. Returns where
 * the records after it start, or NULL with sp->err set. */
static const char *magic(splitter *sp, const char *p) {
    static const char want[] = "ISO-10303-21";
    size_t got = 0;
    bool differs = false;
    const char *comment_body = NULL;
    for (; p < sp->end; p++) {
        char c = *p;
        if (is_binary((unsigned char)c)) {
            binary_error(sp, p);
            return NULL;
        }
        if (comment_body) {
            if (c == '/' && p - 1 >= comment_body && p[-1] == '*') comment_body = NULL;
        } else if (c == '/' && p + 1 < sp->end && p[1] == '*') {
            comment_body = p + 2;
            p++;
        } else if (!is_space(c)) {
            if (got == sizeof want - 1 || c == ';') {
                if (differs || got != sizeof want - 1 || c != ';') break;
                return p + 1;
            }
            differs = differs || c != want[got];
            got++;
        }
    }
    not_step(sp);
    return NULL;
}

/* How clean treats a byte outside strings: copied, dropped (white space),
 * or looked at (a quote, a slash that may open a comment). */
enum { COPY, DROP, QUOTE, SLASH };
static const unsigned char clean_class[256] = {
    [' '] = DROP, ['\n'] = DROP, ['\r'] = DROP, ['\t'] = DROP, ['\f'] = DROP, ['\''] = QUOTE, ['/'] = SLASH,
};

/* Copies [p, end) into sp->rec without white space and comments outside
 * strings; false when the record is too long to keep. */
static bool clean(splitter *sp, const char *p, const char *end, size_t *n) {
    size_t raw = (size_t)(end - p);
    if (raw + 1 > MAX_KEPT_RECORD) return false;
    if (raw + 1 > sp->cap) {
        sp->cap = raw + 1 > 2 * sp->cap ? raw + 1 : 2 * sp->cap;
        sp->rec = pf_xrealloc(sp->rec, sp->cap);
    }
    char *w = sp->rec;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        switch (clean_class[c]) {
        case COPY: *w++ = (char)c, p++; break;
        case DROP: p++; break;
        case QUOTE: { /* the string whole, to its closing quote ('' is two strings back to back) */
            const char *q = memchr(p + 1, '\'', (size_t)(end - p - 1));
            q = q ? q + 1 : end;
            memcpy(w, p, (size_t)(q - p));
            w += q - p;
            p = q;
            break;
        }
        default: /* SLASH */
            if (p + 1 < end && p[1] == '*') {
                const char *q = p + 2;
                while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
                    q++;
                p = q + 2 <= end ? q + 2 : end;
            } else {
                *w++ = (char)c, p++;
            }
        }
    }
    *w = '\0';
    *n = (size_t)(w - sp->rec);
    return true;
}

/* Letters, digits, '_' and '-': what an entity name is made of. */
static const unsigned char name_byte[256] = {
    ['-'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['_'] = 1, ['a'] = 1, ['b'] = 1,
    ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static bool is_name_char(char c) { return name_byte[(unsigned char)c]; }

enum { SKIP, KEEP, COMPLEX }; /* what a record's name says of it; COMPLEX asks at its end */

/* At a record's first top-level "(": is it wanted? Header and section
 * records are; a simple entity is when fns->wanted says so, a complex one
 * when fns->wanted_complex says so at its end. The common "#12=NAME(" is
 * judged in place; anything else (white space or comments around the name)
 * is cleaned first. */
static int decide(splitter *sp, const char *rec, const char *paren) {
    const char *p = rec;
    while (p < paren && is_space(*p))
        p++;
    if (p < paren && *p == '#') { /* "#12=NAME(", or with white space between the tokens */
        const char *q = p + 1;
        while (q < paren && *q >= '0' && *q <= '9')
            q++;
        const char *digits_end = q;
        while (q < paren && is_space(*q))
            q++;
        if (digits_end > p + 1 && q < paren && *q == '=') {
            q++;
            while (q < paren && is_space(*q))
                q++;
            const char *name = q;
            while (q < paren && is_name_char(*q))
                q++;
            const char *name_end = q;
            while (q < paren && is_space(*q))
                q++;
            if (q == paren)
                return name == name_end ? COMPLEX : sp->fns->wanted(name, (size_t)(name_end - name)) ? KEEP : SKIP;
        }
    }
    size_t n;
    if (!clean(sp, rec, paren, &n)) return KEEP;
    const char *eq = memchr(sp->rec, '=', n);
    if (!eq || sp->rec[0] != '#') return KEEP;
    size_t name_len = n - (size_t)(eq + 1 - sp->rec);
    return name_len == 0 ? COMPLEX : sp->fns->wanted(eq + 1, name_len) ? KEEP : SKIP;
}

static void end_record(splitter *sp, const char *rec, const char *semi, int kind) {
    size_t n;
    bool skipped = kind == SKIP ||
                   (kind == COMPLEX && sp->fns->wanted_complex && !sp->fns->wanted_complex(rec, (size_t)(semi - rec)));
    if (skipped || !clean(sp, rec, semi, &n)) {
        /* Only entity records are ever skipped (decide keeps the rest); an
         * overlong one is counted when it is an entity. */
        while (!skipped && rec < semi && is_space(*rec))
            rec++;
        if (skipped || (rec < semi && *rec == '#')) (*sp->entities)++;
        return;
    }
    if (n == 16 && memcmp(sp->rec, "END-ISO-10303-21", 16) == 0) {
        sp->saw_end = true;
        return;
    }
    if (n && sp->rec[0] == '#') (*sp->entities)++;
    if (n) sp->fns->record(sp->fns->user, sp->rec, n);
}

enum { NORMAL, STRING, COMMENT };

/* Runs through the stop bytes after p; returns the state at the end. Only
 * a record's first parenthesis matters (decide looks at its name there):
 * a semicolon outside strings and comments ends a record in STEP, nested
 * or not, so once a record is decided its parentheses are passed over,
 * which are most of a geometry record's stop bytes. */
static int split_records(splitter *sp, const char *p) {
    int state = NORMAL, kind = KEEP;
    bool decided = false;
    const char *rec = p, *comment_body = NULL;
    size_t total = (size_t)(sp->end - p);
    for (size_t at = 0; at < total; at += 64) {
        const char *chunk = p + at;
        size_t n = total - at;
        const unsigned char *bytes = (const unsigned char *)chunk;
        uint64_t parens = 0, m = 0;
        if (n >= 64) {
            m = stops64(bytes, &parens);
        } else {
            m = stops_tail(bytes, n);
            parens = parens_tail(bytes, n);
        }
        while (m) {
            uint64_t live = decided ? m & ~parens : m;
            if (!live) break;
            int at_bit = __builtin_ctzll(live);
            const char *q = chunk + at_bit;
            m &= ~((2ull << at_bit) - 1); /* this bit and those before it (all of them at bit 63) */
            char c = *q;
            if (is_binary((unsigned char)c)) {
                binary_error(sp, q);
                return state;
            }
            if (state == STRING) {
                if (c == '\'') state = NORMAL; /* '' leaves and enters again */
                continue;
            }
            if (state == COMMENT) {
                if (c == '/' && q - 1 >= comment_body && q[-1] == '*') state = NORMAL;
                continue;
            }
            switch (c) {
            case '\'': state = STRING; break;
            case '/':
                if (q + 1 < sp->end && q[1] == '*') {
                    state = COMMENT;
                    comment_body = q + 2;
                }
                break;
            case '(':
                decided = true;
                kind = decide(sp, rec, q);
                break;
            case ')': break; /* before the first '(': malformed, and the record's parser says so */
            default:         /* ';' */
                end_record(sp, rec, q, decided ? kind : KEEP);
                if (sp->saw_end) return state;
                rec = q + 1;
                decided = false;
            }
        }
    }
    return state;
}

pf_error *pf_step_split(const char *data, size_t len, const char *source, const pf_step_split_fns *fns,
                        uint64_t *entities) {
    splitter sp = {.base = data, .end = data + len, .source = source, .fns = fns, .entities = entities};
    if (len == 0) return pf_error_new(PF_EINVAL, "", "%s is empty, not a STEP file", source);
    const char *p = data;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* UTF-8 BOM */
    p = magic(&sp, p);
    int state = p ? split_records(&sp, p) : NORMAL;
    if (!sp.err && !sp.saw_end)
        sp.err = pf_error_new(PF_EINVAL, "", "%s is truncated: %s at line %llu", source,
                              state == STRING    ? "a string never ends"
                              : state == COMMENT ? "a comment never ends"
                                                 : "END-ISO-10303-21; is missing",
                              line_at(&sp, sp.end));
    free(sp.rec);
    return sp.err;
}
