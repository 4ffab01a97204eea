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

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'; }

static bool is_binary(unsigned char c) { return c < 0x20 && !is_space((char)c); }

/* The bytes that can change the splitter's state, as bit masks over up to 64
 * bytes (bit i for byte i): quotes, parentheses, semicolons, and the rare
 * ones, comment slashes and control bytes other than white space (binary
 * data). Newlines are not among them: line numbers are counted only for a
 * message, from the start of the buffer. */
typedef struct {
    uint64_t quote, paren, semi, rare;
} stop_masks;

enum { PLAIN, QUOTE_BYTE, PAREN_BYTE, SEMI_BYTE, RARE_BYTE };
static const unsigned char byte_class[256] = {
    [0] = RARE_BYTE,    [1] = RARE_BYTE,    [2] = RARE_BYTE,   [3] = RARE_BYTE,  [4] = RARE_BYTE,   [5] = RARE_BYTE,
    [6] = RARE_BYTE,    [7] = RARE_BYTE,    [8] = RARE_BYTE,   [11] = RARE_BYTE, [14] = RARE_BYTE,  [15] = RARE_BYTE,
    [16] = RARE_BYTE,   [17] = RARE_BYTE,   [18] = RARE_BYTE,  [19] = RARE_BYTE, [20] = RARE_BYTE,  [21] = RARE_BYTE,
    [22] = RARE_BYTE,   [23] = RARE_BYTE,   [24] = RARE_BYTE,  [25] = RARE_BYTE, [26] = RARE_BYTE,  [27] = RARE_BYTE,
    [28] = RARE_BYTE,   [29] = RARE_BYTE,   [30] = RARE_BYTE,  [31] = RARE_BYTE, ['/'] = RARE_BYTE, ['\''] = QUOTE_BYTE,
    ['('] = PAREN_BYTE, [')'] = PAREN_BYTE, [';'] = SEMI_BYTE,
};

/* The portable answer for n <= 64 bytes: a buffer's last bytes, and
 * everything where SSE2 is missing. */
static stop_masks masks_tail(const unsigned char *p, size_t n) {
    stop_masks m = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        uint64_t bit = 1ull << i;
        switch (byte_class[p[i]]) {
        case QUOTE_BYTE: m.quote |= bit; break;
        case PAREN_BYTE: m.paren |= bit; break;
        case SEMI_BYTE: m.semi |= bit; break;
        case RARE_BYTE: m.rare |= bit; break;
        default: break;
        }
    }
    return m;
}

/* The same for 64 bytes, 16 at a time: about twenty vector instructions
 * for each 16 instead of a table lookup and a branch for each byte. */
static stop_masks masks64(const unsigned char *p) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('\''), slash = _mm_set1_epi8('/'), close = _mm_set1_epi8(')'),
                  one = _mm_set1_epi8(1), semi = _mm_set1_epi8(';'), top = _mm_set1_epi8(0x1F),
                  tab = _mm_set1_epi8('\t'), nl = _mm_set1_epi8('\n'), ff = _mm_set1_epi8('\f'),
                  cr = _mm_set1_epi8('\r');
    stop_masks m = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, top), x); /* x <= 0x1F, unsigned */
        __m128i space = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(x, nl)),
                                     _mm_or_si128(_mm_cmpeq_epi8(x, ff), _mm_cmpeq_epi8(x, cr)));
        __m128i rare = _mm_or_si128(_mm_cmpeq_epi8(x, slash), _mm_andnot_si128(space, control));
        int shift = 16 * k;
        m.quote |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote)) << shift;
        __m128i paren = _mm_cmpeq_epi8(_mm_or_si128(x, one), close); /* '(' is 0x28, ')' 0x29 */
        m.paren |= (uint64_t)(uint16_t)_mm_movemask_epi8(paren) << shift;
        m.semi |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, semi)) << shift;
        m.rare |= (uint64_t)(uint16_t)_mm_movemask_epi8(rare) << shift;
    }
    return m;
#else
    return masks_tail(p, 64);
#endif
}

/* Bit i of the result is the parity of bits 0 .. i of x: over the quote
 * mask, which bytes lie inside a string (an opening quote counts as inside,
 * a closing one as outside; "''" within a string toggles twice). */
static uint64_t prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
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
/* How many leading bytes of the 16 at p are surely copied as they are (16
 * when all); their copy is already at w. The byte loop looks at the next
 * one. Without SSE2, none: the byte loop does all. */
static int copy_plain16(const char *p, char *w) {
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    _mm_storeu_si128((__m128i *)(void *)w, x);
    __m128i s = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
    s = _mm_or_si128(s, _mm_cmpeq_epi8(x, _mm_set1_epi8('/')));
    /* 9 to 13: '\t' '\n' '\f' '\r', and 11, which the byte loop copies */
    __m128i ctl = _mm_sub_epi8(x, _mm_set1_epi8('\t'));
    ctl = _mm_cmpeq_epi8(_mm_min_epu8(ctl, _mm_set1_epi8(4)), ctl);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(s, ctl));
    return m ? __builtin_ctz(m) : 16;
#else
    (void)p, (void)w;
    return 0;
#endif
}

static bool clean(splitter *sp, const char *p, const char *end, size_t *n) {
    size_t raw = (size_t)(end - p);
    if (raw + 1 > MAX_KEPT_RECORD) return false;
    if (raw + 17 > sp->cap) { /* copy_plain16 may write 16 bytes past what it keeps */
        sp->cap = raw + 17 > 2 * sp->cap ? raw + 17 : 2 * sp->cap;
        sp->rec = pf_xrealloc(sp->rec, sp->cap);
    }
    char *w = sp->rec;
    while (p < end) {
        if (end - p >= 16) { /* runs of plain bytes, 16 at a time */
            int k = copy_plain16(p, w);
            p += k, w += k;
            if (k == 16) continue;
        }
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

/* The common record starts "#12=NAME" and "#12 = NAME" (as OCCT writes
 * them), checked 16 bytes at a time: the byte loops this replaces were a
 * quarter of the splitter's time, at one record every 40 bytes or so.
 * [p, paren) is at most 64 bytes, and 64 bytes from p lie inside the
 * buffer. On a match, *name and *n are the name (empty for a complex
 * entity), the same text clean would give: no white space or comment
 * slash is in it, so nothing would be removed. Anything else is left to
 * the byte loops. */
static bool simple_start(const char *p, const char *paren, const char **name, size_t *n) {
#if defined(__SSE2__)
    size_t len = (size_t)(paren - p);
    if (*p != '#') return false;
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), eq = _mm_set1_epi8('='),
                  space = _mm_set1_epi8(' '), slash = _mm_set1_epi8('/');
    uint64_t digits = 0, eqs = 0, spaces = 0, unclean = 0;
    for (size_t k = 0; 16 * k < len; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i d = _mm_sub_epi8(x, zero);
        __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d); /* x - '0' <= 9, unsigned */
        __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, space), x);  /* x <= ' ': white space or binary */
        int shift = 16 * (int)k;
        digits |= (uint64_t)(uint16_t)_mm_movemask_epi8(digit) << shift;
        eqs |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, eq)) << shift;
        spaces |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, space)) << shift;
        unclean |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(x, slash))) << shift;
    }
    uint64_t span = len == 64 ? ~0ull : (1ull << len) - 1;
    if (!(eqs & span)) return false;
    unsigned e = (unsigned)__builtin_ctzll(eqs & span);
    /* Bits 1 .. e-1: digits, then spaces. */
    uint64_t id = ((1ull << e) - 1) & ~1ull, not_digit = id & ~digits;
    unsigned f = not_digit ? (unsigned)__builtin_ctzll(not_digit) : e;
    uint64_t gap = id & ~((1ull << f) - 1);
    if (f < 2 || (spaces & gap) != gap) return false;
    /* Bits after '=': spaces, then the name (e < 63 here, or rest is 0). */
    uint64_t rest = span & ~((2ull << e) - 1), not_space = rest & ~spaces;
    if (!not_space) {
        *n = 0;
    } else {
        unsigned g = (unsigned)__builtin_ctzll(not_space);
        if (unclean & rest & ~((1ull << g) - 1)) return false;
        *n = len - g;
    }
    *name = p + len - *n;
    return true;
#else
    (void)p, (void)paren, (void)name, (void)n;
    return false;
#endif
}

/* At a record's first top-level "(": is it wanted? Header and section
 * records are; a simple entity is when fns->wanted says so, a complex one
 * when fns->wanted_complex says so at its end. The common "#12=NAME(" is
 * judged in place; anything else (white space or comments around the name)
 * is cleaned first. */
static int decide(splitter *sp, const char *rec, const char *paren) {
    const char *p = rec;
    while (p < paren && is_space(*p))
        p++;
    const char *name;
    size_t n_name;
    if (paren - p <= 64 && sp->end - p >= 64 && p < paren && simple_start(p, paren, &name, &n_name))
        return n_name == 0 ? COMPLEX : sp->fns->wanted(name, n_name) ? KEEP : SKIP;
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

/* Where the splitter stands between two blocks of 64 bytes. */
typedef struct {
    int state, kind;
    bool decided;                   /* the record's first '(' seen, and kind says what it is */
    const char *rec, *comment_body; /* the record's first byte; a comment's first byte after its opening */
} cursor;

/* A '(' or ';' outside strings and comments, at q. Only a record's first
 * parenthesis matters (decide looks at its name there): a semicolon outside
 * strings and comments ends a record in STEP, nested or not. False when the
 * record was END-ISO-10303-21: nothing after it is read. */
static inline __attribute__((always_inline)) bool structural(splitter *sp, cursor *c, const char *q) {
    if (*q == '(') {
        c->decided = true;
        c->kind = decide(sp, c->rec, q);
    } else if (*q == ';') {
        end_record(sp, c->rec, q, c->decided ? c->kind : KEEP);
        if (sp->saw_end) return false;
        c->rec = q + 1;
        c->decided = false;
    } /* a ')' before the first '(' is malformed, and the record's parser says so */
    return true;
}

/* The parentheses and semicolons among events, in order, past a decided
 * record's parentheses (once decided, they are most of a geometry record's
 * stop bytes). False at END-ISO-10303-21. */
static bool structurals(splitter *sp, cursor *c, const char *chunk, uint64_t events, uint64_t parens) {
    for (;;) {
        uint64_t live = c->decided ? events & ~parens : events;
        if (!live) return true;
        int bit = __builtin_ctzll(live);
        events &= ~((2ull << bit) - 1); /* this bit and those before it (all of them at bit 63) */
        if (!structural(sp, c, chunk + bit)) return false;
    }
}

/* A block with no comment slash or binary byte, not inside a comment: the
 * quotes' prefix parity says which bytes lie inside strings, and only the
 * parentheses and semicolons outside them are visited. Quotes were two of a
 * typical record's four stop bytes, and the branches they cost. */
static bool plain_block(splitter *sp, cursor *c, const char *chunk, const stop_masks *m) {
    uint64_t inside = prefix_xor(m->quote) ^ (c->state == STRING ? ~0ull : 0);
    c->state = inside >> 63 ? STRING : NORMAL;
    return structurals(sp, c, chunk, (m->paren | m->semi) & ~inside, m->paren & ~inside);
}

/* Any other block (n <= 64 bytes), byte by byte over its stop bytes: comments,
 * binary data, a buffer's last bytes. False when splitting is over (an
 * error, or END-ISO-10303-21). */
static bool rare_block(splitter *sp, cursor *c, const char *chunk, const stop_masks *m) {
    uint64_t stops = m->quote | m->paren | m->semi | m->rare;
    while (stops) {
        uint64_t live = c->decided ? stops & ~m->paren : stops;
        if (!live) break;
        int bit = __builtin_ctzll(live);
        const char *q = chunk + bit;
        stops &= ~((2ull << bit) - 1);
        char ch = *q;
        if (is_binary((unsigned char)ch)) {
            binary_error(sp, q);
            return false;
        }
        if (c->state == STRING) {
            if (ch == '\'') c->state = NORMAL; /* '' leaves and enters again */
        } else if (c->state == COMMENT) {
            if (ch == '/' && q - 1 >= c->comment_body && q[-1] == '*') c->state = NORMAL;
        } else if (ch == '\'') {
            c->state = STRING;
        } else if (ch == '/') {
            if (q + 1 < sp->end && q[1] == '*') {
                c->state = COMMENT;
                c->comment_body = q + 2;
            }
        } else if (!structural(sp, c, q)) {
            return false;
        }
    }
    return true;
}

/* Runs through the records after p; returns the state at the end. */
static int split_records(splitter *sp, const char *p) {
    cursor c = {.state = NORMAL, .kind = KEEP, .rec = p};
    size_t total = (size_t)(sp->end - p);
    for (size_t at = 0; at < total; at += 64) {
        const char *chunk = p + at;
        size_t n = total - at;
        const unsigned char *bytes = (const unsigned char *)chunk;
        stop_masks m = n >= 64 ? masks64(bytes) : masks_tail(bytes, n);
        bool go_on =
            n >= 64 && !m.rare && c.state != COMMENT ? plain_block(sp, &c, chunk, &m) : rare_block(sp, &c, chunk, &m);
        if (!go_on) break;
    }
    return c.state;
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
