/* Patterns as JSON Schema reads them: ECMA-262 regular expressions,
 * searched anywhere in a string, compiled by PCRE2 under limits so that a
 * pattern from a request (an invocation schema) cannot cost the server
 * much time or memory, at compile time or at match time. Used by the
 * JSON Schema validator (core/jsonschema.c). */
#ifndef PF_CORE_REGEX_H
#define PF_CORE_REGEX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

#define PF_REGEX_TIERS 4

/* A compiled pattern with its match limits (rising tiers). Both are
 * read-only once made, so any number of threads may match with it at
 * once; each match gets its own match data. */
typedef struct pf_regex {
    pcre2_code *code;
    pcre2_match_context *limits[PF_REGEX_TIERS];
} pf_regex;

/* The limit on one match bounds one match, not a validation: 500 strings
 * in an array against ^(a+)+$ took minutes (fuzz/fuzz_jsonschema.c). So
 * one validation may spend this much in all, in PCRE2's match-limit units,
 * about 0.2 s; a value it cannot afford is not taken as matching. A match
 * is tried with rising limits and charged every limit it was tried with,
 * a bound on what it cost, so cheap matches stay cheap: 100,000 fit.
 * The fuzz build (CMakeLists.txt, PF_FUZZ) sets it 100 times smaller: the
 * budget works the same, and an input that spends it all costs 2 ms, not
 * 0.2 s, so fuzz_jsonschema can reach its 10 million executions. */
#ifndef PF_REGEX_BUDGET
#define PF_REGEX_BUDGET 10000000L
#endif
/* pf_regex_search's answer when the budget cannot pay for a match. */
#define PF_REGEX_BUDGET_SPENT (-100000)

/* Compiles pattern (n bytes) into *re: NULL, or why it is refused (caller
 * frees; *re is then empty). Free with pf_regex_free. */
char *pf_regex_compile(pf_regex *re, const char *pattern, size_t n);
void pf_regex_free(pf_regex *re);
/* Searches subject for the pattern: 1 when found, 0 when not, else a PCRE2
 * error code (a limit hit, PCRE2_ERROR_NOMEMORY, bad UTF-8) or
 * PF_REGEX_BUDGET_SPENT. *budget pays for it. */
int pf_regex_search(const pf_regex *re, const char *subject, size_t n, long *budget);
/* A pattern for a message: long ones cut (at a character boundary). Caller frees. */
char *pf_regex_shown(const char *pattern);
/* Why a search failed other than by not matching, as the end of a sentence. */
const char *pf_regex_failure(int rc);

#endif
