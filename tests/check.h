/* A minimal test harness: CHECK records a failure and carries on; the
 * process exit code tells CTest the verdict. */
#ifndef PF_TESTS_CHECK_H
#define PF_TESTS_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* One count per test program, shared with the support code's own checks
 * (tests/support/check.c), so a failed check inside a helper fails the test
 * that called it. Each file had its own static copy before, and a helper's
 * failures were printed but never counted. */
extern int pf_check_failures;
extern int pf_check_count;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        pf_check_count++;                                                                                              \
        if (!(cond)) {                                                                                                 \
            pf_check_failures++;                                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                   \
        }                                                                                                              \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                                           \
    do {                                                                                                               \
        pf_check_count++;                                                                                              \
        if (!(cond)) {                                                                                                 \
            pf_check_failures++;                                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);                                   \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
        }                                                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                                                \
    do {                                                                                                               \
        const char *pf_a_ = (a), *pf_b_ = (b);                                                                         \
        CHECK_MSG(pf_a_ &&pf_b_ &&strcmp(pf_a_, pf_b_) == 0, "\"%s\" != \"%s\"", pf_a_ ? pf_a_ : "(null)",             \
                  pf_b_ ? pf_b_ : "(null)");                                                                           \
    } while (0)

#define CHECK_INT(a, b)                                                                                                \
    do {                                                                                                               \
        long long pf_a_ = (long long)(a), pf_b_ = (long long)(b);                                                      \
        CHECK_MSG(pf_a_ == pf_b_, "%lld != %lld", pf_a_, pf_b_);                                                       \
    } while (0)

static inline int pf_check_done(const char *name) {
    printf("%s: %d checks, %d failed\n", name, pf_check_count, pf_check_failures);
    return pf_check_failures ? 1 : 0;
}

#endif
