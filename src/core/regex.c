#include "core/regex.h"

#include "core/mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* How JSON Schema patterns are compiled and searched.
 * JSON Schema patterns are ECMA-262 regular expressions, searched anywhere
 * in the string. PCRE2 reads ECMA-262 syntax with the options below; the
 * limits keep a pattern from a request (an invocation schema) from costing
 * the server much time or memory, at compile time and at match time. */

enum {
    /* The longest pattern in the contracts is under 40 bytes; compile work
     * grows with the pattern's length, so 1 KiB leaves room for long
     * alternations and still bounds it. */
    PATTERN_MAX_BYTES = 1024,
    /* Compiled code: the contracts' patterns compile to at most 216 bytes.
     * Below PCRE2's own 64 KiB ceiling (Debian builds it with 2-byte links),
     * so the refusal says what the limit is whatever the library's build. */
    PATTERN_MAX_COMPILED = 32768,
    /* A counted repetition ({n}, {n,}, {n,m}) may say at most 1000, as RE2
     * allows: PCRE2 keeps a{1,32767} as one small opcode, but nested in a
     * repeated group it makes matching exponential, and no parameter needs
     * it (maxLength bounds lengths). */
    PATTERN_MAX_REPEAT = 1000,
    /* Parentheses nest at most this deep (PCRE2's default is 250): each
     * level costs compile-time stack, and schemas nest a few levels. */
    PATTERN_MAX_NESTING = 32,
    /* Per match: about 2 ms of backtracking here before PCRE2 gives up
     * (^(a+)+$ on 40 a's and a b), while a repeated group such as
     * ^(?:a|b)*$ still matches 13,000 characters. */
    MATCH_LIMIT = 100000,
    MATCH_DEPTH_LIMIT = 20000,
    MATCH_HEAP_LIMIT_KIB = 4096,
};

static const uint32_t match_tiers[] = {100, 1000, 10000, MATCH_LIMIT};
#define N_TIERS (sizeof match_tiers / sizeof *match_tiers)
_Static_assert(N_TIERS == PF_REGEX_TIERS, "pf_regex holds a match context per tier");

/* ECMA-262 semantics where PCRE2 has an option for them: "$" only at the
 * very end, "\u{…}"/"\uhhhh"/"\xhh" escapes, "[]" and "[^]", a back-reference
 * to an unset group matches the empty string. Plain groups capture (no
 * PCRE2_NO_AUTO_CAPTURE) because ECMA-262 back-references need them. "\C"
 * could split a UTF-8 character, and ECMA-262 has no such escape. */
static const uint32_t pattern_options = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX | PCRE2_ALLOW_EMPTY_CLASS |
                                        PCRE2_MATCH_UNSET_BACKREF | PCRE2_NEVER_BACKSLASH_C;

/* Skips the escape at p[i] ('\'); returns the index after it. Only called
 * on patterns PCRE2 compiled, so delimiters are balanced. Braces after an
 * escape that takes none (\x{41} is "x" 41 times under PCRE2_ALT_BSUX, as
 * in ECMA-262) are left for the caller to read as a repetition. */
static size_t skip_escape(const char *p, size_t n, size_t i) {
    if (i + 1 >= n) return n;
    char e = p[i + 1];
    if (e == 'Q') { /* \Q…\E quotes literally */
        for (size_t k = i + 2; k + 1 < n; k++)
            if (p[k] == '\\' && p[k + 1] == 'E') return k + 2;
        return n;
    }
    if (e == 'c') return i + 3 < n ? i + 3 : n; /* \cX: X is the control letter */
    char open = i + 2 < n ? p[i + 2] : 0, close = 0;
    bool named = e == 'g' || e == 'k';
    if (open == '{' && (named || e == 'p' || e == 'P' || e == 'u' || e == 'o' ||
                        (e == 'N' && i + 4 < n && p[i + 3] == 'U' && p[i + 4] == '+')))
        close = '}';
    else if (named && (open == '<' || open == '\''))
        close = open == '<' ? '>' : '\'';
    if (!close) return i + 2;
    const char *end = memchr(p + i + 3, close, n - (i + 3));
    return end ? (size_t)(end - p) + 1 : n;
}

/* The index after the character class that starts at p[i] ('['). */
static size_t skip_class(const char *p, size_t n, size_t i) {
    i++;
    if (i < n && p[i] == '^') i++;
    if (i < n && p[i] == ']') return i + 1; /* PCRE2_ALLOW_EMPTY_CLASS: [] and [^] */
    while (i < n && p[i] != ']') {
        if (p[i] == '\\') {
            i = skip_escape(p, n, i);
        } else if (p[i] == '[' && i + 1 < n &&
                   (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) { /* [:alpha:] */
            const char end[3] = {p[i + 1], ']', 0};
            const char *e = memmem(p + i + 2, n - (i + 2), end, 2);
            i = e ? (size_t)(e - p) + 2 : n;
        } else {
            i++;
        }
    }
    return i < n ? i + 1 : n;
}

/* Reads "{n}", "{n,}" or "{n,m}" at p[i]; returns its largest count (n when
 * m is absent), or -1 when the brace is a literal. */
static long repeat_count(const char *p, size_t n, size_t i, size_t *end) {
    long low = 0, high = -1;
    size_t k = i + 1;
    if (k >= n || p[k] < '0' || p[k] > '9') return -1;
    for (; k < n && p[k] >= '0' && p[k] <= '9'; k++)
        if (low < 1000000) low = low * 10 + (p[k] - '0'); /* only "over the limit" matters */
    if (k < n && p[k] == ',') {
        for (k++; k < n && p[k] >= '0' && p[k] <= '9'; k++)
            if (high < 1000000) high = (high < 0 ? 0 : high * 10) + (p[k] - '0');
    }
    if (k >= n || p[k] != '}') return -1;
    *end = k + 1;
    return high > low ? high : low;
}

/* The first counted repetition over PATTERN_MAX_REPEAT: its offset, or -1.
 * It errs on the side of refusing: a brace inside a (?x) comment counts. */
static long over_repeat(const char *p, size_t n, long *count) {
    size_t i = 0;
    while (i < n) {
        if (p[i] == '\\') {
            i = skip_escape(p, n, i);
        } else if (p[i] == '[') {
            i = skip_class(p, n, i);
        } else if (p[i] == '(' && i + 2 < n && p[i + 1] == '?' && p[i + 2] == '#') {
            const char *e = memchr(p + i, ')', n - i);
            i = e ? (size_t)(e - p) + 1 : n;
        } else if (p[i] == '{') {
            size_t end = i + 1;
            long c = repeat_count(p, n, i, &end);
            if (c > PATTERN_MAX_REPEAT) {
                *count = c;
                return (long)i;
            }
            i = end;
        } else {
            i++;
        }
    }
    return -1;
}

/* Compiles pattern (n bytes) into re. Returns NULL, or a sentence saying why
 * the pattern is refused (the caller frees it; re is then empty). */
char *pf_regex_compile(pf_regex *re, const char *pattern, size_t n) {
    *re = (pf_regex){0};
    if (n > PATTERN_MAX_BYTES)
        return pf_asprintf("the pattern is longer than %d bytes (it has %zu)", PATTERN_MAX_BYTES, n);
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) return pf_strdup("the pattern cannot be compiled: out of memory");
    pcre2_set_max_pattern_length(cc, PATTERN_MAX_BYTES);
    pcre2_set_parens_nest_limit(cc, PATTERN_MAX_NESTING);
    /* ECMA-262's "." stops at \n and \r; PCRE2's default stops at \n only. */
    pcre2_set_newline(cc, PCRE2_NEWLINE_ANYCRLF);
    pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
    int code;
    PCRE2_SIZE offset;
    pcre2_code *compiled = pcre2_compile((PCRE2_SPTR)pattern, n, pattern_options, &code, &offset, cc);
    pcre2_compile_context_free(cc);
    if (!compiled) {
        PCRE2_UCHAR text[256];
        if (pcre2_get_error_message(code, text, sizeof text) < 0) snprintf((char *)text, sizeof text, "error %d", code);
        if (code == PCRE2_ERROR_PATTERN_TOO_LARGE)
            return pf_asprintf("the pattern compiles to more than the %d-byte limit (%s, at offset %zu)",
                               PATTERN_MAX_COMPILED, (const char *)text, (size_t)offset);
        return pf_asprintf("the pattern is not a regular expression this validator supports: %s (at offset %zu)",
                           (const char *)text, (size_t)offset);
    }
    long count = 0, at = over_repeat(pattern, n, &count);
    size_t size = 0;
    pcre2_pattern_info(compiled, PCRE2_INFO_SIZE, &size);
    char *why = NULL;
    if (at >= 0)
        why = pf_asprintf("the pattern repeats up to %ld times at offset %ld, over the limit of %d repetitions", count,
                          at, PATTERN_MAX_REPEAT);
    else if (size > PATTERN_MAX_COMPILED)
        why = pf_asprintf("the pattern compiles to %zu bytes, over the %d-byte limit", size, PATTERN_MAX_COMPILED);
    for (size_t t = 0; !why && t < N_TIERS; t++)
        if (!(re->limits[t] = pcre2_match_context_create(NULL)))
            why = pf_strdup("the pattern cannot be compiled: out of memory");
    if (why) {
        pcre2_code_free(compiled);
        for (size_t t = 0; t < N_TIERS; t++)
            pcre2_match_context_free(re->limits[t]);
        *re = (pf_regex){0};
        return why;
    }
    for (size_t t = 0; t < N_TIERS; t++) {
        pcre2_set_match_limit(re->limits[t], match_tiers[t]);
        pcre2_set_depth_limit(re->limits[t], MATCH_DEPTH_LIMIT);
        pcre2_set_heap_limit(re->limits[t], MATCH_HEAP_LIMIT_KIB);
    }
    re->code = compiled;
    return NULL;
}

void pf_regex_free(pf_regex *re) {
    pcre2_code_free(re->code);
    for (size_t t = 0; t < N_TIERS; t++)
        pcre2_match_context_free(re->limits[t]);
    *re = (pf_regex){0};
}

/* Searches subject for the pattern: 1 when found, 0 when not, else a PCRE2
 * error code (a limit hit, PCRE2_ERROR_NOMEMORY, bad UTF-8) or PF_REGEX_BUDGET_SPENT.
 * *budget pays for it (PF_REGEX_BUDGET). */
int pf_regex_search(const pf_regex *re, const char *subject, size_t n, long *budget) {
    /* Match data per call: nothing shared between threads, and no frames
     * kept from one match to the next (PCRE2 only checks the heap limit
     * when its frames grow). */
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md) return PCRE2_ERROR_NOMEMORY;
    int rc = PCRE2_ERROR_MATCHLIMIT;
    for (size_t t = 0; t < N_TIERS && rc == PCRE2_ERROR_MATCHLIMIT; t++) {
        if (*budget < (long)match_tiers[t]) {
            rc = PF_REGEX_BUDGET_SPENT;
            break;
        }
        *budget -= (long)match_tiers[t];
        rc = pcre2_match(re->code, (PCRE2_SPTR)subject, n, 0, 0, md, re->limits[t]);
    }
    pcre2_match_data_free(md);
    /* 0 is a match whose captures did not fit the one-pair ovector. */
    return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

/* A pattern for a message: long ones cut (at a character boundary). */
char *pf_regex_shown(const char *pattern) {
    size_t n = strlen(pattern);
    if (n <= 60) return pf_strdup(pattern);
    size_t cut = 57;
    while (cut > 0 && ((unsigned char)pattern[cut] & 0xC0) == 0x80)
        cut--;
    return pf_asprintf("%.*s...", (int)cut, pattern);
}

/* Why a search failed other than by not matching, as the end of a sentence. */
const char *pf_regex_failure(int rc) {
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT:
    case PCRE2_ERROR_JIT_STACKLIMIT: return "is too costly to match against this value";
    case PCRE2_ERROR_NOMEMORY: return "could not be matched: out of memory";
    case PF_REGEX_BUDGET_SPENT: return "was not matched: this validation's patterns have used up their time";
    default: return "could not be matched against this value";
    }
}
